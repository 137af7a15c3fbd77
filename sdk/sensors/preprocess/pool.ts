/**
 * A pool of worker threads that decode and preprocess frames, so inference on the main thread never
 * waits on decoding. Each worker runs one frame at a time; frames queue in arrival order. Inputs are
 * transferred to the worker when they own their whole buffer (see {@link PreprocessJobOptions}),
 * results are always transferred back.
 *
 * Works from the TypeScript sources (workers bootstrap tsx first) and from the rollup build
 * (`dist/sdk/preprocess-worker.js` beside the bundle).
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { EdgeError } from '../../core/errors.js';
import { expectInteger, invalidOption, is, rejectUnknownKeys } from '../../core/validate.js';
import { startWorkerThread, workerScriptUrl } from '../../core/worker-thread.js';
import { checkFrameFields, type Frame } from '../frame.js';
import type { PreprocessedFrame } from '../geometry/layout.js';
import { checkAlignedPair } from './pair.js';
import { framePayload, fromWire, type JobMessage, type ResultMessage, type WorkerSettings } from './pool-protocol.js';
import { DEFAULT_DECODE_LIMITS } from '../codecs/limits.js';
import { resolvePreprocessOptions, type PreprocessOptions } from './preprocess-options.js';

/** Options of {@link createPreprocessPool}. */
export interface PreprocessPoolOptions {
  /** Worker threads (default: available cores − 1, at least 1, at most 4). */
  threads?: number;
  /** libvips threads (process-wide; default max(1, ⌊cores / threads⌋)) so decode threads do not oversubscribe the CPU. */
  vipsThreads?: number;
  /** Worker script, when the SDK is bundled somewhere the default location does not hold. */
  workerUrl?: URL;
}

/** Per-call options. */
export interface PreprocessJobOptions {
  /**
   * Transfer the frame's pixel buffer to the worker instead of copying it (default true). Only a
   * typed array that spans its whole ArrayBuffer is transferred — afterwards it is detached (length 0)
   * in the caller; smaller views are copied once.
   */
  transfer?: boolean;
}

/** A pool of preprocessing workers. */
export interface PreprocessPool {
  readonly threads: number;
  /** Frames queued or running. */
  readonly pending: number;
  /**
   * Preprocesses a frame on a worker thread; same result and errors as `preprocessFrame`.
   * @throws EdgeError E_CLOSED after {@link PreprocessPool.close}
   */
  preprocess(frame: Frame, options: PreprocessOptions, job?: PreprocessJobOptions): Promise<PreprocessedFrame>;
  /** Two co-registered frames (change detection, fusion) with identical layouts. */
  preprocessPair(
    a: Frame,
    b: Frame,
    options: PreprocessOptions,
    job?: PreprocessJobOptions,
  ): Promise<[PreprocessedFrame, PreprocessedFrame]>;
  /** Stops the workers; queued frames fail with E_CLOSED. Idempotent. */
  close(): Promise<void>;
}

interface Job {
  id: number;
  frameId: string;
  message: JobMessage;
  transferList: ArrayBuffer[];
  resolve(r: PreprocessedFrame): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  job?: Job;
}

/** Where the worker script is: beside this module (sources) or beside the bundle (dist). */
function defaultWorkerUrl(): URL {
  return workerScriptUrl(import.meta.url, './preprocess-worker.ts', './preprocess-worker.js');
}

/** Memory all workers of a pool may take for frames at once, by default (2 GiB of an 8 GB device). */
export const POOL_WORKING_BYTES = 2048 * 1024 * 1024;

/**
 * Frames run on every worker at once, so each gets a share of the pool's budget unless the caller
 * set `limits.maxWorkingBytes` itself.
 */
function withWorkerBudget(opts: PreprocessOptions, threads: number): PreprocessOptions {
  const limits = opts.limits as Record<string, unknown> | undefined;
  if (limits?.maxWorkingBytes !== undefined) return opts;
  const share = Math.min(DEFAULT_DECODE_LIMITS.maxWorkingBytes, Math.floor(POOL_WORKING_BYTES / threads));
  return { ...opts, limits: { ...(limits ?? {}), maxWorkingBytes: share } };
}

/**
 * Starts a preprocessing pool; resolves once every worker is running.
 * @throws EdgeError E_INVALID_ARGUMENT for bad options, E_INTERNAL when a worker cannot start
 * @example
 * const pool = await createPreprocessPool({ threads: 2 });
 * const pre = await pool.preprocess(frame, { inputSize: 192, fit: 'tile' });
 * await pool.close();
 */
