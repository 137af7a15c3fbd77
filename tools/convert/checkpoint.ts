/**
 * One interface over the checkpoint formats the converter reads: an index of tensor names, dtypes
 * and dims built without loading the file, and positioned reads of one tensor (or a contiguous
 * element range of it, e.g. one expert of an [E, in, out] stack) decoded to float32.
 */
import { createHash } from 'node:crypto';
import { EdgeError } from '../../sdk/internal.js';
import { DTYPE_BYTES, decode, type CheckpointDType } from './dtype.js';
import type { FileBytes } from './file-bytes.js';

export type CheckpointFormat = 'ckpt' | 'safetensors';

/** One stored tensor: its bytes are the concatenation of `pieces` (one, or several for a split MindSpore tensor). */
export interface CheckpointTensor {
  name: string;
  dtype: CheckpointDType;
  dims: number[];
  pieces: { offset: number; length: number }[];
}

export interface CheckpointIndex {
  file: string;
  format: CheckpointFormat;
  /** Every tensor, in file order. */
  tensors: Map<string, CheckpointTensor>;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** An open checkpoint: its index plus reads. */
export class CheckpointReader implements CheckpointIndex {
  constructor(
    private readonly bytes: FileBytes,
    readonly format: CheckpointFormat,
    readonly tensors: Map<string, CheckpointTensor>,
  ) {}

  get file(): string {
    return this.bytes.file;
  }

  /** The index alone (for planning). */
  index(): CheckpointIndex {
    return { file: this.file, format: this.format, tensors: this.tensors };
  }

  /**
   * Elements [start, start + count) of tensor `name` (row-major), as float32; the whole tensor by
   * default. Reads only those bytes.
   * @throws EdgeError E_CHECKPOINT_MISMATCH (no such tensor), E_CHECKPOINT_RANGE, E_CHECKPOINT_TRUNCATED
   */
  read(name: string, start = 0, count?: number): Float32Array {
    const t = this.tensors.get(name);
    if (!t)
      throw new EdgeError('E_CHECKPOINT_MISMATCH', `the checkpoint has no tensor ${name}`, {
        file: this.file,
        field: name,
      });
    const total = elementCount(t.dims);
    const n = count ?? total - start;
    if (start < 0 || n < 0 || start + n > total) {
      throw new EdgeError('E_CHECKPOINT_RANGE', `elements ${start}..${start + n} asked of a tensor of ${total}`, {
        file: this.file,
        field: name,
      });
    }
    const eb = DTYPE_BYTES[t.dtype];
    const out = new Uint8Array(n * eb);
    let want = start * eb;
    let end = (start + n) * eb;
    let filled = 0;
    for (const p of t.pieces) {
      if (filled === out.length) break;
      if (want >= p.length) {
        want -= p.length;
        end -= p.length;
        continue;
      }
      const take = Math.min(p.length, end) - want;
      out.set(this.bytes.read(p.offset + want, take, `tensor ${name}`), filled);
      filled += take;
      end -= p.length;
      want = 0;
    }
    return decode(out, t.dtype);
  }

  /** sha256 of the whole file, read in 4 MiB chunks. */
  sha256(): string {
    const h = createHash('sha256');
    const chunk = 4 * 1024 * 1024;
    for (let at = 0; at < this.bytes.size; at += chunk)
      h.update(this.bytes.read(at, Math.min(chunk, this.bytes.size - at), 'checkpoint'));
    return h.digest('hex');
  }

  close(): void {
    this.bytes.close();
  }
}

/**
 * Checks that a tensor's pieces hold exactly its dims' bytes and lie inside the file.
 * @throws EdgeError E_CHECKPOINT_RANGE, E_CHECKPOINT_TRUNCATED
 */
export function checkExtent(file: string, size: number, t: CheckpointTensor): void {
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new EdgeError('E_CHECKPOINT_RANGE', `dims [${t.dims}] are not non-negative integers`, {
        file,
        field: t.name,
      });
  }
  const want = elementCount(t.dims) * DTYPE_BYTES[t.dtype];
  const have = t.pieces.reduce((s, p) => s + p.length, 0);
  if (want !== have)
    throw new EdgeError(
      'E_CHECKPOINT_RANGE',
      `dims [${t.dims}] of ${t.dtype} need ${want} bytes but the tensor holds ${have}`,
      { file, field: t.name },
    );
  for (const p of t.pieces) {
    if (p.offset + p.length > size)
      throw new EdgeError(
        'E_CHECKPOINT_TRUNCATED',
        `the tensor's data runs to byte ${p.offset + p.length} but the file has ${size}`,
        { file, field: t.name },
      );
  }
}
