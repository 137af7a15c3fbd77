/**
 * Planning policy that is not a device fact: how much of a peak throughput figure a RingMoE
 * engine is assumed to reach. Defined once here (and explained in targets/README.md#utilisation),
 * never per device: a profile states peaks, this file states the derating.
 */
import type { TargetRuntime } from './resolved.js';
import type { Int8Format, Precision } from './written.js';

/** Which kind of arithmetic unit executes a precision on a target. */
export type MathUnit = 'tensor-core' | 'cuda-core' | 'cpu';

/**
 * Fraction of the dense peak a SwinV2-MoE engine is assumed to sustain, by math unit and
 * precision. Why these values (targets/README.md#utilisation): window attention multiplies small
 * matrices (144 tokens × 32-wide heads) that do not fill tensor-core tiles; LayerNorm, softmax,
 * GELU, patch merging and expert gathers are memory-bound; an INT8 engine keeps norms and softmax
 * in FP16 and adds reformatting, so INT8 reaches a smaller share of its (twice higher) peak than
 * FP16. CUDA-core FP32/FP16 and CPU GEMM kernels sit closer to their peaks. These are starting
 * values, not measurements: replace them with ratios measured by the benchmarks on each device.
 */
export const UTILISATION: Readonly<Record<MathUnit, Readonly<Record<Precision, number>>>> = {
  // fp32 never runs on tensor cores here (TF32 is not used), so that cell is never read.
  'tensor-core': { int8: 0.25, fp16: 0.35, fp32: 0.5 },
  // int8 on CUDA cores is DP4A (Pascal sm_61 class); no shipped profile uses it.
  'cuda-core': { int8: 0.4, fp16: 0.45, fp32: 0.5 },
  // onnxruntime's CPU kernels have little FP16 coverage: most FP16 nodes run converted.
  cpu: { int8: 0.3, fp16: 0.2, fp32: 0.4 },
};

/** Preference when choosing a precision: the first one the compute unit supports wins. */
export const PRECISION_PREFERENCE: readonly Precision[] = ['int8', 'fp16', 'fp32'];

/**
 * The INT8 format a runtime gets when its profile names none. TensorRT reads explicit symmetric
 * Q/DQ. onnxruntime's CPU kernels run that form slower than fp32 (signed activations do not fuse
 * on x86), so CPU targets get run-time quantized MatMuls, the faster of the two CPU forms measured
 * by the quantize-latency benchmark (BENCHMARKS.md) at the fidelity floor.
 */
export const DEFAULT_INT8_FORMAT: Readonly<Record<TargetRuntime, Int8Format>> = {
  tensorrt: 'qdq-symmetric',
  onnxruntime: 'cpu-dynamic',
};
