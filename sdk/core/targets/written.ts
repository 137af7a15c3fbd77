/**
 * The WRITTEN device target profile: exactly the shape of a `targets/<id>.json` file (P4: written
 * and resolved are separate types; see `resolved.ts` for what the loader returns).
 *
 * Two ways a value carries its provenance:
 * - a {@link WrittenFact} wraps one value with its confidence, source(s) and note;
 * - an attested record (a power-mode set, a software line) carries `confidence`/`source`/`note`
 *   beside its fields, and its PLAIN fields take that attestation. A Fact inside such a record
 *   carries its own.
 *
 * Types and vocabularies only. Device facts live in the JSON files, never here.
 */

/**
 * How far a value can be trusted, strongest first.
 * - `confirmed`: read on an NVIDIA-hosted page or in an NVIDIA GitHub repository.
 * - `nvidia-secondary`: an NVIDIA-authored document or file seen through a third-party copy.
 * - `unconfirmed`: not found in an NVIDIA source; `source` says where it came from.
 * - `derived`: computed from other values by the formula in `note` (e.g. dense = sparse / 2).
 * - `estimate`: our engineering estimate; `note` gives the method (targets/README.md#estimates).
 * - `assumed`: a choice that describes the reference machine of a generic profile.
 * - `policy`: our decision, not a hardware fact (reserves); `note` says which rule.
 */
export const CONFIDENCE_LEVELS = [
  'confirmed',
  'nvidia-secondary',
  'unconfirmed',
  'derived',
  'estimate',
  'assumed',
  'policy',
] as const;
/** One of {@link CONFIDENCE_LEVELS}. */
export type Confidence = (typeof CONFIDENCE_LEVELS)[number];

/** Confidence levels that state a sourced fact and therefore need at least one source URL. */
export const SOURCED_CONFIDENCE: readonly Confidence[] = ['confirmed', 'nvidia-secondary', 'unconfirmed'];

/** Numeric precisions the toolchain builds engines in. */
export const PRECISIONS = ['fp32', 'fp16', 'int8'] as const;
/** One of {@link PRECISIONS}. */
export type Precision = (typeof PRECISIONS)[number];

/**
 * How an INT8 package is written for a target's runtime:
 * - `qdq-symmetric`: QuantizeLinear/DequantizeLinear pairs, int8 activations with zero point 0
 *   and per-channel int8 weights — TensorRT's explicit quantization;
 * - `cpu-dynamic`: MatMuls as integer products with activations quantized at run time
 *   (DynamicQuantizeLinear + MatMulInteger), which onnxruntime's CPU optimiser fuses into
 *   MatMulIntegerToFloat / DynamicQuantizeMatMul; no calibration. (Calibrated uint8 Q/DQ was
 *   measured too and left out: onnxruntime kept its per-channel MatMuls in float, 1.8x fp32 —
 *   docs/quantization.md.)
 */
export const INT8_FORMATS = ['qdq-symmetric', 'cpu-dynamic'] as const;
/** One of {@link INT8_FORMATS}. */
export type Int8Format = (typeof INT8_FORMATS)[number];

/** Device classes: a Jetson module, an x86 host with a discrete NVIDIA GPU, or a CPU-only host. */
export const TARGET_KINDS = ['jetson', 'x86-gpu', 'cpu'] as const;
/** One of {@link TARGET_KINDS}. */
export type TargetKind = (typeof TARGET_KINDS)[number];

/** What a published "AI performance" figure covers. */
export const THROUGHPUT_SCOPES = ['gpu', 'gpu+dla', 'cpu'] as const;
/** One of {@link THROUGHPUT_SCOPES}. */
export type ThroughputScope = (typeof THROUGHPUT_SCOPES)[number];

/** Instruction set of the host CPU. */
export const CPU_ISAS = ['aarch64', 'x86-64'] as const;
/** One of {@link CPU_ISAS}. */
export type CpuIsa = (typeof CPU_ISAS)[number];

/** The current profile format version. */
export const TARGET_SCHEMA_VERSION = 1;

/** Provenance of a value or of an attested record. */
export interface WrittenAttestation {
  confidence: Confidence;
  /** One URL or several (http/https). Required for confirmed, nvidia-secondary and unconfirmed. */
  source?: string | string[];
  /** Why, how it was derived, or what is uncertain. Required for derived, estimate, assumed and policy. */
  note?: string;
}

/** One value with its provenance. */
export interface WrittenFact<T> extends WrittenAttestation {
  value: T;
}

/** The GPU that runs TensorRT engines (absent on CPU-only targets). */
export interface WrittenGpu {
  /** Architecture name, e.g. "Ampere". */
  architecture: WrittenFact<string>;
  /** CUDA compute capability "major.minor"; `sm_XY` is derived from it. */
  computeCapability: WrittenFact<string>;
  /** Other numberings of the same GPU under other toolkits (Thor: 10.1 in CUDA 12.8-era tools). */
  otherComputeCapabilities?: WrittenFact<string[]>;
  cudaCores: WrittenFact<number>;
  /** 0 where the GPU has none (Maxwell, Pascal). */
  tensorCores: WrittenFact<number>;
  /** Highest GPU clock in MHz; the basis of per-clock throughput estimates. */
  maxClockMHz?: WrittenFact<number>;
  /** Precisions TensorRT can build for this GPU. */
  precisions: WrittenFact<Precision[]>;
}