export async function createPreprocessPool(options: PreprocessPoolOptions = {}): Promise<PreprocessPool> {
  if (!is.object(options)) throw invalidOption('options', 'an object', options);
  rejectUnknownKeys('options', options as Record<string, unknown>, ['threads', 'vipsThreads', 'workerUrl']);
  const cores = availableParallelism();
  const threads =
    options.threads === undefined
      ? Math.min(4, Math.max(1, cores - 1))
      : expectInteger('options.threads', options.threads, 1, 256);
  const vipsThreads =
    options.vipsThreads === undefined
      ? Math.max(1, Math.floor(cores / threads))
      : expectInteger('options.vipsThreads', options.vipsThreads, 1, 1024);
  if (options.workerUrl !== undefined && !(options.workerUrl instanceof URL))
    throw invalidOption('options.workerUrl', 'a URL', options.workerUrl);
  const url = options.workerUrl ?? defaultWorkerUrl();
  const settings: WorkerSettings = { vipsThreads };
  const queue: Job[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  const spawn = (): Promise<Slot> =>
    new Promise((resolve, reject) => {
      const worker = startWorkerThread(url, settings);
      const slot: Slot = { worker };
      let online = false;
      worker.on('message', (msg: ResultMessage | { ready: true }) => {
        if ('ready' in msg) {
          online = true;
          resolve(slot);
          return;
        }
        const job = slot.job;
        if (!job || job.id !== msg.id) return;
        slot.job = undefined;
        if (msg.ok) job.resolve(msg.result);
        else job.reject(fromWire(msg.error, job.frameId));
        dispatch();
      });
      let dead = false;
      const fail = (why: string) => {
        // 'error' is followed by 'exit': handle a worker's death once.
        if (dead) return;
        dead = true;
        const job = slot.job;
        slot.job = undefined;
        const i = slots.indexOf(slot);
        if (i >= 0) slots.splice(i, 1);
        if (!online) reject(new EdgeError('E_INTERNAL', `preprocessing worker failed to start (${url.href}): ${why}`));
        if (job)
          job.reject(
            new EdgeError(
              'E_INTERNAL',
              `preprocessing worker stopped while working on frame ${JSON.stringify(job.frameId)}: ${why}`,
            ),
          );
        // Replace the lost worker so the pool keeps its size; if that fails and no worker is left,
        // queued frames would wait forever: fail them instead.
        if (online && !closed) {
          spawn().then(
            (s) => {
              if (closed) return void s.worker.terminate();
              slots.push(s);
              dispatch();
            },
            (err: Error) => {
              if (slots.length > 0) return;
              for (const q of queue.splice(0))
                q.reject(
                  new EdgeError(
                    'E_INTERNAL',
                    `no preprocessing worker is left for frame ${JSON.stringify(q.frameId)}: ${err.message}`,
                  ),
                );
            },
          );
        }
      };
      worker.on('error', (err) => fail(err.message));
      worker.on('exit', (code) => {
        if (!closed) fail(`exited with code ${code}`);
      });
    });

  const dispatch = (): void => {
    for (const slot of slots) {
      if (slot.job || queue.length === 0) continue;
      const job = queue.shift()!;
      slot.job = job;
      slot.worker.postMessage(job.message, job.transferList);
    }
  };

  try {
    for (let i = 0; i < threads; i++) slots.push(await spawn());
  } catch (err) {
    closed = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw err;
  }

  const preprocess = (
    frame: Frame,
    opts: PreprocessOptions,
    job: PreprocessJobOptions = {},
  ): Promise<PreprocessedFrame> => {
    if (closed) return Promise.reject(new EdgeError('E_CLOSED', 'the preprocessing pool is closed'));
    try {
      // Check on this thread what can be checked cheaply, so bad calls fail without a round trip.
      checkFrameFields(frame);
      resolvePreprocessOptions(opts);
    } catch (err) {
      return Promise.reject(err);
    }
    const { frame: payload, transferList } = framePayload(frame, job.transfer ?? true);
    return new Promise((resolve, reject) => {
      const id = nextId++;
      queue.push({
        id,
        frameId: frame.id,
        message: { id, frame: payload, options: withWorkerBudget(opts, threads) },
        transferList,
        resolve,
        reject,
      });
      dispatch();
    });
  };

  return {
    threads,
    get pending() {
      return queue.length + slots.filter((s) => s.job).length;
    },
    preprocess,
    async preprocessPair(a, b, opts, job) {
      const [ra, rb] = await Promise.all([preprocess(a, opts, job), preprocess(b, opts, job)]);
      checkAlignedPair(ra, rb);
      return [ra, rb];
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const job of queue.splice(0))
        job.reject(
          new EdgeError('E_CLOSED', `the preprocessing pool closed before frame ${JSON.stringify(job.frameId)} ran`),
        );
      await Promise.all(
        slots.map(async (s) => {
          s.job?.reject(
            new EdgeError('E_CLOSED', `the preprocessing pool closed while frame ${JSON.stringify(s.job.frameId)} ran`),
          );
          await s.worker.terminate();
        }),
      );
      slots.length = 0;
    },
  };
}
