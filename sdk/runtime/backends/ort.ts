/**
 * The onnxruntime-node backend on the calling thread: CPU everywhere, CUDA where the user's
 * onnxruntime install has it. onnxruntime-node loads and runs a session synchronously on the
 * JavaScript thread, so the event loop waits while a model loads or runs; OrtWorkerBackend
 * (ort-worker.ts) runs the same sessions in worker threads instead. Tools that run one model at a
 * time use this one; the runtime uses the worker variant unless told otherwise.
 */
import { EdgeError, messageOf } from '../../core/errors.js';
import type { Backend, BackendAvailability, BackendLoadOptions, BackendSession } from '../../core/backend.js';
import type { HostTensor } from '../../core/host-tensor.js';
import {
  checkRun,
  graphInputs,
  isShared,
  loadError,
  loadOrt,
  ORT_TYPES,
  ortSessionOptions,
  ownedCopy,
  runError,
  sessionSettings,
  toHost,
  type GraphInput,
  type OrtOutput,
} from './ort-common.js';

export { loadOrt } from './ort-common.js';

type Ort = typeof import('onnxruntime-node');

class OrtSession implements BackendSession {
  readonly backend = 'onnxruntime' as const;
  private disposed: Promise<void> | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly inputs: GraphInput[];

  constructor(
    private readonly ort: Ort,
    private readonly session: import('onnxruntime-node').InferenceSession,
    private readonly graphPath: string,
    readonly info: Record<string, unknown>,
  ) {
    this.inputs = graphInputs(session);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /**
   * Runs one batch on this thread (the event loop waits for it).
   * @throws EdgeError E_CLOSED after dispose, E_INVALID_ARGUMENT for feeds or outputs the graph does
   *   not have or that do not fit it (field `feeds.<name>` / `outputs`), E_INFERENCE naming the graph
   */
  async run(feeds: Record<string, HostTensor>, outputs?: readonly string[]): Promise<Record<string, HostTensor>> {
    if (this.disposed)
      throw new EdgeError('E_CLOSED', 'the onnxruntime session was disposed', { file: this.graphPath });
    checkRun(this.inputs, this.session.outputNames, feeds, outputs);
    const job = this.runChecked(feeds, outputs);
    this.inflight.add(job);
    try {
      return await job;
    } finally {
      this.inflight.delete(job);
    }
  }

  private async runChecked(
    feeds: Record<string, HostTensor>,
    outputs?: readonly string[],
  ): Promise<Record<string, HostTensor>> {
    let result: Record<string, OrtOutput>;
    try {
      const ortFeeds: Record<string, import('onnxruntime-node').Tensor> = {};
      for (const [name, t] of Object.entries(feeds))
        ortFeeds[name] = new this.ort.Tensor(
          ORT_TYPES[t.dtype] as 'float32',
          (isShared(t.data) ? ownedCopy(t.data) : t.data) as Float32Array,
          t.shape,
        );
      result = outputs ? await this.session.run(ortFeeds, outputs as string[]) : await this.session.run(ortFeeds);
    } catch (err) {
      throw runError(this.graphPath, messageOf(err), err);
    }
    const out: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(result)) out[name] = toHost(t, name, this.graphPath);
    return out;
  }

  /** Frees the session once the runs already started have finished. Idempotent. */
  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      await Promise.allSettled([...this.inflight]);
      await this.session.release();
    })();
    return this.disposed;
  }
}

/**
 * The onnxruntime-node backend, sessions on the calling thread.
 * @example
 * const session = await new OrtBackend().load({ graphPath: 'pkg/optical.onnx', threads: 1 });
 * const out = await session.run({ image: { dtype: 'float32', shape: [1, 3, 192, 192], data } }, ['cls_logits']);
 * await session.dispose();
 */
export class OrtBackend implements Backend {
  readonly name = 'onnxruntime' as const;

  /** Whether onnxruntime-node loads here, with its providers and version. */
  async availability(): Promise<BackendAvailability> {
    return ortAvailability();
  }

  /**
   * Loads a graph. With `extra.executionProviders` (e.g. `['cuda', 'cpu']`) a user's GPU build is
   * used; `threads` sets onnxruntime's intra-op threads.
   * @throws EdgeError E_BACKEND_INIT naming the graph and onnxruntime's reason; E_INVALID_ARGUMENT
   *   for bad `threads` or `extra.executionProviders`
   */
  async load(o: BackendLoadOptions): Promise<BackendSession> {
    const settings = sessionSettings(o);
    const ort = await loadOrt();
    let session: import('onnxruntime-node').InferenceSession;
    try {
      session = await ort.InferenceSession.create(o.graphPath, ortSessionOptions(settings));
    } catch (err) {
      throw loadError(o.graphPath, messageOf(err), err);
    }
    return new OrtSession(ort, session, o.graphPath, {
      provider: settings.executionProviders[0],
      precision: settings.precision,
      graph: o.graphPath,
      thread: 'main',
    });
  }
}

/** Availability of onnxruntime-node in this process (shared by both variants). */
export async function ortAvailability(): Promise<BackendAvailability> {
  try {
    const ort = await loadOrt();
    const providers = (ort as unknown as { listSupportedBackends?: () => { name: string }[] })
      .listSupportedBackends?.()
      .map((b) => b.name) ?? ['cpu'];
    return { available: true, devices: providers, version: ort.env.versions?.node ?? 'unknown' };
  } catch (err) {
    return { available: false, reason: `onnxruntime-node cannot load: ${messageOf(err)}` };
  }
}