/** The host CPU. */
export interface WrittenCpu {
  cores: WrittenFact<number>;
  model?: WrittenFact<string>;
  isa: CpuIsa;
  /** Precisions the CPU runtime executes (required on CPU-only targets, where the CPU runs the model). */
  precisions?: WrittenFact<Precision[]>;
}

/** The memory the model lives in (unified DRAM on Jetson, VRAM on a discrete GPU, host RAM on CPU targets). */
export interface WrittenMemory {
  /** Capacity in GiB as the vendor states it ("8 GB" of DRAM is 8 GiB). */
  totalGiB: WrittenFact<number>;
  type?: WrittenFact<string>;
  busWidthBits?: WrittenFact<number>;
  /** Peak bandwidth in GB/s (10^9 bytes per second). */
  bandwidthGBps: WrittenFact<number>;
  /** True when CPU, GPU (and DLA) share this one DRAM. */
  unified: WrittenFact<boolean>;
  /** Host RAM beside a discrete GPU's VRAM, in GiB. */
  hostGiB?: WrittenFact<number>;
}

/** Memory the model must not use, in GiB (our policy; targets/README.md#reserve). */
export interface WrittenReserve {
  /** Operating system, carve-outs, system services. */
  osGiB: WrittenFact<number>;
  /** CUDA context and the TensorRT/cuDNN/cuBLAS (or onnxruntime) libraries and our process. */
  runtimeGiB: WrittenFact<number>;
  /** Camera / video pipeline buffers (capture, decode, pre-processing). */
  pipelineGiB: WrittenFact<number>;
}

/** Deep Learning Accelerator cores. */
export interface WrittenDla {
  count: WrittenFact<number>;
  /** "v1" (Xavier) or "v2" (Orin); absent when count is 0. */
  generation?: WrittenFact<string>;
  /** Precisions the DLA runs; empty when count is 0. */
  precisions: WrittenFact<Precision[]>;
}

/** Figures as the vendor publishes them ("AI performance"), which may cover GPU and DLA together. */
export interface WrittenPublishedThroughput {
  scope: ThroughputScope;
  int8SparseTops?: WrittenFact<number>;
  int8DenseTops?: WrittenFact<number>;
  fp4SparseTflops?: WrittenFact<number>;
}

/** Dense peak throughput of the unit that runs the model (GPU, or CPU on CPU-only targets). */
export interface WrittenThroughput {
  int8DenseTops?: WrittenFact<number>;
  fp16DenseTflops?: WrittenFact<number>;
  fp32Tflops?: WrittenFact<number>;
  published?: WrittenPublishedThroughput;
}

/** One nvpmodel power mode, selected by name. Plain fields take the mode set's attestation. */
export interface WrittenPowerMode {
  /** The nvpmodel NAME (e.g. "MAXN_SUPER", "MODE_30W", "15W"). */
  name: string;
  /** Power budget in W the mode is named for; null when it has none (MAXN). */
  watts: number | null;
  /** GPU clock cap in MHz; null when the mode sets no cap. */
  gpuMaxMHz?: number | null;
  /** CPU cores the mode keeps online. */
  cpuCoresOnline?: number;
  int8SparseTops?: WrittenFact<number>;
  int8DenseTops?: WrittenFact<number>;
}

/** One nvpmodel configuration (e.g. the original and the Super configs of Orin Nano/NX). */
export interface WrittenPowerModeSet extends WrittenAttestation {
  name: string;
  /** The mode nvpmodel selects by default (PM_CONFIG DEFAULT), by name. */
  defaultMode: string;
  /** First JetPack release that ships this configuration, when it is not the original one. */
  minJetPack?: WrittenFact<string>;
  modes: WrittenPowerMode[];
}

/** Power: module maximum and the named modes. */
export interface WrittenPower {
  maxPowerW?: WrittenFact<number>;
  modeSets: WrittenPowerModeSet[];
}

/**
 * One software line the target runs: a JetPack release on Jetson, a TensorRT + CUDA install on an
 * x86 GPU host, an onnxruntime version on CPU. The attestation says whether the line supports the
 * device; the Facts inside say what the line bundles.
 */
export interface WrittenSoftwareLine extends WrittenAttestation {
  /** Display name, e.g. "JetPack 6.1". */
  name: string;
  /** JetPack version (Jetson only), e.g. "6.2.1". */
  jetpack?: string;
  /** Jetson Linux (L4T) release, e.g. "R36.4". */
  l4t?: WrittenFact<string>;
  cuda?: WrittenFact<string>;
  cudnn?: WrittenFact<string>;
  tensorrt?: WrittenFact<string>;
  onnxruntime?: WrittenFact<string>;
  /** Whether TensorRT on this line can use this device's DLA cores (required when the device has DLA). */
  dla?: WrittenFact<boolean>;
}

/** A `targets/<id>.json` file. */
export interface WrittenTargetProfile {
  /** Editor hint, "./schema.json". */
  $schema?: string;
  schemaVersion: number;
  /** kebab-case; equals the file name without `.json` for shipped profiles. */
  id: string;
  name: string;
  kind: TargetKind;
  aliases?: string[];
  description?: string;
  /** Caveats a person should read before trusting the profile. */
  notes?: string[];
  gpu?: WrittenGpu;
  cpu: WrittenCpu;
  memory: WrittenMemory;
  reserve: WrittenReserve;
  dla?: WrittenDla;
  throughput: WrittenThroughput;
  power?: WrittenPower;
  software: WrittenSoftwareLine[];
  /** How INT8 packages are written for this target (default: by its runtime, see defaults.ts). */
  int8Format?: Int8Format;
}
