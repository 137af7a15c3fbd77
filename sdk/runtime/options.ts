/**
 * Runtime options: written form → resolved form, every value checked once at the public edge.
 */
import { availableParallelism } from 'node:os';
import { EdgeError } from '../core/errors.js';
import { expectInteger, expectOneOf, invalidOption, is, rejectUnknownKeys } from '../core/validate.js';
import type { Clock } from '../core/clock.js';
import { resolvePublisherOptions, type ResultPublisherOptions } from '../mqtt/options.js';
import { systemClock } from '../core/clock.js';
import { resolvePreprocessOptions, type PreprocessOptions } from '../sensors/preprocess/preprocess-options.js';
import type { Backend } from '../core/backend.js';
import type { BackendChoice, OrtSessionThread } from './backend-choice.js';
import type { TaskOptions } from '../pipeline/results.js';
import { checkTaskOptions } from './task-options.js';

/** MQTT publishing: the publisher's options; the runtime fills in the model version. */
export type RuntimeMqttOptions = Omit<ResultPublisherOptions, 'modelVersion'>;

/** Options of {@link createRuntime}; only `package` is required. */
export interface RuntimeOptions {
  /** Model package directory. */
  package: string;
  /** `auto` (default): TensorRT where the addon and a GPU are present, else onnxruntime. */
  backend?: BackendChoice;
  /** Entries loaded at start (default: every single-modality entry); others load on first use. */
  entries?: string[];
  /** Package verification at load: `full` (default, sha256 of every file) or `size`. */
  verify?: 'full' | 'size';
  /** Preprocessing options (the input size comes from the package). */
  preprocess?: Omit<PreprocessOptions, 'inputSize'>;
  /**
   * Model input size for a package whose input has symbolic height and width (an imported dynamic
   * model such as a text detector); a package with a fixed size ignores nothing: frames must then
   * fit it.
   */
  inputSize?: { width: number; height: number };
  /** Per-task post-processing options; `false` turns a task off. */
  tasks?: TaskOptions;
  /** Batching: at most `max` model inputs per engine call, waiting at most `deadlineMs` to fill a batch. */
  batch?: { max?: number; deadlineMs?: number };
  /** Frames waiting for preprocessing: capacity and what a full queue does (live: drop-oldest; archive: block). */
  queue?: { capacity?: number; policy?: 'drop-oldest' | 'block' };
  /** Preprocessing worker threads; 0 preprocesses on the main thread. Default: cores − 1, at most 2. */
  workers?: number;
  /** Intra-op threads of CPU backends. */
  threads?: number;
  /**
   * The built-in onnxruntime backend. `sessionThread`: `worker` (default) runs each model session
   * in a worker thread of its own, so post-processing, MQTT and the application's I/O go on while a
   * model runs; `main` runs sessions on the runtime's thread (onnxruntime-node then blocks the event
   * loop for each load and each batch). Not with `backends.onnxruntime`.
   */
  onnxruntime?: { sessionThread?: OrtSessionThread };
  /**
   * Hand a frame's pixel buffer to a preprocessing worker instead of copying it (default false).
   * Saves a copy of large raw rasters; the caller's typed array is detached (length 0) afterwards.
   */
  transferPixels?: boolean;
  /** Publish results, state and metrics over MQTT. */
  mqtt?: RuntimeMqttOptions;
  /** Publish metrics every this many ms (default 10 000) when MQTT is on. */
  metricsIntervalMs?: number;
  /** Backend-specific options (TensorRT: cacheDir, dlaCore, precision, build, ...). */
  backendOptions?: Record<string, unknown>;
  /** Backend implementations to use instead of the built-in ones (custom backends, tests). */
  backends?: { tensorrt?: Backend; onnxruntime?: Backend };
  /**
   * Time of the runtime (default: the system clock): the periodic metrics, the timestamp of tensor
   * results given none, and the MQTT publisher's unless `mqtt.clock` names its own. Tests pass a
   * `ManualClock` to drive time by hand.
   */
  clock?: Clock;
}

/** Runtime options with every default filled in. */
export interface ResolvedRuntimeOptions {
  package: string;
  backend: BackendChoice;
  entries?: string[];
  verify: 'full' | 'size';
  preprocess: Omit<PreprocessOptions, 'inputSize'>;
  inputSize?: { width: number; height: number };
  tasks: TaskOptions;
  batchMax: number;
  batchDeadlineMs: number;
  queueCapacity: number;
  queuePolicy: 'drop-oldest' | 'block';
  workers: number;
  threads?: number;
  ortSessionThread: OrtSessionThread;
  transferPixels: boolean;
  mqtt?: RuntimeMqttOptions;
  metricsIntervalMs: number;
  backendOptions: Record<string, unknown>;
  backends?: { tensorrt?: Backend; onnxruntime?: Backend };
  clock: Clock;
}

