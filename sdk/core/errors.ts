/**
 * The one error class of ringmoe-edge. Every failure a caller can act on is an {@link EdgeError}
 * with a stable {@link ErrorCode}; messages name the file and/or field at fault and, where there is
 * one, the next thing to try.
 */

/** Stable error codes. Append new codes; never rename or reuse one. */
export const ERROR_CODES = {
  // arguments and configuration
  E_INVALID_ARGUMENT: 'an argument or option has the wrong type or value',
  E_CONFIG: 'a configuration file or object is invalid',
  E_UNKNOWN_CONFIG: 'no model configuration has that name',
  E_UNKNOWN_MODALITY: 'no sensor modality has that id',
  E_UNKNOWN_TASK: 'no task has that id',
  E_UNKNOWN_TARGET: 'no device target has that id',
  E_TARGET_PROFILE: 'a device target profile is malformed',
  // files and formats
  E_FILE_NOT_FOUND: 'a file or directory does not exist',
  E_IO: 'reading or writing a file failed',
  E_ONNX_PARSE: 'a file is not a readable ONNX model',
  E_ONNX_INVALID: 'an ONNX model is structurally invalid',
  E_EXTERNAL_DATA: 'ONNX external data is missing, out of range or unreadable',
  E_PACKAGE_MANIFEST: 'a package manifest (ringmoe.json) is missing or invalid',
  E_PACKAGE_FILE_MISSING: 'a file listed in a package manifest is missing',
  E_PACKAGE_SIZE_MISMATCH: 'a package file has another size than its manifest says',
  E_PACKAGE_HASH_MISMATCH: 'a package file has another sha256 than its manifest says',
  E_PACKAGE_INCOMPLETE: 'a package directory was left half-written by an interrupted run',
  E_OUTPUT_EXISTS: 'the output path already exists',
  // toolchain
  E_PRUNE: 'pruning cannot be applied as asked',
  E_STATS_MISMATCH: 'routing statistics belong to another package',
  E_PLAN_INFEASIBLE: 'no plan fits the target and constraints',
  E_QUANTIZE: 'quantization failed',
  E_CALIBRATION: 'calibration data is unusable',
  E_CHECKPOINT_FORMAT:
    'a file is not a readable checkpoint (MindSpore .ckpt or safetensors): bad header, varint or field',
  E_CHECKPOINT_TRUNCATED: 'a checkpoint file ends before a field or tensor it declares',
  E_CHECKPOINT_RANGE: "a checkpoint tensor's offsets or dims do not fit its data",
  E_CHECKPOINT_DTYPE: 'a checkpoint tensor has a dtype the converter does not read',
  E_CHECKPOINT_MISMATCH: "a checkpoint's tensors do not match the model config (missing, unexpected or mis-shaped)",
  E_CHECKPOINT_FOREIGN: "a checkpoint holds another model family's tensors than the converter maps",
  E_CHECKPOINT_UNTRAINED_HEADS: 'the config asks for task heads the checkpoint does not hold',
  E_FIDELITY_FLOOR:
    'a quantized model stays below the fidelity floor on held-out frames (pass --accept-loss to keep it anyway)',
  // runtime
  E_BACKEND_UNAVAILABLE: 'the requested inference backend is not available here',
  E_BACKEND_INIT: 'an inference backend failed to load a model',
  E_INFERENCE: 'running a model failed',
  E_FRAME_DECODE: 'a sensor frame could not be decoded',
  E_FRAME_INVALID: 'a sensor frame does not fit the model input',
  E_CLOSED: 'the object was already closed',
  // TensorRT
  E_ENGINE_STALE: 'a cached TensorRT engine does not match this model, device or TensorRT version',
  E_ENGINE_FOREIGN: 'a file is not a TensorRT engine this runtime can load',
  E_ENGINE_BUILD: 'building a TensorRT engine failed',
  // MQTT
  E_MQTT_OFFLINE: 'the MQTT broker is unreachable',
  E_MQTT_PROTOCOL: 'the MQTT broker refused an operation',
  E_OUTBOX: 'the durable outbox failed',
  E_MQTT_PAYLOAD: 'an MQTT message payload is malformed',
  E_MQTT_TLS: 'the TLS handshake with the MQTT broker failed (client certificate refused, or the broker not trusted)',
  // OTA
  E_SIGNATURE: 'a signature is missing, malformed or does not verify',
  E_UNTRUSTED_KEY: 'a bundle is signed by a key the device does not trust',
  E_BUNDLE_INVALID: 'a bundle or its manifest is malformed',
  E_BLOB_HASH: 'a blob does not match its content hash',
  E_BLOB_MISSING: 'a blob a bundle needs cannot be found',
  E_TARGET_MISMATCH: 'a bundle or package was made for another target',
  E_DOWNGRADE: 'an update would install an older version without a signed rollback',
  E_PATH_UNSAFE: 'a path escapes its directory or names a link',
  E_HEALTH_CHECK: 'a model failed its health check after an update',
  E_SDK_VERSION: 'a bundle needs a newer SDK than this one',
  E_REPLAY: 'a desired state is older than one the device already saw, or has expired',
  E_INTERNAL: 'an internal invariant failed (a bug: please report it)',
  E_MODEL_OUTPUT: 'a model output does not match its documented contract (shape, type or range)',
  E_FRAME_DROPPED: 'a live frame was dropped because the pipeline was full (drop-oldest policy)',
  E_DATASET: 'a labelled dataset file is malformed or does not have the rows asked for',
  E_LABELS_MISMATCH: "a model package's class labels do not cover the classes of a dataset",
  E_FILE_TOO_LARGE: 'a file is larger than the limit for what it should be',
  E_JSON_TOO_LARGE: 'a JSON document is larger than its byte limit',
  E_JSON_TOO_DEEP: 'a JSON document nests deeper than its limit',
  E_JSON_STRING_TOO_LONG: 'a JSON document has a string longer than its limit',
  E_STATE_DAMAGED: 'a state file (outbox log, bdSeq) was damaged; what could be read was kept',
} as const;

