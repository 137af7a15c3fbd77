/**
 * The runtime: sensor frames in, typed results out (and over MQTT). One object a vendor creates,
 * feeds frames to, listens to, and closes.
 */
import { EdgeError } from '../core/errors.js';
import { invalidOption } from '../core/validate.js';
import { TypedEmitter } from '../core/typed-emitter.js';
import type { ResultPublisher } from '../mqtt/publisher.js';
import type { Frame } from '../sensors/frame.js';
import type { PreprocessPool } from '../sensors/preprocess/pool.js';
import type { BackendName } from '../core/backend.js';
import type { HostTensor } from '../core/host-tensor.js';
import type { BackendSelection } from './backends/select.js';
import { LoadedModel } from '../pipeline/loaded-model.js';
import { MetricsCollector, type RuntimeMetrics } from '../pipeline/metrics.js';
import type { ServingModel } from '../pipeline/serving-model.js';
import type { ResolvedRuntimeOptions, RunOptions, RuntimeOptions } from './options.js';
import { checkSource, resolveRunOptions } from './resolve-options.js';
import type { FrameOutcome, InferenceResult } from '../pipeline/results.js';
import { runStream } from '../pipeline/stream.js';
import { changePlan, fusionPlan, inferFrame, inferMulti } from './frame-calls.js';
import { OpenWork } from './open-work.js';
import type { CloseReport, RuntimeEvents } from './runtime-events.js';
import type { RuntimeReporting } from './runtime-reporting.js';
import { loadOptions, startRuntime, type RuntimeParts } from './runtime-start.js';
import { inferTensors } from './tensor-call.js';
import { callHost, streamHost, tensorCallHost, type RuntimePieces } from './runtime-hosts.js';
import { wireRuntime } from './runtime-wiring.js';
import { activateModel } from './runtime-swap.js';
import { closeRuntime } from './runtime-close.js';

export type { RunOptions } from './options.js';

/**
 * Creates a runtime: opens and verifies the package, picks the backend, loads the entries, starts
 * the preprocessing workers and (optionally) the MQTT publisher.
 * @throws EdgeError E_INVALID_ARGUMENT (options), E_PACKAGE_* (package), E_BACKEND_UNAVAILABLE, E_BACKEND_INIT, E_OUTBOX
 * @example
 * const runtime = await createRuntime({ package: 'pkg/tiny', backend: 'auto' });
 * const r = await runtime.infer({ id: 'f1', modality: 'optical', pixels: 'frame.jpg', timestamp: Date.now() });
 * console.log(r.tasks.detection?.detections);
 * await runtime.close();
 */
export function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  return Runtime.create(options);
}

/**
 * A running model with its pipeline. Create with {@link createRuntime}.
 * @example
 * const runtime = await createRuntime({ package: 'pkg/tiny', mqtt: { url, fleet: 'north', device: 'drone-7' } });
 * for await (const out of runtime.run(camera, { policy: 'drop-oldest' })) if (out.ok) show(out.tasks);
 * await runtime.close();
 */
export class Runtime extends TypedEmitter<RuntimeEvents> {
  private readonly o: ResolvedRuntimeOptions;
  private readonly selection: BackendSelection;
  private readonly pool: PreprocessPool | undefined;
  private readonly publisher: ResultPublisher | undefined;
  private readonly serving: ServingModel;
  private readonly metricsCollector = new MetricsCollector();
  private readonly work = new OpenWork();
  private closed: Promise<CloseReport> | undefined;
  private readonly reporting: RuntimeReporting;
  private readonly pieces: RuntimePieces;

  private constructor(parts: RuntimeParts) {
    super();
    [this.o, this.selection, this.pool, this.publisher] = [parts.o, parts.selection, parts.pool, parts.publisher];
    ({ pieces: this.pieces, reporting: this.reporting } = wireRuntime(parts, this, this.metricsCollector, this.work));
    this.serving = this.pieces.serving;
  }

  /** See {@link createRuntime}. */
  static async create(options: RuntimeOptions): Promise<Runtime> {
    const parts = await startRuntime(options);
    const rt = new Runtime(parts);
    if (parts.publisher) await parts.publisher.publishState(rt.reporting.state('running'));
    return rt;
  }