const KEYS = [
  'package',
  'backend',
  'entries',
  'verify',
  'preprocess',
  'inputSize',
  'tasks',
  'batch',
  'queue',
  'workers',
  'threads',
  'onnxruntime',
  'transferPixels',
  'mqtt',
  'metricsIntervalMs',
  'backendOptions',
  'backends',
  'clock',
];

/**
 * Checks runtime options and fills in the defaults (nested publisher, preprocessing and task options
 * are checked by their own modules when used).
 * @throws EdgeError E_INVALID_ARGUMENT naming the option
 * @example
 * resolveRuntimeOptions({ package: 'pkg/tiny', batch: { max: 8 } }).batchDeadlineMs; // 5
 */
export function resolveRuntimeOptions(o: unknown): ResolvedRuntimeOptions {
  if (!is.object(o)) throw invalidOption('options', 'an object with at least { package }', o);
  rejectUnknownKeys('options', o, KEYS);
  if (!is.nonEmptyString(o.package))
    throw invalidOption('options.package', 'the path of a model package directory', o.package);
  const backend = expectOneOf('options.backend', o.backend ?? 'auto', ['auto', 'onnxruntime', 'tensorrt'] as const);
  if (
    o.entries !== undefined &&
    (!Array.isArray(o.entries) || o.entries.length === 0 || !o.entries.every(is.nonEmptyString))
  ) {
    throw invalidOption('options.entries', 'a non-empty array of entry names', o.entries);
  }
  const verify = expectOneOf('options.verify', o.verify ?? 'full', ['full', 'size'] as const);
  for (const k of [
    'preprocess',
    'tasks',
    'batch',
    'queue',
    'backendOptions',
    'backends',
    'mqtt',
    'onnxruntime',
  ] as const) {
    if (o[k] !== undefined && !is.object(o[k])) throw invalidOption(`options.${k}`, 'an object', o[k]);
  }
  if (is.object(o.preprocess) && 'inputSize' in o.preprocess) {
    throw new EdgeError('E_INVALID_ARGUMENT', 'options.preprocess.inputSize comes from the package and cannot be set', {
      field: 'options.preprocess.inputSize',
      hint: 'for a package with symbolic height and width, set options.inputSize',
    });
  }
  if (o.inputSize !== undefined) {
    if (!is.object(o.inputSize)) throw invalidOption('options.inputSize', 'an object { width, height }', o.inputSize);
    rejectUnknownKeys('options.inputSize', o.inputSize, ['width', 'height']);
    expectInteger('options.inputSize.width', (o.inputSize as Record<string, unknown>).width, 1, 16384);
    expectInteger('options.inputSize.height', (o.inputSize as Record<string, unknown>).height, 1, 16384);
  }
  const batch = (o.batch ?? {}) as Record<string, unknown>;
  rejectUnknownKeys('options.batch', batch, ['max', 'deadlineMs']);
  const queue = (o.queue ?? {}) as Record<string, unknown>;
  rejectUnknownKeys('options.queue', queue, ['capacity', 'policy']);
  const tasks = checkTaskOptions((o.tasks ?? {}) as Record<string, unknown>);
  if (o.preprocess !== undefined)
    nested('options.preprocess', () => resolvePreprocessOptions({ ...(o.preprocess as object), inputSize: 1 }));
  if (is.object(o.mqtt) && 'modelVersion' in o.mqtt) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      'options.mqtt.modelVersion is set by the runtime from the serving model',
      { field: 'options.mqtt.modelVersion' },
    );
  }
  if (o.mqtt !== undefined) nested('options.mqtt', () => resolvePublisherOptions(o.mqtt as ResultPublisherOptions));
  if (o.transferPixels !== undefined && typeof o.transferPixels !== 'boolean')
    throw invalidOption('options.transferPixels', 'a boolean', o.transferPixels);
  const clock = resolveClock(o.clock);
  const ortSessionThread = resolveOrtOptions(
    o.onnxruntime as Record<string, unknown> | undefined,
    o.backends as Record<string, unknown> | undefined,
  );
  const defaultWorkers = Math.max(0, Math.min(2, availableParallelism() - 1));
  return {
    package: o.package,
    backend,
    ...(o.entries !== undefined ? { entries: o.entries as string[] } : {}),
    verify,
    preprocess: (o.preprocess ?? {}) as ResolvedRuntimeOptions['preprocess'],
    ...(o.inputSize !== undefined
      ? {
          inputSize: {
            width: (o.inputSize as { width: number }).width,
            height: (o.inputSize as { height: number }).height,
          },
        }
      : {}),
    tasks,
    batchMax: expectInteger('options.batch.max', batch.max ?? 4, 1, 256),
    batchDeadlineMs: expectInteger('options.batch.deadlineMs', batch.deadlineMs ?? 5, 0, 60_000),
    queueCapacity: expectInteger('options.queue.capacity', queue.capacity ?? 8, 1, 10_000),
    queuePolicy: expectOneOf('options.queue.policy', queue.policy ?? 'block', ['drop-oldest', 'block'] as const),
    workers: expectInteger('options.workers', o.workers ?? defaultWorkers, 0, 64),
    ...(o.threads !== undefined ? { threads: expectInteger('options.threads', o.threads, 1, 256) } : {}),
    ortSessionThread,
    transferPixels: o.transferPixels === true,
    ...(o.mqtt !== undefined ? { mqtt: o.mqtt as RuntimeMqttOptions } : {}),
    metricsIntervalMs: expectInteger('options.metricsIntervalMs', o.metricsIntervalMs ?? 10_000, 100, 3_600_000),
    backendOptions: (o.backendOptions ?? {}) as Record<string, unknown>,
    ...(o.backends !== undefined ? { backends: o.backends as ResolvedRuntimeOptions['backends'] } : {}),
    clock,
  };
}

