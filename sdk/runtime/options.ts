/**
 * Runtime options: the written form a vendor passes (`createRuntime`, `runtime.run`) and the
 * resolved form the runtime reads, every default filled in. resolve-options.ts checks the one into
 * the other at the public edge.
 */
import type { Clock } from '../core/clock.js';
import type { ResultPublisherOptions } from '../mqtt/options.js';
import type { PreprocessOptions } from '../sensors/preprocess/preprocess-options.js';
import type { Backend } from '../core/backend.js';
import type { BackendChoice, OrtSessionThread } from './backend-choice.js';
import type { TaskOptions } from '../pipeline/results.js';

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

/** Options of `runtime.run(source, options)`. */
export interface RunOptions {
  /** `block` for archives (no frame dropped), `drop-oldest` for live sensors (default: `queue.policy`). */
  policy?: 'drop-oldest' | 'block';
  /** Capacity of the stream's admission and ready queues (default: `queue.capacity`). */
  capacity?: number;
}
