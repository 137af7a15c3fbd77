/**
 * The onnxruntime-node backend with each session in its own worker thread. onnxruntime-node loads
 * and runs a session synchronously on the thread that calls it; here that thread is a worker, so
 * the main thread's event loop keeps serving post-processing, MQTT, preprocessing results and an
 * application's own I/O while a model loads or runs.
 *
 * Feeds are moved to the worker, not copied, when their typed array spans its whole ArrayBuffer
 * (the caller's array is detached afterwards; `transferFeeds: false` copies instead); a view of
 * part of a buffer is copied once. Outputs are moved back. Errors carry the same codes and messages
 * as {@link OrtBackend}'s. A worker that stops (crash, terminate) fails the runs it held with
 * E_INFERENCE and every later run says why; dispose() ends the worker.
 *
 * Works from the TypeScript sources (the worker bootstraps tsx) and from the rollup build
 * (`dist/sdk/ort-worker.js` beside the bundle).
 */
import type { Worker } from 'node:worker_threads';
import { EdgeError, messageOf } from '../../core/errors.js';
import { invalidOption, is, rejectUnknownKeys } from '../../core/validate.js';
import type { Backend, BackendAvailability, BackendLoadOptions, BackendSession } from '../../core/backend.js';
import type { HostTensor } from '../../core/host-tensor.js';
import {
  checkRun,
  loadError,
  ORT_TYPES,
  runError,
  sessionSettings,
  toHost,
  type GraphInput,
  type OrtSessionSettings,
} from './ort-common.js';
import { ortAvailability } from './ort.js';
import { wireTensors, type FromWorker, type ToWorker, type WireTensor } from './ort-worker-protocol.js';
import { startWorkerThread, workerScriptUrl } from '../../core/worker-thread.js';

/** Options of {@link OrtWorkerBackend}. */
export interface OrtWorkerBackendOptions {
  /** Worker script, when the SDK is bundled somewhere the default location does not hold. */
  workerUrl?: URL;
  /**
   * Move a feed's buffer to the worker when its typed array spans the whole buffer (default true):
   * no copy, but the caller's array is detached (length 0) once `run()` is called. `false` copies
   * every feed once instead.
   */
  transferFeeds?: boolean;
  /** Called with each session's worker as soon as it starts (thread ids for monitoring, resource checks). */
  onWorker?: (worker: Worker, graphPath: string) => void;
}

interface Pending {
  resolve(outputs: Record<string, HostTensor>): void;
  reject(err: EdgeError): void;
  /** The caller's stack, given to errors built in the message handler. */
  callSite: Error;
}

class OrtWorkerSession implements BackendSession {
  readonly backend = 'onnxruntime' as const;
  readonly inputNames: readonly string[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private released: (() => void) | undefined;
  private stopped: string | undefined;
  /** Set once dispose() ends the worker on purpose. */
  private ending = false;

  constructor(
    private readonly worker: Worker,
    private readonly settings: OrtSessionSettings,
    private readonly inputs: GraphInput[],
    readonly outputNames: readonly string[],
    private readonly transferFeeds: boolean,
  ) {
    this.inputNames = inputs.map((i) => i.name);
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (err) => this.onStop(`it threw ${messageOf(err)}`));
    worker.on('exit', (code) => this.onStop(`it exited with code ${code}`));
    // An idle session does not keep the process alive (as an in-thread session does not); a run does.
    worker.unref();
  }

  /** What the session does: provider, precision, graph, `thread: 'worker'`, its thread id, and why its worker stopped if it did. */
  get info(): Record<string, unknown> {
    return {
      provider: this.settings.executionProviders[0],
      precision: this.settings.precision,
      graph: this.settings.graphPath,
      thread: 'worker',
      threadId: this.worker.threadId,
      ...(this.stopped !== undefined ? { workerStopped: this.stopped } : {}),
    };
  }

  /**
   * Runs one batch on the session's worker thread; the event loop stays free meanwhile.
   * @throws EdgeError E_CLOSED after dispose, E_INVALID_ARGUMENT for feeds or outputs the graph does
   *   not have or that do not fit it, E_INFERENCE naming the graph (onnxruntime's reason, or that
   *   the worker thread stopped)
   */
  async run(feeds: Record<string, HostTensor>, outputs?: readonly string[]): Promise<Record<string, HostTensor>> {
    const graph = this.settings.graphPath;
    if (this.closing) throw new EdgeError('E_CLOSED', 'the onnxruntime session was disposed', { file: graph });
    if (this.stopped !== undefined) throw this.stoppedError('stopped before this run');
    checkRun(this.inputs, this.outputNames, feeds, outputs);
    const wire: Record<string, WireTensor> = {};
    for (const [name, t] of Object.entries(feeds))
      wire[name] = { type: ORT_TYPES[t.dtype], dims: [...t.shape], data: t.data };
    const id = this.nextId++;
    const post = (transfer: boolean) => {
      const { tensors, transferList } = wireTensors(wire, transfer);
      this.worker.postMessage(
        { type: 'run', id, feeds: tensors, ...(outputs ? { outputs: [...outputs] } : {}) } satisfies ToWorker,
        transferList,
      );
    };
    return new Promise((resolve, reject) => {
      const callSite = new Error();
      try {
        try {
          post(this.transferFeeds);
        } catch (err) {
          // A buffer the platform refuses to move is copied instead.
          if (!this.transferFeeds) throw err;
          post(false);
        }
      } catch (err) {
        // Nothing was sent: the run fails alone.
        return reject(
          withStack(runError(graph, `its feeds cannot be sent to the worker thread: ${messageOf(err)}`, err), callSite),
        );
      }
      this.pending.set(id, { resolve, reject, callSite });
      this.worker.ref();
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'released') {
      this.released?.();
      return;
    }
    if (m.type !== 'result' && m.type !== 'run-failed') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0 && !this.closing) this.worker.unref();
    const graph = this.settings.graphPath;
    if (m.type === 'run-failed') return p.reject(withStack(runError(graph, m.reason), p.callSite));
    try {
      const out: Record<string, HostTensor> = {};
      for (const [name, t] of Object.entries(m.outputs)) out[name] = toHost(t, name, graph);
      p.resolve(out);
    } catch (err) {
      p.reject(withStack(err as EdgeError, p.callSite));
    }
  }