/** `options.clock`, checked: an object with `now`, `setTimeout` and `clearTimeout`. */
function resolveClock(clock: unknown): Clock {
  if (clock === undefined) return systemClock;
  const fns = ['now', 'setTimeout', 'clearTimeout'] as const;
  if (!is.object(clock) || !fns.every((f) => typeof (clock as Record<string, unknown>)[f] === 'function')) {
    throw invalidOption('options.clock', 'a Clock: an object with now(), setTimeout() and clearTimeout()', clock);
  }
  return clock as unknown as Clock;
}

/** `options.onnxruntime.sessionThread`, checked (a custom onnxruntime backend decides that itself). */
function resolveOrtOptions(
  ort: Record<string, unknown> | undefined,
  backends: Record<string, unknown> | undefined,
): OrtSessionThread {
  if (ort === undefined) return 'worker';
  rejectUnknownKeys('options.onnxruntime', ort, ['sessionThread']);
  const thread = expectOneOf('options.onnxruntime.sessionThread', ort.sessionThread ?? 'worker', [
    'worker',
    'main',
  ] as const);
  if (ort.sessionThread !== undefined && backends?.onnxruntime !== undefined) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      'options.onnxruntime.sessionThread applies to the built-in onnxruntime backend, not to options.backends.onnxruntime',
      {
        field: 'options.onnxruntime.sessionThread',
        hint: 'leave one of them out',
      },
    );
  }
  return thread;
}

/** Runs a nested resolver whose errors name `options.<key>`, renaming them `<prefix>.<key>`. */
function nested(prefix: string, check: () => unknown): void {
  try {
    check();
  } catch (err) {
    if (!(err instanceof EdgeError) || err.code !== 'E_INVALID_ARGUMENT') throw err;
    const rename = (text: string) => text.replace(/\boptions\./g, `${prefix}.`).replace(/\boptions\b(?!\.)/g, prefix);
    const where = [err.file, err.field].filter(Boolean).join(': ');
    throw new EdgeError('E_INVALID_ARGUMENT', rename(err.message.slice(where ? where.length + 2 : 0)), {
      ...(err.field ? { field: rename(err.field) } : {}),
      cause: err,
    });
  }
}

/**
 * Checks the source of `runtime.run(source)`: frames in an array, a generator or an async generator.
 * @throws EdgeError E_INVALID_ARGUMENT (field `source`)
 */
export function checkSource(source: unknown): void {
  const iterable =
    typeof source === 'object' && source !== null && (Symbol.asyncIterator in source || Symbol.iterator in source);
  if (!iterable) {
    throw invalidOption(
      'source',
      'an iterable or async iterable of frames (array, generator, async generator)',
      source,
      {
        ...(typeof source === 'string'
          ? { hint: 'for files, pass frames such as [{ id, modality, pixels: path, timestamp }]' }
          : {}),
      },
    );
  }
}

/** Options of `runtime.run(source, options)`. */
export interface RunOptions {
  /** `block` for archives (no frame dropped), `drop-oldest` for live sensors (default: `queue.policy`). */
  policy?: 'drop-oldest' | 'block';
  /** Capacity of the stream's admission and ready queues (default: `queue.capacity`). */
  capacity?: number;
}

/**
 * Checks the options of one `run()` and fills them from the runtime's queue options.
 * @throws EdgeError E_INVALID_ARGUMENT naming the option
 * @example
 * resolveRunOptions({ policy: 'drop-oldest' }, resolved); // { policy: 'drop-oldest', capacity: 8 }
 */
export function resolveRunOptions(
  options: unknown,
  runtime: Pick<ResolvedRuntimeOptions, 'queuePolicy' | 'queueCapacity'>,
): Required<RunOptions> {
  if (options === undefined) return { policy: runtime.queuePolicy, capacity: runtime.queueCapacity };
  if (!is.object(options)) throw invalidOption('options', 'an object like { policy, capacity }', options);
  rejectUnknownKeys('options', options, ['policy', 'capacity']);
  return {
    policy: expectOneOf('options.policy', options.policy ?? runtime.queuePolicy, ['drop-oldest', 'block'] as const),
    capacity: expectInteger('options.capacity', options.capacity ?? runtime.queueCapacity, 1, 10_000),
  };
}
