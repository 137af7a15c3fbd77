/**
 * The quantization report (reports/fidelity-<precision>.json in the package, and the CLI's
 * output): how the package was calibrated, what was quantized, and how close it stays to fp32 on
 * held-out frames.
 */
import type { FrameSetSummary } from './frames.js';
import type { LatencyComparison, QuantizedEntryFidelity } from './fidelity-run.js';
import type { FidelityCheck, FidelityFloors } from './fidelity-floor.js';
import type { Int8FormatChoice } from './int8-format.js';
import type { OptimizedGraph } from './optimized-graph.js';

/** One calibration method tried, and where it came closest to the floor. */
export interface CandidateSummary {
  /** `max`, `percentile 99.99`, `entropy`. */
  method: string;
  /** Its check with the smallest margin (null when nothing was measured). */
  worst: FidelityCheck | null;
  /** Lowest mean embedding cosine over the entries, when they have an embedding. */
  embeddingCosine?: number;
}

export interface QuantizationReport {
  precision: 'int8' | 'fp16';
  /** INT8: the format the graphs are written in, why that one, and what it is. */
  int8Format?: Int8FormatChoice & { summary: string };
  /** The calibration method the package was written with (INT8). */
  method?: string;
  percentile?: number;
  /** INT8: how the method was chosen — every candidate measured on the held-out frames, and how far the winner is ahead. */
  selection?: {
    mode: 'auto' | 'fixed';
    winner: string;
    candidates: CandidateSummary[];
    runnerUp?: string;
    /** Winner's worst margin minus the runner-up's (how much closer to fp32 where it matters most). */
    marginOverRunnerUp?: number;
  };
  /** The fidelity floor and how the written package stands against it. */
  floor: FidelityFloors & {
    passed: boolean;
    /** True when the package is below the floor and was kept because the caller accepted the loss. */
    acceptedLoss: boolean;
    worst: FidelityCheck | null;
    failing: FidelityCheck[];
  };
  source: { name: string; packageHash: string };
  calibration: { origin: string; sets: FrameSetSummary[] } | null;
  heldOut: { origin: string; sets: FrameSetSummary[] };
  /** Per entry: feature cosine, task agreement, routing agreement. */
  entries: QuantizedEntryFidelity[];
  /** Per entry: weighted nodes with Q/DQ, and the ones kept float by reason. */
  quantized?: {
    entry: string;
    nodes: number;
    activations: number;
    weights: number;
    keptFloat: Record<string, number>;
  }[];
  /** CPU latency (onnxruntime) of the first entry, fp32 vs this precision, measured in one run. */
  latency?: LatencyComparison;
  /** The first entry's graph after onnxruntime's CPU optimiser (level all): which kernels run. */
  optimizedGraph?: { entry: string } & OptimizedGraph;
  statsSha256?: string;
}

/** Lowest mean cosine over the trunk feature outputs (features_s*, embedding) of all entries. */
export function trunkCosine(report: QuantizationReport): { mean: number; min: number } {
  let mean = Infinity;
  let min = Infinity;
  for (const e of report.entries) {
    for (const [name, s] of Object.entries(e.featureCosine)) {
      if (!name.startsWith('features_') && name !== 'embedding') continue;
      mean = Math.min(mean, s.mean);
      min = Math.min(min, s.min);
    }
  }
  return { mean, min };
}
