/**
 * The INT8 formats a package can be written in (the target profile's `int8Format`) and what each
 * means for the quantizer: which planned nodes it can compute in integers, whether it needs
 * calibrated activation ranges, and how the graph is rewritten.
 */
import type { Int8Format, TargetProfile } from '../../sdk/internal.js';
import type { GraphProto } from '../onnx/proto.js';
import type { StoredTensor } from '../package/weight-store.js';
import { applyDynamicPlan } from './dynamic-rewrite.js';
import type { ClusterTracker } from './graph-edit.js';
import type { QdqPlan, SkippedNode } from './qdq-plan.js';
import { applyQdqPlan } from './qdq-rewrite.js';

/** The format a package was written in, and why that one. */
export interface Int8FormatChoice {
  format: Int8Format;
  /** `target cpu-x86-64-onnxruntime (runtime default)`, `option int8Format`, `default (TensorRT)`. */
  reason: string;
}

/** The format used when neither a target nor an option names one: TensorRT's, as before. */
export const DEFAULT_INT8_FORMAT_CHOICE: Int8FormatChoice = {
  format: 'qdq-symmetric',
  reason: 'default (TensorRT explicit quantization; name a target or option int8Format for onnxruntime CPU)',
};

/** The format a target profile asks for, with where that came from. */
export function formatForTarget(target: TargetProfile): Int8FormatChoice {
  const f = target.int8Format;
  return {
    format: f.value,
    reason: `target ${target.id} (${f.origin === 'profile' ? 'its int8Format' : `the ${target.runtime} default`})`,
  };
}

/** One line per format for readable output and reports. */
export const INT8_FORMAT_SUMMARY: Readonly<Record<Int8Format, string>> = {
  'qdq-symmetric': 'Q/DQ, int8 activations (zero point 0) and per-channel int8 weights, for TensorRT',
  'cpu-dynamic':
    'MatMulInteger with activations quantized at run time (uint8) and per-channel int8 weights, fused by onnxruntime into MatMulIntegerToFloat / DynamicQuantizeMatMul',
};

/** Whether the format needs calibrated activation ranges (and so calibration frames). */
export function needsCalibration(format: Int8Format): boolean {
  return format !== 'cpu-dynamic';
}

/**
 * The plan restricted to what the format computes in integers: `cpu-dynamic` rewrites MatMuls
 * only (Gemm and Conv stay float, reported as `not-matmul`), so their weights stay float too.
 */
export function planForFormat(plan: QdqPlan, format: Int8Format): QdqPlan {
  if (format !== 'cpu-dynamic') return plan;
  const quantized = plan.quantized.filter((q) => q.op === 'MatMul');
  const moved: SkippedNode[] = plan.quantized
    .filter((q) => q.op !== 'MatMul')
    .map((q) => ({ node: q.node, op: q.op, weight: q.weight, reason: 'not-matmul' }));
  const weights = new Map<string, number>();
  for (const q of quantized) weights.set(q.weight, q.axis);
  return {
    quantized,
    skipped: [...plan.skipped, ...moved],
    activations: [...new Set(quantized.map((q) => q.activation))],
    weights,
  };
}

/**
 * Rewrites one graph in place for the format.
 * @param activationScales calibrated scale per planned activation (ignored by `cpu-dynamic`)
 */
export function rewriteForFormat(
  graph: GraphProto,
  plan: QdqPlan,
  format: Int8Format,
  activationScales: Map<string, number>,
  stored: Map<string, StoredTensor>,
  tracker: ClusterTracker,
): void {
  if (format === 'cpu-dynamic') applyDynamicPlan(graph, plan, stored, tracker);
  else applyQdqPlan(graph, plan, activationScales, stored, tracker);
}
