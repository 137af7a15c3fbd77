/**
 * The model package format: the unit every toolchain step consumes and the runtime, bundles and
 * OTA ship. A package is a directory holding `ringmoe.json` (this type), one ONNX graph per entry
 * and ONNX external-data weight files shared by all graphs, one file per expert.
 *
 * Types only, plus constants; reading and verifying is in `open-package.ts` and `manifest-check.ts` beside it.
 */
import type { DType } from '../core/dtype.js';
import type { ModalityId, ModalitySpec, TaskId } from '../core/modalities.js';
import type { SensorConfig } from '../sensors/bands/sensor-config.js';
import type { ChannelNormalisation } from '../sensors/radiometry/normalisation.js';
import type { VlmManifest } from './vlm-manifest.js';

export const PACKAGE_MANIFEST_FILE = 'ringmoe.json';
export const PACKAGE_FORMAT = 'ringmoe-edge/package';
export const PACKAGE_FORMAT_VERSION = 1;
/** Present in a package directory while a writer is still filling it. */
export const PACKAGE_INCOMPLETE_MARKER = '.incomplete';

/** Element types a package's graph inputs and outputs use (defined in core: backends and the addon share it). */
export type { DType };

/** One graph input or output. A string dimension is symbolic (`N` = batch). */
export interface TensorSpec {
  name: string;
  dtype: DType;
  shape: (number | string)[];
  description?: string;
}

export interface InputSpec extends TensorSpec {
  /** `image` for single-frame entries; `image-t0`/`image-t1` for change detection; `image:<modality>` for fusion. */
  role: string;
  modality?: ModalityId;
  /** Always NCHW float for RingMoE entries. */
  layout?: 'NCHW' | 'NHWC' | 'other';
}

export type OutputKind =
  | 'logits'
  | 'probabilities'
  | 'class-map'
  | 'boxes'
  | 'oriented-boxes'
  | 'quads'
  | 'scores'
  | 'classes'
  | 'count'
  | 'change-probability'
  | 'depth'
  | 'features'
  | 'embedding'
  | 'raw';

export interface OutputSpec extends TensorSpec {
  task: TaskId;
  kind: OutputKind;
  /** Output stride relative to the input, for dense maps. */
  stride?: number;
  /** Documented value range, when bounded. */
  range?: [number, number];
}

/** `vision`, `prefix` and `decoder` are the graphs of an RS-MoE (vision-language) package. */
export type EntryKind = 'modality' | 'fusion' | 'change' | 'imported' | 'vision' | 'prefix' | 'decoder';

/** One entry point: one ONNX graph. */
export interface EntryManifest {
  name: string;
  kind: EntryKind;
  /** Graph file, relative to the package root. */
  graph: string;
  modalities: ModalityId[];
  tasks: TaskId[];
  inputs: InputSpec[];
  outputs: OutputSpec[];
  /** Weight files (relative paths) the graph's external data references. */
  weightFiles: string[];
  /** MoE node clusters in this graph, one per (pass, block). Absent for imported models. */
  moe?: MoeClusterRecord[];
}

export type ExpertKind = 'modal' | 'collaborative' | 'shared' | 'dense';

/** Names of one FFN expert's tensors: Linear(d→h), GELU, Linear(h→d). Weights are stored [in, out]. */
export interface FfnTensors {
  fc1Weight: string;
  fc1Bias: string;
  fc2Weight: string;
  fc2Bias: string;
}

export interface ExpertRecord {
  /** e.g. `s2.b1.modal.optical.3`, `s2.b1.collaborative.0`, `s2.b1.shared`, `s2.b1.dense`. */
  id: string;
  kind: ExpertKind;
  modality?: ModalityId;
  /** Index inside its group in the unpruned model (stable across pruning). */
  index: number;
  /** Router that selects this expert; absent for shared/dense experts. */
  router?: string;
  /** The weight file holding exactly this expert's tensors. */
  file: string;
  tensors: FfnTensors;
  dim: number;
  hidden: number;
  params: number;
  /** How a pruned/collapsed expert was made. */
  origin?: { strategy: string; from: string[]; note?: string };
}

export interface RouterRecord {
  /** e.g. `s2.b1.router.modal.optical`, `s2.b1.router.collaborative`. */
  id: string;
  kind: 'modal' | 'collaborative';
  modality?: ModalityId;
  file: string;
  /** Weight tensor [dim, experts.length], bias-free. */
  weight: string;
  /** Expert ids in router output order. */
  experts: string[];
  params: number;
}

export interface BlockExpertMap {
  /** `s<stage>.b<block>`, both 1-based for stage and 0-based for block, e.g. `s3.b7`. */
  id: string;
  stage: number;
  block: number;
  dim: number;
  hidden: number;
  routers: RouterRecord[];
  experts: ExpertRecord[];
}

