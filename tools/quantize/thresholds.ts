/**
 * Choosing an activation's clipping threshold (its dynamic range; scale = threshold / 127) from
 * its statistics, three ways:
 * - `max`: the largest magnitude seen.
 * - `percentile`: the magnitude below which `p` % of the values lie (e.g. 99.99).
 * - `entropy`: TensorRT's EntropyCalibration2 method: for each candidate threshold (bin edge from
 *   128 bins on) the reference distribution P is the histogram cut there with the clipped tail
 *   added to its last bin; Q is P quantized to 128 levels (bins merged into 128 groups, each
 *   group's mass spread evenly over its non-empty bins); the threshold minimising KL(P || Q) wins.
 */
import { EdgeError } from '../../sdk/core/errors.js';
import type { TensorStatsData } from './histogram.js';

export const CALIBRATION_METHODS = ['max', 'percentile', 'entropy'] as const;
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

/** INT8 quantization levels on one side of zero (the 128 of [-128, 127], as TensorRT counts them). */
const LEVELS = 128;

export interface ThresholdOptions {
  /** Percentile for `percentile` (default 99.99). */
  percentile?: number;
}

/**
 * The threshold of one tensor.
 * @throws EdgeError E_CALIBRATION when the tensor was never seen (no values)
 */
export function chooseThreshold(stats: TensorStatsData, method: CalibrationMethod, options: ThresholdOptions = {}, name = 'tensor'): number {
  if (stats.count === 0) throw new EdgeError('E_CALIBRATION', `${name} received no values during calibration (is it on a path the calibration frames reach?)`, { field: name });
  if (stats.amax === 0) return 0;
  switch (method) {
    case 'max':
      return stats.amax;
    case 'percentile':
      return Math.min(stats.amax, percentileThreshold(stats, options.percentile ?? 99.99));
    case 'entropy':
      return Math.min(stats.amax, entropyThreshold(stats));
  }
}

/** Upper edge of the first bin at which the cumulative share of |x| reaches `p` %. */
export function percentileThreshold(stats: TensorStatsData, p: number): number {
  const width = stats.range / stats.hist.length;
  const target = (p / 100) * stats.count;
  let acc = 0;
  for (let i = 0; i < stats.hist.length; i++) {
    acc += stats.hist[i]!;
    if (acc >= target) return (i + 1) * width;
  }
  return stats.range;
}

/** KL-divergence-minimising threshold over the histogram of |x| (see the file comment). */
export function entropyThreshold(stats: TensorStatsData): number {
  const hist = stats.hist;
  let used = hist.length;
  while (used > 0 && hist[used - 1] === 0) used--;
  const width = stats.range / hist.length;
  if (used <= LEVELS) return used * width;
  const total = hist.reduce((a, b) => a + b, 0);
  // suffix[i] = mass of bins i..used-1 (the tail clipped into bin i-1 when cutting at i).
  const suffix = new Float64Array(used + 1);
  for (let i = used - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + hist[i]!;
  const p = new Float64Array(used);
  let best = used;
  let bestKl = Infinity;
  for (let i = LEVELS; i <= used; i++) {
    for (let j = 0; j < i; j++) p[j] = hist[j]!;
    p[i - 1]! += suffix[i]!;
    const kl = klOfQuantized(p, i, total);
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
  }
  return best * width;
}

/** KL(P || Q) for P = p[0..n) (sums to `total`) and Q = P merged into 128 groups and re-expanded. */
function klOfQuantized(p: Float64Array, n: number, total: number): number {
  let kl = 0;
  for (let g = 0; g < LEVELS; g++) {
    const start = Math.floor((g * n) / LEVELS);
    const end = Math.floor(((g + 1) * n) / LEVELS);
    let mass = 0;
    let nonEmpty = 0;
    for (let j = start; j < end; j++) {
      if (p[j]! > 0) {
        mass += p[j]!;
        nonEmpty++;
      }
    }
    if (nonEmpty === 0) continue;
    const q = mass / nonEmpty / total;
    for (let j = start; j < end; j++) {
      const pj = p[j]! / total;
      if (pj > 0) kl += pj * Math.log(pj / q);
    }
  }
  return kl;
}
