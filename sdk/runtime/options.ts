/**
 * Runtime options: written form → resolved form, every value checked once at the public edge.
 */
import { availableParallelism } from 'node:os';
import { EdgeError } from '../core/errors.js';
import { expectInteger, expectOneOf, invalidOption, is, rejectUnknownKeys } from '../core/validate.js';
import type { ResultPublisherOptions } from '../mqtt/options.js';
import type { PreprocessOptions } from '../sensors/preprocess-options.js';
import type { Backend } from './backend.js';
import type { BackendChoice } from './backend-choice.js';
import type { TaskOptions } from './results.js';

/** MQTT publishing: the publisher's options; the runtime fills in the model version. */
export type RuntimeMqttOptions = Omit<ResultPublisherOptions, 'modelVersion'>;

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
  /** Publish results, state and metrics over MQTT. */
  mqtt?: RuntimeMqttOptions;
  /** Publish metrics every this many ms (default 10 000) when MQTT is on. */
  metricsIntervalMs?: number;
  /** Backend-specific options (TensorRT: cacheDir, dlaCore, precision, build, ...). */
  backendOptions?: Record<string, unknown>;
  /** Backend implementations to use instead of the built-in ones (custom backends, tests). */
  backends?: { tensorrt?: Backend; onnxruntime?: Backend };
}

export interface ResolvedRuntimeOptions {
  package: string;
  backend: BackendChoice;
  entries?: string[];
  verify: 'full' | 'size';
  preprocess: Omit<PreprocessOptions, 'inputSize'>;
  tasks: TaskOptions;
  batchMax: number;
  batchDeadlineMs: number;
  queueCapacity: number;
  queuePolicy: 'drop-oldest' | 'block';
  workers: number;
  threads?: number;
  mqtt?: RuntimeMqttOptions;
  metricsIntervalMs: number;
  backendOptions: Record<string, unknown>;
  backends?: { tensorrt?: Backend; onnxruntime?: Backend };
}

const KEYS = ['package', 'backend', 'entries', 'verify', 'preprocess', 'tasks', 'batch', 'queue', 'workers', 'threads', 'mqtt', 'metricsIntervalMs', 'backendOptions', 'backends'];

/**
 * @throws EdgeError E_INVALID_ARGUMENT naming the option
 */
export function resolveRuntimeOptions(o: unknown): ResolvedRuntimeOptions {
  if (!is.object(o)) throw invalidOption('options', 'an object with at least { package }', o);
  rejectUnknownKeys('options', o, KEYS);
  if (!is.nonEmptyString(o.package)) throw invalidOption('options.package', 'the path of a model package directory', o.package);
  const backend = expectOneOf('options.backend', o.backend ?? 'auto', ['auto', 'onnxruntime', 'tensorrt'] as const);
  if (o.entries !== undefined && (!Array.isArray(o.entries) || o.entries.length === 0 || !o.entries.every(is.nonEmptyString))) {
    throw invalidOption('options.entries', 'a non-empty array of entry names', o.entries);
  }
  const verify = expectOneOf('options.verify', o.verify ?? 'full', ['full', 'size'] as const);
  for (const k of ['preprocess', 'tasks', 'batch', 'queue', 'backendOptions', 'backends', 'mqtt'] as const) {
    if (o[k] !== undefined && !is.object(o[k])) throw invalidOption(`options.${k}`, 'an object', o[k]);
  }
  if (is.object(o.preprocess) && 'inputSize' in o.preprocess) {
    throw new EdgeError('E_INVALID_ARGUMENT', 'options.preprocess.inputSize comes from the package and cannot be set', { field: 'options.preprocess.inputSize' });
  }
  const batch = (o.batch ?? {}) as Record<string, unknown>;
  rejectUnknownKeys('options.batch', batch, ['max', 'deadlineMs']);
  const queue = (o.queue ?? {}) as Record<string, unknown>;
  rejectUnknownKeys('options.queue', queue, ['capacity', 'policy']);
  const tasks = (o.tasks ?? {}) as Record<string, unknown>;
  rejectUnknownKeys('options.tasks', tasks, ['classification', 'segmentation', 'detection', 'depth', 'change', 'features']);
  const defaultWorkers = Math.max(0, Math.min(2, availableParallelism() - 1));
  return {
    package: o.package,
    backend,
    ...(o.entries !== undefined ? { entries: o.entries as string[] } : {}),
    verify,
    preprocess: (o.preprocess ?? {}) as ResolvedRuntimeOptions['preprocess'],
    tasks: tasks as TaskOptions,
    batchMax: expectInteger('options.batch.max', batch.max ?? 4, 1, 256),
    batchDeadlineMs: expectInteger('options.batch.deadlineMs', batch.deadlineMs ?? 5, 0, 60_000),
    queueCapacity: expectInteger('options.queue.capacity', queue.capacity ?? 8, 1, 10_000),
    queuePolicy: expectOneOf('options.queue.policy', queue.policy ?? 'block', ['drop-oldest', 'block'] as const),
    workers: expectInteger('options.workers', o.workers ?? defaultWorkers, 0, 64),
    ...(o.threads !== undefined ? { threads: expectInteger('options.threads', o.threads, 1, 256) } : {}),
    ...(o.mqtt !== undefined ? { mqtt: o.mqtt as RuntimeMqttOptions } : {}),
    metricsIntervalMs: expectInteger('options.metricsIntervalMs', o.metricsIntervalMs ?? 10_000, 100, 3_600_000),
    backendOptions: (o.backendOptions ?? {}) as Record<string, unknown>,
    ...(o.backends !== undefined ? { backends: o.backends as ResolvedRuntimeOptions['backends'] } : {}),
  };
}