/** The MoE layer of one block, as lowered in one graph for one modality's tokens. */
export interface MoeClusterRecord {
  block: string;
  /** Modality whose tokens pass through this cluster. */
  pass: ModalityId;
  /** Token tensor [T, dim] entering the MoE. */
  input: string;
  /** Tensor [T, dim] leaving it (modal + collaborative + shared). */
  output: string;
  lowering: 'sparse' | 'dense';
  /** Every node of the cluster. */
  nodes: string[];
  /** Nodes per expert or router id (a subset of `nodes`); the rest is dispatch/combine glue. */
  owners: Record<string, string[]>;
  /** Tensor holding the router's chosen expert index [T] (int64), per router id; exposed by `calibrate`. */
  routerOutputs: Record<string, string>;
}

export interface ExpertMap {
  blocks: BlockExpertMap[];
}

export type FileRole =
  'graph' | 'weights' | 'report' | 'engine' | 'build-spec' | 'calibration' | 'timing-cache' | 'labels' | 'other';

export interface FileRecord {
  sha256: string;
  size: number;
  role: FileRole;
}

/** One step in the history of a package. */
export interface LineageStep {
  step: 'reference' | 'import' | 'prune' | 'quantize' | 'compile' | string;
  /** sha256 of the source package's ringmoe.json. */
  sourcePackage?: string;
  sourceName?: string;
  /** Step parameters (strategy, keep fractions, precision, ...). */
  params: Record<string, unknown>;
  /** sha256 of the routing statistics used, if any. */
  statsSha256?: string;
  tool: string;
}

export interface ModelInfo {
  /** Named config this model follows, if any. */
  configName?: string;
  /** Architecture config (written form), absent for imported models. */
  config?: Record<string, unknown>;
  /** Fixed spatial input size of every image input. */
  inputSize?: { height: number; width: number };
  seed?: number;
  lowering?: 'sparse' | 'dense';
  precision: 'fp32' | 'fp16' | 'int8' | 'mixed';
  opset: number;
  /** Learnable parameters of this package: backbone (as the paper counts tiers), task heads, total. */
  params: { backbone: number; heads: number; total: number };
  /**
   * How frames of each modality must be preprocessed for this model (what it was trained with).
   * The runtime and `ringmoe-edge run` use it as the defaults; options a caller passes override it.
   * Absent: the SDK's defaults (RingMoE pre-training's preprocessing).
   */
  preprocessing?: Partial<Record<ModalityId, ModalityPreprocessing>>;
}

/**
 * Preprocessing a package declares for one modality (each field optional; see PreprocessOptions).
 * @example
 * // A classifier trained on 3×3 Landsat MSS patches in DN, upsampled by pixel replication:
 * { stretch: 'none', interpolation: 'nearest', fit: 'resize' }
 */
export interface ModalityPreprocessing {
  /** Multispectral / SAR-L2 stretch: `released`, `precise` or `none` (absolute 8-bit values). */
  stretch?: 'released' | 'precise' | 'none';
  /** Resampling kernel of the resize modes. */
  interpolation?: 'nearest' | 'bilinear' | 'bicubic';
  /** How a frame is fitted to the input size. */
  fit?: 'resize' | 'resize-crop' | 'tile';
  /** Where stretch statistics come from (tile mode). */
  statistics?: 'tile' | 'frame';
  /**
   * Per-channel mean/std (8-bit units, one per model channel) the model was trained with, replacing
   * RingMoE pre-training's ImageNet statistics; e.g. a Landsat MSS classifier trained on its own band
   * statistics. Not for SAR-L1.
   */
  normalise?: ChannelNormalisation;
  /**
   * Sensor configuration for frames that name none (band order and names, scale/offset, no data);
   * a frame's own `sensor` wins. Its `modality` must be this modality.
   */
  sensor?: SensorConfig;
}

export interface PackageManifest {
  format: typeof PACKAGE_FORMAT;
  formatVersion: number;
  name: string;
  /** `rsmoe`: a vision-language MoE (see `vlm`). */
  kind: 'ringmoe' | 'imported' | 'rsmoe';
  model: ModelInfo;
  modalities: ModalitySpec[];
  labels?: Partial<Record<TaskId, string[]>>;
  entries: EntryManifest[];
  experts?: ExpertMap;
  /** Every file of the package but ringmoe.json itself, keyed by relative POSIX path. */
  files: Record<string, FileRecord>;
  lineage: LineageStep[];
  /** Relative paths of reports (also listed in `files`). */
  reports?: Record<string, string>;
  /** RS-MoE packages: tokenizer, vision graph, expert decoders, router templates, fusion. */
  vlm?: VlmManifest;
  /** Free-form, for tools that add data (target id, engines, ...). */
  extensions?: Record<string, unknown>;
}