/** A stable, documented error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Where an error is, when it is about a file or a field in one. */
export interface ErrorLocation {
  /** File the problem is in (as the user named it, or relative to a package). */
  file?: string;
  /** Field or path inside that file or options object, e.g. `entries[2].graph`. */
  field?: string;
  /** What to do next, when there is something to do. */
  hint?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * An error with a stable code. `message` is complete on its own: it names the file and field
 * (when known) and the problem.
 *
 * @example
 * throw new EdgeError('E_PACKAGE_FILE_MISSING', 'weights/trunk.bin is listed but absent', { file: 'pkg/ringmoe.json' });
 */
export class EdgeError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** File the error is about, if any. */
  readonly file?: string;
  /** Field inside {@link EdgeError.file} or an options object, if any. */
  readonly field?: string;
  /** Suggested next step, if any. */
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, location: ErrorLocation = {}) {
    const where = [location.file, location.field].filter(Boolean).join(': ');
    const full = `${where ? `${where}: ` : ''}${message}${location.hint ? ` (${location.hint})` : ''}`;
    super(full, location.cause === undefined ? undefined : { cause: location.cause });
    this.name = 'EdgeError';
    this.code = code;
    if (location.file !== undefined) this.file = location.file;
    if (location.field !== undefined) this.field = location.field;
    if (location.hint !== undefined) this.hint = location.hint;
  }

  /** A plain object for `--json` output and MQTT error events. */
  toJSON(): { code: ErrorCode; message: string; file?: string; field?: string; hint?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.file !== undefined ? { file: this.file } : {}),
      ...(this.field !== undefined ? { field: this.field } : {}),
      ...(this.hint !== undefined ? { hint: this.hint } : {}),
    };
  }
}

/** True when `err` is an {@link EdgeError}, optionally with the given code. */
export function isEdgeError(err: unknown, code?: ErrorCode): err is EdgeError {
  return err instanceof EdgeError && (code === undefined || err.code === code);
}

/** Message of any thrown value, for wrapping foreign errors. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
