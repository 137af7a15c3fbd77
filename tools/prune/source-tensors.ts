/**
 * Named float tensors of a source package, read one at a time from its weight files (the graphs'
 * external-data records say where each one is), so merges never hold more than the tensors they
 * are working on.
 */
import { join } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';
import type { PackageManifest } from '../../sdk/internal.js';
import { readInitializerRecords, tensorOfRecord } from '../onnx/initializer-records.js';
import { DataType, type TensorProto } from '../onnx/proto.js';
import { ExternalDataReader, asTypedArray, externalInfo } from '../onnx/tensor-data.js';

/** Float tensors of a source package by name, read on demand from its weight files. */
export class SourceTensors {
  private constructor(
    private readonly index: Map<string, TensorProto>,
    private readonly reader: ExternalDataReader,
  ) {}

  /**
   * Indexes every external initializer of the graphs of `entries` (default: every entry) of the
   * package in `dir`.
   */
  static async open(
    dir: string,
    manifest: PackageManifest,
    entries: readonly string[] = manifest.entries.map((e) => e.name),
  ): Promise<SourceTensors> {
    const index = new Map<string, TensorProto>();
    for (const e of manifest.entries.filter((x) => entries.includes(x.name))) {
      // Only the initializers' records: the graphs' nodes are not needed to find tensor data.
      for (const r of await readInitializerRecords(join(dir, e.graph))) {
        if (index.has(r.name)) continue;
        const t = tensorOfRecord(r);
        if (externalInfo(t)) index.set(r.name, t);
      }
    }
    return new SourceTensors(index, new ExternalDataReader(dir));
  }

  /** Dims of tensor `name`. @throws EdgeError E_PRUNE when no graph holds it */
  dims(name: string): number[] {
    return this.proto(name).dims.map(Number);
  }

  /** The float32 values of tensor `name` (a fresh array). */
  async float32(name: string): Promise<Float32Array> {
    const t = this.proto(name);
    if (t.dataType !== DataType.FLOAT)
      throw new EdgeError(
        'E_PRUNE',
        `tensor ${name} is not float32; merging experts needs an fp32 package (prune before quantizing)`,
      );
    // External reads return a fresh, aligned buffer: the view below is not shared with anything.
    return asTypedArray(await this.reader.read(t), t.dataType) as Float32Array;
  }

  private proto(name: string): TensorProto {
    const t = this.index.get(name);
    if (!t)
      throw new EdgeError(
        'E_PRUNE',
        `tensor ${name} is listed in the expert map but no graph of the package references it`,
      );
    return t;
  }

  async close(): Promise<void> {
    await this.reader.close();
  }
}
