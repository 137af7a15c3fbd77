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
export * from './core/package-manifest.js';
export type {
  Backend,
  BackendAvailability,
  BackendLoadOptions,
  BackendName,
  BackendSession,
  HostTensor,
  TypedArray,
} from './runtime/backend.js';
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
  TARGET_KINDS,
  UTILISATION,
  type Confidence,
  type Precision,
  type TargetKind,
  type TargetFact,
  type TargetProfile,
  type TargetLoadOptions,
  type TargetValidation,
  type ProfileIssue,
  type WrittenTargetProfile,
} from './core/targets/index.js';
