/**
 * Planning policy that is not a device fact and not a model fact: which candidates the planner
 * tries, in which order it prefers them, and the memory it sets aside for TensorRT. Defined once
 * here and explained in docs/planner.md.
 */
import type { Precision } from '../../sdk/internal.js';
import type { PruneStrategy } from './prune-options.js';

/** Collaborative keep fractions EP tries (each with every modal fraction below). */
export const EP_COLLABORATIVE_FRACTIONS = [1, 0.75, 0.5, 0.25] as const;
/** Modal keep fractions EP tries. */
export const EP_MODAL_FRACTIONS = [1, 0.5, 0.25] as const;

/**
 * Dense strategies in order of preference (they keep the same parameters), by measured fidelity
 * (BENCHMARKS.md, prune-tiers: embedding cosine 0.994 / 0.983 / 0.329 on ringmoe-small): ka
 * averages every expert, ks keeps one expert per group, kc compresses every expert to rank h/N.
 */
export const DENSE_PREFERENCE: readonly PruneStrategy[] = ['ka', 'ks', 'kc'];

/**
 * Precisions in order of preference at equal pruning: fp16 is near-lossless and what TensorRT
 * engines on Jetson run; fp32 is exact but slower and twice the bytes (it only wins where fp16 is
 * unsupported); int8 needs calibration and loses most accuracy, so it is last.
 */
export const PRECISION_FIDELITY_ORDER: readonly Precision[] = ['fp16', 'fp32', 'int8'];

/** Bytes per weight at each precision (int8: one byte per weight; per-channel scales are negligible). */
export const WEIGHT_BYTES: Readonly<Record<Precision, number>> = { fp32: 4, fp16: 2, int8: 1 };

/** Bytes per activation element (an int8 engine keeps norms, softmax and the tensors between them in fp16). */
export const ACTIVATION_BYTES: Readonly<Record<Precision, number>> = { fp32: 4, fp16: 2, int8: 2 };

const MIB = 2 ** 20;

/**
 * TensorRT builder/runtime workspace set aside on a device with `totalBytes` of memory: 128 MiB up
 * to 4 GiB, 256 MiB up to 8 GiB, 512 MiB up to 16 GiB, 1 GiB above; nothing for onnxruntime (its
 * arena is part of the activation estimate).
 */
export function workspaceBytes(totalBytes: number, runtime: 'tensorrt' | 'onnxruntime'): number {
  if (runtime !== 'tensorrt') return 0;
  const gib = totalBytes / 2 ** 30;
  return (gib <= 4 ? 128 : gib <= 8 ? 256 : gib <= 16 ? 512 : 1024) * MIB;
}

/**
 * onnxruntime's memory beside the weights and activations, as measured (BENCHMARKS.md,
 * runtime-memory: peak RSS of a runtime serving one entry, less the process before the runtime
 * started): a fixed part for the onnxruntime library, the session's worker thread and its arena
 * (≈96 MiB with a 1 MiB ringmoe-tiny entry), plus a part that grows with the weights — the
 * pre-packed copies onnxruntime's CPU kernels make of weight matrices (with the fixed part, ringmoe-
 * small's 160 MiB optical entry peaks at ≈1.2× its weights + its activations + 96 MiB).
 */
export const ORT_SESSION_FIXED_BYTES = 96 * MIB;
/** Share of the weight bytes onnxruntime holds again as pre-packed copies (see ORT_SESSION_FIXED_BYTES). */
export const ORT_PREPACKED_WEIGHT_SHARE = 0.2;

/** onnxruntime's own memory for a model of `weightsBytes` (0 on TensorRT targets, whose workspace is counted apart). */
export function sessionOverheadBytes(weightsBytes: number, runtime: 'tensorrt' | 'onnxruntime'): number {
  if (runtime !== 'onnxruntime') return 0;
  return ORT_SESSION_FIXED_BYTES + Math.round(ORT_PREPACKED_WEIGHT_SHARE * weightsBytes);
}

/** Oldest TensorRT that builds data-dependent shapes (NonZero), which the sparse lowering needs. */
export const SPARSE_LOWERING_MIN_TENSORRT = '8.5';
