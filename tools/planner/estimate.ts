/**
 * Memory and latency of one candidate on one target: weights at a precision + activations (the
 * largest live tensors at batch 1) + TensorRT workspace or onnxruntime's session overhead against
 * the memory left after the target's reserve; FLOPs of the active path against the target's effective throughput. Both are estimates
 * from accounting, not measurements.
 */
import {
  compareVersions,
  effectiveThroughput,
  modelMemoryBudget,
  tensorrtVersionsFor,
  type Precision,
  type TargetProfile,
} from '../../sdk/internal.js';
import { flops } from '../ringmoe/flops.js';
import { stageGeometry, type RingMoEConfig } from '../ringmoe/config.js';
import { backboneParams, type ExpertSelection } from '../ringmoe/params.js';
import { activeExperts } from '../ringmoe/flops.js';
import { calibratedMs, calibrationFor } from './calibration.js';
import {
  ACTIVATION_BYTES,
  SPARSE_LOWERING_MIN_TENSORRT,
  WEIGHT_BYTES,
  sessionOverheadBytes,
  workspaceBytes,
} from './policy.js';

/** Memory of one candidate on one target, in bytes. */
export interface MemoryEstimate {
  weightsBytes: number;
  activationsBytes: number;
  workspaceBytes: number;
  /**
   * onnxruntime's own memory (library, session thread, arena, pre-packed weight copies) as measured
   * by the runtime-memory bench; 0 on TensorRT targets.
   */
  sessionOverheadBytes: number;
  /** weights + activations + workspace + session overhead. */
  needBytes: number;
  /** What the model may use: target memory − reserve, capped by --max-memory-mb. */
  budgetBytes: number;
  reserveBytes: number;
  fits: boolean;
}

/** Estimated latency of one frame of one candidate on one target. */
export interface LatencyEstimateResult {
  /** FLOPs of one frame (backbone + heads) on the path the engine runs. */
  flops: number;
  /** Operations per second the estimate uses (calibrated, else peak × utilisation). */
  opsPerSecond: number;
  /** The estimate: calibrated against measurements when the target has a calibration, else raw. */
  ms: number;
  /** FLOPs over peak × utilisation alone (what the planner used before calibration). */
  rawMs: number;
  /** Where the calibration comes from, when there is one (tools/planner/calibration.ts). */
  calibration?: { basis: 'measured' | 'public-benchmark'; source: string; blockOverheadMs: number };
  /** Lowering the estimate assumes (routed experts: sparse runs the chosen ones, dense runs all). */
  lowering: 'sparse' | 'dense';
  limitMs?: number;
  fits: boolean;
  kind: 'estimate';
}

/** Largest activation working set at batch 1, in elements: two live tensors of the largest layer. */
export function activationElements(c: RingMoEConfig, sel: ExpertSelection, lowering: 'sparse' | 'dense'): number {
  const act = activeExperts(sel, lowering);
  let peak = 0;
  for (const g of stageGeometry(c)) {
    const T = g.height * g.width;
    const attention = T * g.heads * g.window * g.window + 4 * T * g.dim; // scores + q, k, v, residual
    const ffn = T * g.hidden * act.hiddenMultiple * act.ffns + 2 * T * g.dim;
    peak = Math.max(peak, attention, ffn);
  }
  const { height: H, width: W } = c.inputSize;
  const headsPeak =
    H * W * (c.taskHeads.segmentation.labels.length + 1) + c.taskHeads.neckDim * (H / c.patchSize) * (W / c.patchSize);
  return 2 * Math.max(peak, headsPeak);
}

/** Whether the target's TensorRT can build the sparse lowering (NonZero needs ≥ 8.5); true for onnxruntime targets. */
export function sparseLoweringBuilds(target: TargetProfile): boolean {
  if (target.runtime !== 'tensorrt') return true;
  const versions = tensorrtVersionsFor(target);
  return versions.length > 0 && compareVersions(versions[versions.length - 1]!, SPARSE_LOWERING_MIN_TENSORRT) >= 0;
}

/**
 * Why `target` cannot build the sparse lowering, or undefined when it can (onnxruntime targets, or a
 * TensorRT ≥ 8.5 line).
 * @param tensorrt the software line's TensorRT (default: the newest the target has)
 */
export function sparseLoweringProblem(target: TargetProfile, tensorrt?: string | null): string | undefined {
  if (target.runtime !== 'tensorrt') return undefined;
  const versions = tensorrtVersionsFor(target);
  const version = tensorrt ?? versions[versions.length - 1];
  if (version !== undefined && compareVersions(version, SPARSE_LOWERING_MIN_TENSORRT) >= 0) return undefined;
  return `${target.id}'s ${tensorrt ? '' : 'newest '}TensorRT ${version ?? '(none)'} cannot build the sparse MoE lowering (its NonZero token selection needs TensorRT ≥ ${SPARSE_LOWERING_MIN_TENSORRT})`;
}

/** Memory of `sel` at `precision` on `target`. */
export function estimateMemory(
  c: RingMoEConfig,
  sel: ExpertSelection,
  headParams: number,
  precision: Precision,
  target: TargetProfile,
  lowering: 'sparse' | 'dense',
  maxMemoryBytes?: number,
): MemoryEstimate {
  const params = backboneParams(c, sel).total + headParams;
  const weightsBytes = params * WEIGHT_BYTES[precision];
  const activationsBytes = activationElements(c, sel, lowering) * ACTIVATION_BYTES[precision];
  const ws = workspaceBytes(target.memory.totalBytes, target.runtime);
  const overhead = sessionOverheadBytes(weightsBytes, target.runtime);
  const needBytes = weightsBytes + activationsBytes + ws + overhead;
  const budgetBytes = Math.min(modelMemoryBudget(target), maxMemoryBytes ?? Infinity);
  return {
    weightsBytes,
    activationsBytes,
    workspaceBytes: ws,
    sessionOverheadBytes: overhead,
    needBytes,
    budgetBytes,
    reserveBytes: target.reserve.totalBytes,
    fits: needBytes <= budgetBytes,
  };
}

/** Latency of one frame of `sel` at `precision` on `target`. */
export function estimateLatency(
  c: RingMoEConfig,
  sel: ExpertSelection,
  precision: Precision,
  target: TargetProfile,
  o: { lowering: 'sparse' | 'dense'; passes?: number; maxLatencyMs?: number },
): LatencyEstimateResult {
  const f = flops(c, sel, { lowering: o.lowering, passes: o.passes ?? 1 }).total;
  const raw = effectiveThroughput(target, precision);
  const rawMs = (1000 * f) / raw;
  const cal = calibrationFor(target.id, precision);
  const blockPasses = c.depths.reduce((a, b) => a + b, 0) * (o.passes ?? 1);
  const ms = cal ? calibratedMs(cal.fit, blockPasses, f) : rawMs;
  return {
    flops: f,
    opsPerSecond: cal ? cal.fit.opsPerSecond : raw,
    ms,
    rawMs,
    ...(cal ? { calibration: { basis: cal.basis, source: cal.source, blockOverheadMs: cal.fit.blockOverheadMs } } : {}),
    lowering: o.lowering,
    ...(o.maxLatencyMs !== undefined ? { limitMs: o.maxLatencyMs } : {}),
    fits: o.maxLatencyMs === undefined || ms <= o.maxLatencyMs,
    kind: 'estimate',
  };
}
