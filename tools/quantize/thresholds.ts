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
import { EdgeError } from '../../sdk/internal.js';
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
export function chooseThreshold(
  stats: TensorStatsData,
  method: CalibrationMethod,
  options: ThresholdOptions = {},
  name = 'tensor',
): number {
  if (stats.count === 0)
    throw new EdgeError(
      'E_CALIBRATION',
      `${name} received no values during calibration (is it on a path the calibration frames reach?)`,
      { field: name },
    );
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

/**
 * KL-divergence-minimising threshold over the histogram of |x| (see the file comment). For a cut
 * at bin i, P is bins 0..i-1 with the tail added to the last bin; Q merges bins 0..i-1 *without*
 * the tail into 128 groups and spreads each group's mass over the group's bins where P is not
 * empty; both are normalised. Exact, in O(bins × 128): with T = ΣP, T_q = ΣQ = T − tail,
 * KL·T = Σ P log P − Σ_groups P_g log(Q_g / n_g) + T log(T_q / T), where P_g and Q_g are a
 * group's masses and n_g its bins where P is not empty. A cut whose last group holds only tail
 * mass (Q = 0 where P > 0, infinite divergence) is never chosen.
 */
export function entropyThreshold(stats: TensorStatsData): number {
  const hist = stats.hist;
  let used = hist.length;
  while (used > 0 && hist[used - 1] === 0) used--;
  const width = stats.range / hist.length;
  if (used <= LEVELS) return used * width;
  const mass = new Float64Array(used + 1);
  const nonEmpty = new Float64Array(used + 1);
  const plogp = new Float64Array(used + 1);
  for (let j = 0; j < used; j++) {
    const h = hist[j]!;
    mass[j + 1] = mass[j]! + h;
    nonEmpty[j + 1] = nonEmpty[j]! + (h > 0 ? 1 : 0);
    plogp[j + 1] = plogp[j]! + (h > 0 ? h * Math.log(h) : 0);
  }
  const total = mass[used]!;
  let best = used;
  let bestKl = Infinity;
  for (let i = LEVELS; i <= used; i++) {
    const tail = total - mass[i]!;
    const last = hist[i - 1]! + tail;
    let kl = plogp[i - 1]! + (last > 0 ? last * Math.log(last) : 0) + total * Math.log((total - tail) / total);
    for (let g = 0; g < LEVELS && Number.isFinite(kl); g++) {
      const start = Math.floor((g * i) / LEVELS);
      const end = Math.floor(((g + 1) * i) / LEVELS);
      const q = mass[end]! - mass[start]!;
      let p = q;
      let n = nonEmpty[end]! - nonEmpty[start]!;
      if (g === LEVELS - 1 && tail > 0) {
        p += tail;
        if (hist[i - 1] === 0) n += 1;
      }
      if (p === 0) continue;
      kl = q > 0 ? kl - p * Math.log(q / n) : Infinity;
    }
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
  }
  return best * width;
}