  /** Backend serving frames. */
  get backend(): BackendName {
    return this.selection.backend.name;
  }

  /** The model serving frames. */
  get model(): { name: string; version: string; packageHash: string; dir: string } {
    const m = this.serving.active;
    return { name: m.name, version: m.version, packageHash: m.pkg.packageHash, dir: m.pkg.dir };
  }

  //#region single frames

  /**
   * Runs one frame.
   * @throws EdgeError E_FRAME_DECODE / E_FRAME_INVALID (the frame), E_UNKNOWN_MODALITY, E_INFERENCE,
   *   E_MODEL_OUTPUT, E_CLOSED
   * @example
   * const r = await runtime.infer({ id: 'f1', modality: 'optical', pixels: jpegBytes, timestamp: Date.now() });
   */
  async infer(frame: Frame): Promise<InferenceResult> {
    this.checkOpen();
    return this.work.track(inferFrame(callHost(this.pieces), frame));
  }

  /**
   * Change detection between two co-registered frames of one modality (`before` → `after`).
   * @throws EdgeError as {@link Runtime.infer}; E_FRAME_INVALID when the frames are not of one
   *   modality or not aligned; E_INVALID_ARGUMENT when the package has no change entry for it
   * @example
   * const r = await runtime.change(frameJune, frameJuly);
   * console.log(r.tasks.change?.changedFraction);
   */
  async change(before: Frame, after: Frame): Promise<InferenceResult> {
    this.checkOpen();
    const plan = changePlan(before, after);
    return this.work.track(inferMulti(callHost(this.pieces), before, plan));
  }

  /**
   * Fusion of co-registered frames of several modalities (e.g. optical + SAR-L2), one frame per
   * modality of a fusion entry.
   * @throws EdgeError as {@link Runtime.infer}; E_INVALID_ARGUMENT when no fusion entry reads
   *   exactly these modalities
   * @example
   * const r = await runtime.fuse([opticalFrame, sarFrame]);
   */
  async fuse(frames: Frame[]): Promise<InferenceResult> {
    this.checkOpen();
    const plan = fusionPlan(frames);
    return this.work.track(inferMulti(callHost(this.pieces), frames[0]!, plan));
  }

  /**
   * Runs raw input tensors through an entry: a model whose inputs are not images (audio, tabular)
   * or a caller that preprocesses itself. Every output comes back as a raw output
   * (`tasks.raw`); the result is published like a frame's. `modality` is `tensor`, `frame.width`
   * and `height` are 0 and `frame.inputs` is the batch size.
   * @param options.entry the entry (default: the package's only entry, or its only imported one)
   * @throws EdgeError E_INVALID_ARGUMENT (entry, feeds: naming `feeds.<input>`), E_INFERENCE, E_CLOSED
   * @example
   * const r = await runtime.inferTensors('clip-7', { input: { dtype: 'float32', shape: [1, 16000], data: samples } });
   * r.tasks.raw!.outputs.scores.values;
   */
  async inferTensors(
    id: string,
    feeds: Record<string, HostTensor>,
    options: { entry?: string; timestamp?: number | string } = {},
  ): Promise<InferenceResult> {
    this.checkOpen();
    if (typeof id !== 'string' || id.length === 0 || id.length > 256)
      throw invalidOption('id', 'a non-empty string of at most 256 characters', id);
    return this.work.track(inferTensors(tensorCallHost(this.pieces), id, feeds, options));
  }

  //#endregion

