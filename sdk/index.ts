/**
 * ringmoe-edge SDK: the public API. Everything a vendor integrates is exported from here.
 * @packageDocumentation
 */
export { EdgeError, ERROR_CODES, isEdgeError, type ErrorCode, type ErrorLocation } from './core/errors.js';
export { VERSION } from './core/version.js';
export {
  BUILTIN_MODALITIES,
  MODALITY_SPECS,
  TASKS,
  resolveModality,
  type ModalityId,
  type ModalitySpec,
  type TaskId,
} from './core/modalities.js';
export * from './package/package-manifest.js';
// TensorRT (native addon, engine cache, build spec)
export {
  loadBinding,
  type BindingResult,
  type NativeBinding,
  type NativeDevice,
  type NativeVersions,
} from './core/binding.js';
export { TensorRtBackend, type TensorRtBackendDeps } from './runtime/backends/trt.js';
export type { TrtExtraOptions } from './runtime/backends/trt-options.js';
export { selectBackend, type BackendSelection } from './runtime/backends/select.js';
export { EngineCache, type CacheLookup, type CachedEngine } from './runtime/engine-cache/store.js';
export { keyHash, planStem, type EngineKey, type EngineTarget, type BatchProfile } from './runtime/engine-cache/key.js';
export { graphHashFromManifest, graphHashFromFiles } from './runtime/engine-cache/graph-hash.js';
export {
  checkBuildSpec,
  parseBuildSpec,
  BUILD_SPEC_FILE,
  type BuildSpec,
  type EngineSpec,
  type WrittenEngineSpec,
} from './runtime/engine-cache/build-spec.js';
export { readBuildSpec, loadOptionsFromSpec } from './runtime/engine-cache/spec-file.js';
export type { Backend, BackendAvailability, BackendLoadOptions, BackendName, BackendSession } from './core/backend.js';
export type { HostTensor, TypedArray } from './core/host-tensor.js';
export {
  loadTarget,
  listTargets,
  validateTargetProfile,
  assertValidTarget,
  targetsDir,
  TARGETS_DIR_ENV,
  bestPrecision,
  computePrecisions,
  effectiveThroughput,
  peakThroughput,
  modelMemoryBudget,
  tensorrtVersionsFor,
  dlaUsable,
  TargetProfileError,
  TARGET_PROFILE_SCHEMA,
  CONFIDENCE_LEVELS,
  PRECISIONS,
  INT8_FORMATS,
  TARGET_KINDS,
  UTILISATION,
  type Confidence,
  type Precision,
  type Int8Format,
  type TargetKind,
  type TargetFact,
  type TargetProfile,
  type TargetLoadOptions,
  type TargetValidation,
  type ProfileIssue,
  type WrittenTargetProfile,
} from './core/targets/index.js';
export * from './mqtt/index.js';
export * from './sensors/index.js';
export * from './tasks/index.js';
export * from './tracking/index.js';
export * from './metrics/index.js';
export { createRuntime, Runtime, type RunOptions } from './runtime/runtime.js';
export type {
  RuntimeEvents,
  CloseReport as RuntimeCloseReport,
  MqttEvent as RuntimeMqttEvent,
} from './runtime/runtime-events.js';
export {
  PATCH_UNCLASSIFIED,
  patchLandCover,
  type PatchClassShare,
  type PatchLandCover,
  type PatchLandCoverOptions,
  type PatchRunner,
} from './runtime/patch-landcover.js';
export type { RuntimeOptions, RuntimeMqttOptions } from './runtime/options.js';
export type {
  InferenceResult,
  FrameFailure,
  FrameOutcome,
  TaskOptions,
  TaskResults,
  LatencyBreakdown,
} from './pipeline/results.js';
export type { RuntimeMetrics } from './pipeline/metrics.js';
export { resultId, type RuntimeResultMessage } from './runtime/result-publishing.js';
export { LoadedModel } from './pipeline/loaded-model.js';
export { OrtBackend } from './runtime/backends/ort.js';
export { OrtWorkerBackend, type OrtWorkerBackendOptions } from './runtime/backends/ort-worker.js';
export { openPackage, type ModelPackage, type OpenPackageOptions } from './package/open-package.js';
export * from './ota/index.js';
export * from './vlm/index.js';
