/**
 * Copies a package's weight files into a new package, converting tensor by tensor (to INT8 with
 * per-channel scales, or to float16). Every tensor stays in the file it came from, and anything a
 * conversion adds (a weight's scales) goes into that same file: one file per expert survives, so
 * OTA deltas stay expert-granular.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { DType } from '../../sdk/internal.js';
import { bytesPerElement, dtypeOf, elementCount, onnxType, type GraphProto, type TensorProto } from '../onnx/proto.js';
import { ExternalDataReader, asTypedArray, externalInfo } from '../onnx/tensor-data.js';
import type { StoredTensor, WeightStore } from '../package/weight-store.js';

/** One tensor as the conversion sees it. */
export interface SourceTensor {
  name: string;
  dtype: DType;
  dims: number[];
  location: string;
  /** Little-endian bytes. */
  bytes: Uint8Array;
}

/** A tensor to store (`data` may be the raw little-endian bytes of any dtype). */
export interface OutputTensor {
  name: string;
  dtype: DType;
  dims: number[];
  data: Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;
}

/** Every external initializer of the graphs, by name (first definition wins; they are shared). */
export function externalInitializers(graphs: GraphProto[]): Map<string, TensorProto> {
  const out = new Map<string, TensorProto>();
  for (const g of graphs) for (const t of g.initializer) if (externalInfo(t) && !out.has(t.name)) out.set(t.name, t);
  return out;
}

/** Float32 view of a source tensor's bytes. */
export function floatData(t: SourceTensor): Float32Array {
  return asTypedArray(t.bytes, 1) as Float32Array;
}

/**
 * Streams every external tensor from `sourceDir` through `convert` into `store`, file by file in
 * offset order (one tensor in memory at a time). Returns the stored records by tensor name.
 * @throws EdgeError E_EXTERNAL_DATA for unreadable source data; whatever `convert` throws
 */
export async function rewriteWeights(
  sourceDir: string,
  tensors: Map<string, TensorProto>,
  store: WeightStore,
  convert: (t: SourceTensor) => OutputTensor[],
  onTensor?: (done: number, total: number) => void,
): Promise<Map<string, StoredTensor>> {
  const byFile = new Map<string, { t: TensorProto; offset: number }[]>();
  for (const t of tensors.values()) {
    const ext = externalInfo(t)!;
    const list = byFile.get(ext.location) ?? [];
    list.push({ t, offset: ext.offset });
    byFile.set(ext.location, list);
  }
  const reader = new ExternalDataReader(sourceDir);
  const stored = new Map<string, StoredTensor>();
  let done = 0;
  try {
    for (const location of [...byFile.keys()].sort()) {
      for (const { t } of byFile.get(location)!.sort((a, b) => a.offset - b.offset)) {
        const dtype = dtypeOf(t.dataType);
        if (!dtype)
          throw new EdgeError('E_QUANTIZE', `tensor ${t.name} has an element type the package format does not use`, {
            file: location,
          });
        const src: SourceTensor = {
          name: t.name,
          dtype,
          dims: t.dims.map(Number),
          location,
          bytes: await reader.read(t),
        };
        for (const o of convert(src)) {
          if (o.data.byteLength !== elementCount(o.dims) * bytesPerElement(onnxType(o.dtype)))
            throw new EdgeError(
              'E_INTERNAL',
              `converted tensor ${o.name} has ${o.data.byteLength} bytes for ${o.dtype} dims [${o.dims}]`,
            );
          stored.set(
            o.name,
            store.put(
              o.name,
              location,
              o.dtype,
              o.dims,
              new Uint8Array(o.data.buffer, o.data.byteOffset, o.data.byteLength),
            ),
          );
        }
        onTensor?.(++done, tensors.size);
      }
    }
  } finally {
    await reader.close();
  }
  return stored;
}