  /**
   * Streams frames through the pipeline; yields one outcome per frame in source order: a result, or
   * a failure with its reason (the stream goes on). Events fire and results are published too.
   * Leaving the loop early (`break`) stops admission; frames already admitted still finish and are
   * published. A live source that never ends is stopped by {@link Runtime.close}.
   * @param source frames: an array, a generator, an async generator (a camera)
   * @throws EdgeError E_INVALID_ARGUMENT (source, options) at once; E_CLOSED after close(); the
   *   iterator throws E_INVALID_ARGUMENT (field `source`) after the last outcome when the source failed
   * @example
   * for await (const out of runtime.run(camera, { policy: 'drop-oldest' })) if (out.ok) use(out.tasks);
   */
  run(source: AsyncIterable<Frame> | Iterable<Frame>, options?: RunOptions): AsyncIterable<FrameOutcome> {
    this.checkOpen();
    checkSource(source);
    const o = resolveRunOptions(options, this.o);
    const concurrency = this.pool ? this.pool.threads + 1 : 1;
    return runStream(streamHost(this.pieces), source, { ...o, concurrency });
  }

  //#region models and swapping

  /**
   * Loads a package beside the serving one (frames keep running on the current model), ready for
   * {@link Runtime.activate}.
   * @throws EdgeError from opening or loading the package; E_CLOSED
   * @example
   * const next = await runtime.loadModel('pkg/v2'); await next.warmup(); runtime.activate(next);
   */
  async loadModel(dir: string): Promise<LoadedModel> {
    this.checkOpen();
    return LoadedModel.load(dir, this.selection.backend, loadOptions(this.o));
  }

  /**
   * Makes `model` serve every frame that enters preprocessing from now on; frames already in
   * flight finish on the model they started on. No frame is dropped or run twice.
   * @param retire free the previous model once its last frame is done (default true)
   * @throws EdgeError E_INVALID_ARGUMENT (not a model of this runtime's backend), E_CLOSED (the
   *   runtime, or the model was disposed)
   * @example
   * const { from, to } = runtime.activate(await runtime.loadModel('pkg/v2'));
   */
  activate(model: LoadedModel, retire = true): { from: string; to: string } {
    this.checkOpen();
    const { pieces, publisher, reporting } = this;
    return activateModel(
      { ...pieces, backend: this.selection.backend, events: this, publisher, reporting },
      model,
      retire,
    );
  }

  /**
   * Loads, warms up and activates the package in `dir` (a hot swap between frames).
   * @throws EdgeError as {@link Runtime.loadModel}; E_INFERENCE when the warm-up run fails (the
   *   serving model stays)
   * @example
   * await runtime.swap('pkg/v2'); // frames entering preprocessing from now on use v2
   */
  async swap(dir: string): Promise<{ from: string; to: string }> {
    const model = await this.loadModel(dir);
    try {
      await model.warmup();
      return this.activate(model);
    } catch (err) {
      await model.dispose();
      throw err;
    }
  }

  /** The currently serving loaded model (for hosts that manage versions, such as the OTA agent). */
  get activeModel(): LoadedModel {
    return this.serving.active;
  }

  //#endregion

  /**
   * Current metrics: frames, fps, per-stage latency percentiles, queue depths, batching, backend.
   * @example
   * const m = runtime.metrics(); console.log(m.fps, m.latencyMs.total.p95, m.frames.dropped);
   */
  metrics(): RuntimeMetrics {
    return this.reporting.snapshot();
  }

  /**
   * Age in ms of the oldest result waiting in the MQTT outbox (0 when none waits); undefined
   * without MQTT.
   * @example
   * const lagMs = await runtime.outboxAgeMs();
   */
  async outboxAgeMs(): Promise<number | undefined> {
    return this.publisher?.oldestPendingAgeMs();
  }

  private checkOpen(): void {
    if (this.work.closing) throw new EdgeError('E_CLOSED', 'runtime is closed');
  }

  /**
   * Stops admitting frames, lets every admitted frame finish (its outcome is delivered to events
   * and MQTT even if no one reads the stream any more), flushes results to MQTT (up to
   * `deadlineMs`, default 5000; what is left stays in the durable outbox), frees everything.
   * Idempotent.
   * @example
   * process.on('SIGTERM', () => void runtime.close({ deadlineMs: 2000 }));
   */
  close(options: { deadlineMs?: number } = {}): Promise<CloseReport> {
    const { pieces, reporting, publisher, pool } = this;
    this.closed ??= closeRuntime({ ...pieces, reporting, publisher, pool }, options);
    return this.closed;
  }
}
