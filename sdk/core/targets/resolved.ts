/**
 * The RESOLVED device target profile: what `loadTarget` returns after parse → normalize → rules.
 * Compared with the written form (written.ts): every optional section is present (null or empty),
 * every source is an array, every plain value of an attested record is a fact of its own, and the
 * values the toolchain computes with are derived once (sm string, bytes, bytes per second).
 */
import type { Confidence, CpuIsa, Int8Format, Precision, TargetKind, ThroughputScope } from './written.js';

/** A value with its provenance, normalized. */
export interface TargetFact<T> {
  value: T;
  confidence: Confidence;
  /** Source URLs; empty for derived, estimate, assumed and policy values. */
  sources: string[];
  note?: string;
}

/** What executes the model: TensorRT on the GPU, or onnxruntime on the CPU. */
export type TargetRuntime = 'tensorrt' | 'onnxruntime';

/** The GPU. */
export interface TargetGpu {
  architecture: TargetFact<string>;
  computeCapability: TargetFact<string>;
  /** `sm_87` for compute capability 8.7. */
  sm: string;
  otherComputeCapabilities: TargetFact<string[]> | null;
  cudaCores: TargetFact<number>;
  tensorCores: TargetFact<number>;
  maxClockMHz: TargetFact<number> | null;
  precisions: TargetFact<Precision[]>;
}

/** The host CPU. */
export interface TargetCpu {
  cores: TargetFact<number>;
  model: TargetFact<string> | null;
  isa: CpuIsa;
  precisions: TargetFact<Precision[]> | null;
}

/** The memory the model lives in. */
export interface TargetMemory {
  totalGiB: TargetFact<number>;
  /** totalGiB in bytes. */
  totalBytes: number;
  type: TargetFact<string> | null;
  busWidthBits: TargetFact<number> | null;
  bandwidthGBps: TargetFact<number>;
  /** bandwidthGBps in bytes per second. */
  bandwidthBytesPerSecond: number;
  unified: TargetFact<boolean>;
  hostGiB: TargetFact<number> | null;
}

/** Memory the model must not use. */
export interface TargetReserve {
  osGiB: TargetFact<number>;
  runtimeGiB: TargetFact<number>;
  pipelineGiB: TargetFact<number>;
  /** The three parts together, in bytes. */
  totalBytes: number;
}

/** DLA cores; count 0 and empty precisions where there are none. */
export interface TargetDla {
  count: TargetFact<number>;
  generation: TargetFact<string> | null;
  precisions: TargetFact<Precision[]>;
}

/** Published "AI performance" figures. */
export interface TargetPublishedThroughput {
  scope: ThroughputScope;
  int8SparseTops: TargetFact<number> | null;
  int8DenseTops: TargetFact<number> | null;
  fp4SparseTflops: TargetFact<number> | null;
}

/** Dense peak throughput of the unit that runs the model. */
export interface TargetThroughput {
  int8DenseTops: TargetFact<number> | null;
  fp16DenseTflops: TargetFact<number> | null;
  fp32Tflops: TargetFact<number> | null;
  published: TargetPublishedThroughput | null;
}

/** One named power mode. */
export interface TargetPowerMode {
  name: string;
  /** True for the set's default mode. */
  isDefault: boolean;
  watts: TargetFact<number | null>;
  gpuMaxMHz: TargetFact<number | null> | null;
  cpuCoresOnline: TargetFact<number> | null;
  int8SparseTops: TargetFact<number> | null;
  int8DenseTops: TargetFact<number> | null;
}

/** One nvpmodel configuration. */
export interface TargetPowerModeSet {
  name: string;
  defaultMode: string;
  minJetPack: TargetFact<string> | null;
  confidence: Confidence;
  sources: string[];
  note?: string;
  modes: TargetPowerMode[];
}

/** Power facts. */
export interface TargetPower {
  maxPowerW: TargetFact<number> | null;
  modeSets: TargetPowerModeSet[];
}

/** One software line. */
export interface TargetSoftwareLine {
  name: string;
  jetpack: string | null;
  /** Whether the line supports this device, with provenance. */
  support: TargetFact<true>;
  l4t: TargetFact<string> | null;
  cuda: TargetFact<string> | null;
  cudnn: TargetFact<string> | null;
  tensorrt: TargetFact<string> | null;
  onnxruntime: TargetFact<string> | null;
  /** False (confirmed by the data) on lines or devices without usable DLA. */
  dla: TargetFact<boolean>;
}

/** A validated, normalized device target profile. */
export interface TargetProfile {
  schemaVersion: number;
  id: string;
  name: string;
  kind: TargetKind;
  aliases: string[];
  description: string | null;
  notes: string[];
  /** File it was loaded from ("<inline>" when validated from an object). */
  file: string;
  runtime: TargetRuntime;
  gpu: TargetGpu | null;
  cpu: TargetCpu;
  memory: TargetMemory;
  reserve: TargetReserve;
  dla: TargetDla;
  throughput: TargetThroughput;
  power: TargetPower;
  software: TargetSoftwareLine[];
  /** How INT8 packages are written for this target: as written, else the runtime's default. */
  int8Format: { value: Int8Format; origin: 'profile' | 'runtime default' };
  /** Non-fatal findings of the rules (e.g. a line without a CUDA version). */
  warnings: string[];
}