  private onStop(why: string): void {
    // 'error' is followed by 'exit': the first one names the cause. An exit dispose() asked for is no failure.
    if (this.stopped !== undefined) return;
    this.stopped = this.ending ? 'the session was disposed' : why;
    this.released?.();
    if (this.closing && this.pending.size === 0) return;
    for (const p of this.pending.values())
      p.reject(withStack(this.stoppedError('stopped while this run was in flight'), p.callSite));
    this.pending.clear();
  }

  private stoppedError(when: string): EdgeError {
    return new EdgeError('E_INFERENCE', `the worker thread running this onnxruntime session ${when}: ${this.stopped}`, {
      file: this.settings.graphPath,
      hint: 'load the model again',
    });
  }

  /** Lets the runs already posted finish, frees the session and ends the worker. Idempotent. */
  dispose(): Promise<void> {
    this.closing ??= (async () => {
      if (this.stopped === undefined) {
        const released = new Promise<void>((resolve) => (this.released = resolve));
        this.worker.ref();
        this.worker.postMessage({ type: 'release' } satisfies ToWorker);
        await released;
      }
      this.ending = true;
      await this.worker.terminate();
    })();
    return this.closing;
  }
}

/** An error built in a message handler, with the stack of the call that caused it. */
function withStack(err: EdgeError, callSite: Error): EdgeError {
  if (callSite.stack) err.stack = `${err.name}: ${err.message}\n${callSite.stack.split('\n').slice(1).join('\n')}`;
  return err;
}

/**
 * The onnxruntime-node backend with every session in a worker thread of its own.
 * @example
 * const session = await new OrtWorkerBackend().load({ graphPath: 'pkg/optical.onnx', threads: 2 });
 * const out = await session.run({ image: { dtype: 'float32', shape: [1, 3, 192, 192], data } }, ['cls_logits']);
 * await session.dispose(); // ends the worker
 */
export class OrtWorkerBackend implements Backend {
  readonly name = 'onnxruntime' as const;
  private readonly url: URL;
  private readonly transferFeeds: boolean;
  private readonly onWorker: OrtWorkerBackendOptions['onWorker'];

  /** @throws EdgeError E_INVALID_ARGUMENT for bad options */
  constructor(options: OrtWorkerBackendOptions = {}) {
    if (!is.object(options)) throw invalidOption('options', 'an object', options);
    rejectUnknownKeys('options', options as Record<string, unknown>, ['workerUrl', 'transferFeeds', 'onWorker']);
    if (options.workerUrl !== undefined && !(options.workerUrl instanceof URL))
      throw invalidOption('options.workerUrl', 'a URL', options.workerUrl);
    if (options.transferFeeds !== undefined && typeof options.transferFeeds !== 'boolean')
      throw invalidOption('options.transferFeeds', 'a boolean', options.transferFeeds);
    if (options.onWorker !== undefined && typeof options.onWorker !== 'function')
      throw invalidOption('options.onWorker', 'a function', options.onWorker);
    this.url = options.workerUrl ?? workerScriptUrl(import.meta.url, './ort-worker-entry.ts', './ort-worker.js');
    this.transferFeeds = options.transferFeeds ?? true;
    this.onWorker = options.onWorker as OrtWorkerBackendOptions['onWorker'];
  }

  /** Whether onnxruntime-node loads here, with its providers and version. */
  availability(): Promise<BackendAvailability> {
    return ortAvailability();
  }

  /**
   * Starts a worker thread and loads the graph in it. `threads` sets onnxruntime's intra-op threads
   * in the worker; `extra.executionProviders` (e.g. `['cuda', 'cpu']`) picks providers.
   * @throws EdgeError E_BACKEND_INIT naming the graph (onnxruntime's reason, or why the worker
   *   could not start); E_INVALID_ARGUMENT for bad `threads` or `extra.executionProviders`
   */
  async load(o: BackendLoadOptions): Promise<BackendSession> {
    const settings = sessionSettings(o);
    let worker: Worker;
    try {
      worker = startWorkerThread(this.url, settings);
    } catch (err) {
      throw loadError(o.graphPath, `the worker thread cannot start (${this.url.href}): ${messageOf(err)}`, err);
    }
    this.onWorker?.(worker, o.graphPath);
    const ready = await new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
      const done = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (m: FromWorker) => {
        if (m.type !== 'ready' && m.type !== 'load-failed') return;
        done();
        if (m.type === 'ready') return resolve(m);
        reject(loadError(o.graphPath, m.reason));
        void worker.terminate();
      };
      const onError = (err: Error) => {
        done();
        reject(loadError(o.graphPath, `the worker thread failed to start (${this.url.href}): ${err.message}`, err));
        void worker.terminate();
      };
      const onExit = (code: number) => {
        done();
        reject(
          loadError(
            o.graphPath,
            `the worker thread exited with code ${code} before the graph loaded (${this.url.href})`,
          ),
        );
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
    return new OrtWorkerSession(worker, settings, ready.inputs, ready.outputNames, this.transferFeeds);
  }
}
