/**
 * The quantization report (reports/fidelity-<precision>.json in the package, and the CLI's
 * output): how the package was calibrated, what was quantized, and how close it stays to fp32 on
 * held-out frames.
 */
import type { FrameSetSummary } from './frames.js';
import type { LatencyComparison, QuantizedEntryFidelity } from './fidelity-run.js';

export interface QuantizationReport {
  precision: 'int8' | 'fp16';
  method?: string;
  percentile?: number;
  source: { name: string; packageHash: string };
  calibration: { origin: string; sets: FrameSetSummary[] } | null;
  heldOut: { origin: string; sets: FrameSetSummary[] };
  /** Per entry: feature cosine, task agreement, routing agreement. */
  entries: QuantizedEntryFidelity[];
  /** Per entry: weighted nodes with Q/DQ, and the ones kept float by reason. */
  quantized?: { entry: string; nodes: number; activations: number; weights: number; keptFloat: Record<string, number> }[];
  /** CPU latency (onnxruntime) of the first entry, fp32 vs this precision, measured in one run. */
  latency?: LatencyComparison;
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
