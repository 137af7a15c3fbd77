/**
 * Appends tensors to a package's weight files (ONNX external data) and remembers where each one
 * went, so every graph of the package can reference the same bytes. One tensor is in memory at a
 * time; writes are synchronous so graph emission (synchronous code) can call it inline. Each file
 * is hashed as it is written (tensors are only ever appended), so the manifest's sha256 needs no
 * second read of the file.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';
import type { DType, FileDigest } from '../../sdk/internal.js';
import { externalTensor, type ExternalRef } from '../onnx/builder.js';
import type { TensorProto } from '../onnx/proto.js';

export interface StoredTensor extends ExternalRef {
  name: string;
  dtype: DType;
  dims: number[];
}

type Data = Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

const ELEMENT_BYTES: Record<DType, number> = { float32: 4, float16: 2, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };

export class WeightStore {
  private readonly tensors = new Map<string, StoredTensor>();
  private readonly files = new Map<string, { fd: number; size: number; hash: Hash }>();
  private readonly digests = new Map<string, FileDigest>();

  /**
   * @param root package directory; locations are relative to it
   * @param align byte alignment of each tensor inside its file
   */
  constructor(
    readonly root: string,
    readonly align = 64,
  ) {}

  get(name: string): StoredTensor | undefined {
    return this.tensors.get(name);
  }

  /**
   * Stores tensor `name` in `location` unless it is stored already (then returns the existing
   * record; `make` is not called). `make` produces the data only when needed.
   */
  tensor(name: string, location: string, dtype: DType, dims: number[], make: () => Data): StoredTensor {
    const existing = this.tensors.get(name);
    if (existing) return existing;
    const data = make();
    const count = dims.reduce((a, b) => a * b, 1);
    if (data.length !== count || data.BYTES_PER_ELEMENT !== ELEMENT_BYTES[dtype]) {
      throw new EdgeError(
        'E_INTERNAL',
        `tensor ${name}: ${data.length} elements of ${data.BYTES_PER_ELEMENT} bytes for dims [${dims}] of ${dtype}`,
      );
    }
    return this.put(name, location, dtype, dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  /** Stores raw little-endian bytes for tensor `name`. */
  put(name: string, location: string, dtype: DType, dims: number[], bytes: Uint8Array): StoredTensor {
    if (this.tensors.has(name)) throw new EdgeError('E_INTERNAL', `tensor ${name} stored twice`);
    let f = this.files.get(location);
    if (!f) {
      const path = join(this.root, location);
      mkdirSync(dirname(path), { recursive: true });
      if (this.digests.has(location))
        throw new EdgeError('E_INTERNAL', `weight file ${location} was closed and cannot be written again`);
      f = { fd: openSync(path, 'w'), size: 0, hash: createHash('sha256') };
      this.files.set(location, f);
    }
    const offset = Math.ceil(f.size / this.align) * this.align;
    if (offset > f.size) {
      const pad = new Uint8Array(offset - f.size);
      writeSync(f.fd, pad, 0, pad.length, f.size);
      f.hash.update(pad);
    }
    let done = 0;
    while (done < bytes.length) done += writeSync(f.fd, bytes, done, bytes.length - done, offset + done);
    f.hash.update(bytes);
    f.size = offset + bytes.length;
    const rec: StoredTensor = { name, dtype, dims, location, offset, length: bytes.length };
    this.tensors.set(name, rec);
    return rec;
  }

  /** The initializer (external data) for a stored tensor. */
  initializer(name: string): TensorProto {
    const t = this.tensors.get(name);
    if (!t) throw new EdgeError('E_INTERNAL', `tensor ${name} was never stored`);
    return externalTensor(name, t.dtype, t.dims, t);
  }

  /** Every stored tensor, in storage order. */
  all(): StoredTensor[] {
    return [...this.tensors.values()];
  }

  /** Locations written so far with their sizes. */
  fileSizes(): Record<string, number> {
    return Object.fromEntries([...this.files].map(([k, v]) => [k, v.size]));
  }

  /**
   * sha256 and size of every file closed so far (by {@link close}), computed from the bytes as they
   * were written.
   */
  writtenFiles(): Map<string, FileDigest> {
    return new Map(this.digests);
  }

  /** Flushes and closes every file, and records its digest. */
  close(): void {
    for (const [location, f] of [...this.files]) {
      // Forgotten first: a failed fsync or close is not retried by a later close() (abort).
      this.files.delete(location);
      try {
        fsyncSync(f.fd);
      } finally {
        closeSync(f.fd);
      }
      this.digests.set(location, { sha256: f.hash.digest('hex'), size: f.size });
    }
  }
}
