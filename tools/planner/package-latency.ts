/**
 * The planner's latency estimate for a package on a target, as the fidelity report of a pruning
 * records it: FLOPs of the package's active path against the target's effective throughput.
 */
import { bestPrecision, type Precision, type TargetProfile } from '../../sdk/internal.js';
import type { PackageManifest } from '../../sdk/internal.js';
import { estimateLatency, sparseLoweringBuilds } from './estimate.js';
import { formatGflops } from '../format/numbers.js';
import { packageModel } from './model-source.js';

/** Latency of a package on a device, as the planner estimates it. */
export interface LatencyEstimate {
  target: string;
  precision: string;
  latencyMs: number;
  /** Always `estimate`: FLOPs of the active path against the target's throughput, not a measurement. */
  kind: 'estimate';
  basis: string;
}

/**
 * Latency of one frame of `m` (a single-modality entry) on `target` at `precision` (default: the
 * target's best).
 */
export function packageLatency(
  m: PackageManifest,
  target: TargetProfile,
  precision: Precision = bestPrecision(target),
): LatencyEstimate {
  const model = packageModel(m, '');
  const lowering =
    model.lowering === 'sparse' && !sparseLoweringBuilds(target) && !model.current.dense ? 'dense' : model.lowering;
  const l = estimateLatency(model.config, model.current, precision, target, { lowering });
  return {
    target: target.id,
    precision,
    latencyMs: l.ms,
    kind: 'estimate',
    basis: `${formatGflops(l.flops)} GFLOPs (${lowering} lowering) at ${(l.opsPerSecond / 1e12).toFixed(3)} effective TOPS${l.calibration ? ` + ${l.calibration.blockOverheadMs.toFixed(2)} ms per block (calibrated: ${l.calibration.basis})` : ' (uncalibrated)'}`,
  };
}
