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
export * from './sensors/index.js';
export * from './tasks/index.js';
