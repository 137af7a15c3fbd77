/**
 * Raw outputs: the tensors of an imported model's outputs that no task contract interprets
 * (`kind: 'raw'` in the manifest — a vendor's probability map, an audio model's scores). The
 * result carries each tensor's shape, dtype and summary statistics, its values when it is small
 * enough to send as JSON, and the typed array itself with `includeRasters` (CBOR).
 */
import type { DType } from '../package/package-manifest.js';
import type { HostTensor } from '../core/host-tensor.js';

/** Options of raw outputs. */
export interface RawOutputsOptions {
  /** Tensors with at most this many elements carry `values` (plain JSON). Default 4096. */
  maxValues?: number;
  /** Attach every tensor's typed array as `data` (for CBOR payloads and in-process use). */
  includeRasters?: boolean;
}

/** One raw output of a frame. */
export interface RawOutput {
  dtype: DType;
  /** Shape as run: the frame's model inputs (tiles) along the first axis. */
  shape: number[];
  /** Minimum, maximum and mean over finite elements (NaN when none). */
  min: number;
  max: number;
  mean: number;
  /** Every element, row-major, when the tensor has at most `maxValues` elements. */
  values?: number[];
  data?: HostTensor['data'];
}

/** Raw outputs of one frame. Plain JSON unless `includeRasters`. */
export interface RawOutputsResult {
  task: 'raw';
  frameId: string;
  outputs: Record<string, RawOutput>;
}

/**
 * The raw-output result of one frame.
 * @example
 * rawOutputsResult({ 'sigmoid_0.tmp_0': probabilityMap }, 'aero1.jpg'); // { task: 'raw', outputs: { 'sigmoid_0.tmp_0': { shape: [1, 1, 320, 320], min, max, mean } } }
 */
export function rawOutputsResult(
  outputs: Record<string, HostTensor>,
  frameId: string,
  options: RawOutputsOptions = {},
): RawOutputsResult {
  const max = options.maxValues ?? 4096;
  const out: Record<string, RawOutput> = {};
  for (const [name, t] of Object.entries(outputs)) {
    let lo = Infinity;
    let hi = -Infinity;
    let sum = 0;
    let n = 0;
    const values: number[] = [];
    const data = t.data as ArrayLike<number | bigint>;
    for (let i = 0; i < data.length; i++) {
      const x = Number(data[i]);
      if (values.length <= max) values.push(x);
      if (!Number.isFinite(x)) continue;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      sum += x;
      n++;
    }
    out[name] = {
      dtype: t.dtype,
      shape: [...t.shape],
      min: n ? lo : NaN,
      max: n ? hi : NaN,
      mean: n ? sum / n : NaN,
      ...(t.data.length <= max ? { values } : {}),
      ...(options.includeRasters ? { data: t.data } : {}),
    };
  }
  return { task: 'raw', frameId, outputs: out };
}
