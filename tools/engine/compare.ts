/**
 * Output agreement between a TensorRT engine and the onnxruntime reference, with the tolerance per
 * precision used by `npm run validate:tensorrt`:
 * - fp32: relative error ≤ 1e-3, fp16: ≤ 1e-2, where relative error = max|t − r| / max(max|r|, 1e-6);
 * - int8: cosine similarity ≥ 0.99 (quantised features keep their direction, not every value).
 */
import type { HostTensor } from '../../sdk/internal.js';
import { halfToFloat } from '../../sdk/internal.js';

export type ComparePrecision = 'fp32' | 'fp16' | 'int8';

/** Thresholds per precision. */
export const TOLERANCES: Record<ComparePrecision, { metric: 'relative' | 'cosine'; limit: number }> = {
  fp32: { metric: 'relative', limit: 1e-3 },
  fp16: { metric: 'relative', limit: 1e-2 },
  int8: { metric: 'cosine', limit: 0.99 },
};

/** Result for one output tensor. */
export interface OutputAgreement {
  name: string;
  metric: 'relative' | 'cosine';
  value: number;
  limit: number;
  pass: boolean;
  note?: string;
}

/** Values of a tensor as numbers (float16 decoded, int64 converted). */
export function numbersOf(t: HostTensor): Float64Array {
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i]!;
    out[i] = t.dtype === 'float16' ? halfToFloat(v as number) : Number(v);
  }
  return out;
}

/** max|a − b| / max(max|b|, 1e-6). */
export function relativeError(a: Float64Array, b: Float64Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-6);
}

/** Cosine similarity; 1 when both are all zeros. */
export function cosine(a: Float64Array, b: Float64Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 && nb === 0) return 1;
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

/** Compares one output; a shape or NaN mismatch fails whatever the metric. */
export function compareOutput(
  name: string,
  engine: HostTensor,
  reference: HostTensor,
  precision: ComparePrecision,
): OutputAgreement {
  const { metric, limit } = TOLERANCES[precision];
  if (engine.shape.join('x') !== reference.shape.join('x')) {
    return {
      name,
      metric,
      value: NaN,
      limit,
      pass: false,
      note: `shape [${engine.shape}] vs reference [${reference.shape}]`,
    };
  }
  const a = numbersOf(engine);
  const b = numbersOf(reference);
  if (a.some((x) => Number.isNaN(x)) !== b.some((x) => Number.isNaN(x)))
    return { name, metric, value: NaN, limit, pass: false, note: 'NaN in one output only' };
  const value = metric === 'relative' ? relativeError(a, b) : cosine(a, b);
  return { name, metric, value, limit, pass: metric === 'relative' ? value <= limit : value >= limit };
}

/** Median and 90th percentile of samples (ms). */
export function latencyStats(samples: readonly number[]): { median: number; p90: number } {
  const s = [...samples].sort((x, y) => x - y);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]!;
  return {
    median: s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2,
    p90: at(0.9),
  };
}
