/**
 * Latency calibration per target: the planner's raw estimate (FLOPs of the active path over the
 * target's peak × utilisation) was about 100× below what onnxruntime measured for the same entry on
 * a CPU, because small graphs are dominated by per-operator overhead and CPU kernels reach a small
 * share of peak. A calibrated estimate is
 *
 *   ms = blocks × passes × blockOverheadMs + FLOPs / opsPerSecond
 *
 * with both parameters fitted to measured runs (`fit` points). `check` points are measurements not
 * used in the fit; the tests hold every point within 2× of its calibrated estimate. Rows are marked
 * by where the figures come from: `measured` (runs of real packages with this tool, on the host named)
 * or `public-benchmark` (a published run of another network on the device; only the throughput term
 * is calibrated, the overhead is unknown and taken as 0). Targets without a row keep the raw estimate.
 */
import type { Precision } from '../../sdk/internal.js';

/** One timed run. */
export interface CalibrationPoint {
  what: string;
  role: 'fit' | 'check';
  /** Transformer blocks run per frame (blocks × passes). */
  blockPasses: number;
  flops: number;
  measuredMs: number;
}

/** Calibration of one target at one precision. */
export interface LatencyCalibration {
  target: string;
  precision: Precision;
  basis: 'measured' | 'public-benchmark';
  /** Where and how the figures were taken. */
  source: string;
  points: CalibrationPoint[];
}

/** The fitted model of a calibration. */
export interface CalibrationFit {
  blockOverheadMs: number;
  opsPerSecond: number;
}

/**
 * Measured on the development host with `ringmoe-edge plan <package> --target cpu-x86-64-onnxruntime
 * --measure` and the same timing loop (onnxruntime-node CPU execution provider, fp32, batch 1;
 * reference packages of ringmoe-tiny and ringmoe-small, seed 1, sparse lowering) on a 2-core Intel
 * Xeon VM shared with other jobs (load average 10–17). Each figure is the fastest of 9–31 runs: under
 * that load medians of the same entry ranged over 7× (tiny optical 1.3–9.3 ms), the fastest run over
 * less than 1.3×, so it is the uncontended cost. A quiet 8-core reference host is faster; re-measure on
 * the device class you deploy to and replace these rows.
 */
export const LATENCY_CALIBRATIONS: readonly LatencyCalibration[] = [
  {
    target: 'cpu-x86-64-onnxruntime',
    precision: 'fp32',
    basis: 'measured',
    source: 'onnxruntime-node CPU EP on a shared 2-core Intel Xeon VM, fastest of 9-31 runs, 2026-12-07',
    points: [
      { what: 'ringmoe-tiny optical (64×64, 5 blocks)', role: 'fit', blockPasses: 5, flops: 3670656, measuredMs: 1.2 },
      {
        what: 'ringmoe-small optical (192×192, 12 blocks)',
        role: 'fit',
        blockPasses: 12,
        flops: 3772493568,
        measuredMs: 418,
      },
      { what: 'ringmoe-tiny sar-l1', role: 'check', blockPasses: 5, flops: 3998336, measuredMs: 1.17 },
      {
        what: 'ringmoe-tiny change-optical (two passes)',
        role: 'check',
        blockPasses: 10,
        flops: 7144064,
        measuredMs: 1.64,
      },
      { what: 'ringmoe-small sar-l1', role: 'check', blockPasses: 12, flops: 3790188288, measuredMs: 301 },
      {
        what: 'ringmoe-small change-optical (two passes)',
        role: 'check',
        blockPasses: 24,
        flops: 7498116864,
        measuredMs: 557,
      },
    ],
  },
  {
    // A CNN, not RingMoE: it calibrates the throughput the Orin Nano's TensorRT INT8 engines reach, not the operator mix.
    target: 'jetson-orin-nano-8gb',
    precision: 'int8',
    basis: 'public-benchmark',
    source:
      'public benchmark (not measured here): YOLOv8n 640×640 (8.7 GFLOPs), TensorRT 10.3 INT8, 3.49 ms GPU compute, Orin Nano 8GB MAXN_SUPER — https://hokwangchoi.com/blog/vision-benchmarks/',
    points: [
      { what: 'YOLOv8n 640×640 INT8 (public benchmark)', role: 'fit', blockPasses: 0, flops: 8.7e9, measuredMs: 3.49 },
    ],
  },
];

/**
 * Least-squares fit of ms = blockPasses·a + flops/b to the `fit` points (one point: throughput only).
 * @example fitCalibration(LATENCY_CALIBRATIONS[0]!).opsPerSecond // ≈ 7e9 on the measured CPU host
 */
export function fitCalibration(c: LatencyCalibration): CalibrationFit {
  const pts = c.points.filter((p) => p.role === 'fit');
  if (pts.length === 1 || pts.every((p) => p.blockPasses === 0)) {
    const flops = pts.reduce((s, p) => s + p.flops, 0);
    const ms = pts.reduce((s, p) => s + p.measuredMs, 0);
    return { blockOverheadMs: 0, opsPerSecond: (1000 * flops) / ms };
  }
  // Normal equations for ms = a·n + x·f (x = ms per FLOP).
  let nn = 0,
    nf = 0,
    ff = 0,
    nm = 0,
    fm = 0;
  for (const p of pts) {
    nn += p.blockPasses * p.blockPasses;
    nf += p.blockPasses * p.flops;
    ff += p.flops * p.flops;
    nm += p.blockPasses * p.measuredMs;
    fm += p.flops * p.measuredMs;
  }
  const det = nn * ff - nf * nf;
  const a = (nm * ff - nf * fm) / det;
  const x = (nn * fm - nf * nm) / det;
  return { blockOverheadMs: Math.max(0, a), opsPerSecond: 1000 / x };
}

/** Calibrated milliseconds of a frame under a fit. */
export function calibratedMs(fit: CalibrationFit, blockPasses: number, flops: number): number {
  return blockPasses * fit.blockOverheadMs + (1000 * flops) / fit.opsPerSecond;
}

/** The calibration of `target` at `precision`, if there is one. */
export function calibrationFor(
  target: string,
  precision: Precision,
): (LatencyCalibration & { fit: CalibrationFit }) | undefined {
  const c = LATENCY_CALIBRATIONS.find((x) => x.target === target && x.precision === precision);
  return c ? { ...c, fit: fitCalibration(c) } : undefined;
}
