/**
 * Runtime options checked once at the public edge: the written form → the resolved form, one
 * helper per option group, and the source and options of `runtime.run`.
 */
import { availableParallelism } from 'node:os';
import { EdgeError } from '../core/errors.js';
import { expectInteger, expectOneOf, invalidOption, is, rejectUnknownKeys } from '../core/validate.js';
import type { Clock } from '../core/clock.js';
import { resolvePublisherOptions, type ResultPublisherOptions } from '../mqtt/options.js';
import { systemClock } from '../core/clock.js';
import { resolvePreprocessOptions } from '../sensors/preprocess/preprocess-options.js';
import type { OrtSessionThread } from './backend-choice.js';
import type { ResolvedRuntimeOptions, RunOptions, RuntimeMqttOptions } from './options.js';
import { checkTaskOptions } from './task-options.js';

/** The written options, once known to be an object. */
type Written = Record<string, unknown>;

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

/** The options that must be objects when given. */
const OBJECT_KEYS = [
  'preprocess',
  'tasks',
  'batch',
  'queue',
  'backendOptions',
  'backends',
  'mqtt',
  'onnxruntime',
] as const;

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
  const pkg = resolvePackageOptions(o);
  for (const k of OBJECT_KEYS) {
    if (o[k] !== undefined && !is.object(o[k])) throw invalidOption(`options.${k}`, 'an object', o[k]);
  }
  const inputSize = resolveInputSize(o);
  const batch = (o.batch ?? {}) as Written;
  rejectUnknownKeys('options.batch', batch, ['max', 'deadlineMs']);
  const queue = (o.queue ?? {}) as Written;
  rejectUnknownKeys('options.queue', queue, ['capacity', 'policy']);
  const tasks = checkTaskOptions((o.tasks ?? {}) as Written);
  checkNestedOptions(o);
  if (o.transferPixels !== undefined && typeof o.transferPixels !== 'boolean')
    throw invalidOption('options.transferPixels', 'a boolean', o.transferPixels);
  const clock = resolveClock(o.clock);
  const ortSessionThread = resolveOrtOptions(o.onnxruntime as Written | undefined, o.backends as Written | undefined);
  return {
    ...pkg,
    preprocess: (o.preprocess ?? {}) as ResolvedRuntimeOptions['preprocess'],
    ...inputSize,
    tasks,
    ...resolveBatching(batch, queue),
    ...resolveThreads(o),
    ortSessionThread,
    transferPixels: o.transferPixels === true,
    ...(o.mqtt !== undefined ? { mqtt: o.mqtt as RuntimeMqttOptions } : {}),
    metricsIntervalMs: expectInteger('options.metricsIntervalMs', o.metricsIntervalMs ?? 10_000, 100, 3_600_000),
    backendOptions: (o.backendOptions ?? {}) as Record<string, unknown>,
    ...(o.backends !== undefined ? { backends: o.backends as ResolvedRuntimeOptions['backends'] } : {}),
    clock,
  };
}

/** The package and how it is opened: `package`, `backend`, `entries`, `verify`, checked. */
function resolvePackageOptions(o: Written): Pick<ResolvedRuntimeOptions, 'package' | 'backend' | 'entries' | 'verify'> {
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
  return {
    package: o.package,
    backend,
    ...(o.entries !== undefined ? { entries: o.entries as string[] } : {}),
    verify,
  };
}

/** `options.inputSize`, checked, and kept out of `options.preprocess` (the package sets it there). */
function resolveInputSize(o: Written): Pick<ResolvedRuntimeOptions, 'inputSize'> {
  if (is.object(o.preprocess) && 'inputSize' in o.preprocess) {
    throw new EdgeError('E_INVALID_ARGUMENT', 'options.preprocess.inputSize comes from the package and cannot be set', {
      field: 'options.preprocess.inputSize',
      hint: 'for a package with symbolic height and width, set options.inputSize',
    });
  }
  if (o.inputSize === undefined) return {};
  if (!is.object(o.inputSize)) throw invalidOption('options.inputSize', 'an object { width, height }', o.inputSize);
  rejectUnknownKeys('options.inputSize', o.inputSize, ['width', 'height']);
  expectInteger('options.inputSize.width', o.inputSize.width, 1, 16384);
  expectInteger('options.inputSize.height', o.inputSize.height, 1, 16384);
  return {
    inputSize: {
      width: (o.inputSize as { width: number }).width,
      height: (o.inputSize as { height: number }).height,
    },
  };
}

/**
 * The options other modules resolve, checked by them with their errors renamed: `preprocess` and
 * `mqtt` (whose model version the runtime sets).
 */
function checkNestedOptions(o: Written): void {
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
}

/** `options.batch` and `options.queue` (their keys already checked), with the defaults. */
function resolveBatching(
  batch: Written,
  queue: Written,
): Pick<ResolvedRuntimeOptions, 'batchMax' | 'batchDeadlineMs' | 'queueCapacity' | 'queuePolicy'> {
  return {
    batchMax: expectInteger('options.batch.max', batch.max ?? 4, 1, 256),
    batchDeadlineMs: expectInteger('options.batch.deadlineMs', batch.deadlineMs ?? 5, 0, 60_000),
    queueCapacity: expectInteger('options.queue.capacity', queue.capacity ?? 8, 1, 10_000),
    queuePolicy: expectOneOf('options.queue.policy', queue.policy ?? 'block', ['drop-oldest', 'block'] as const),
  };
}

/** `options.workers` (default: cores − 1, at most 2) and `options.threads`, checked. */
function resolveThreads(o: Written): Pick<ResolvedRuntimeOptions, 'workers' | 'threads'> {
  const defaultWorkers = Math.max(0, Math.min(2, availableParallelism() - 1));
  return {
    workers: expectInteger('options.workers', o.workers ?? defaultWorkers, 0, 64),
    ...(o.threads !== undefined ? { threads: expectInteger('options.threads', o.threads, 1, 256) } : {}),
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
