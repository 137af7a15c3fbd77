/**
 * The runtime: sensor frames in, typed results out (and over MQTT). One object a vendor creates,
 * feeds frames to, listens to, and closes.
 */
import { EventEmitter } from 'node:events';
import { EdgeError } from '../core/errors.js';
import { invalidOption } from '../core/validate.js';
import { TypedEmitter } from '../core/typed-emitter.js';
import type { EntryManifest } from '../core/package-manifest.js';
import { ResultPublisher } from '../mqtt/publisher.js';
import { checkFrameFields, type Frame } from '../sensors/frame.js';
import { createPreprocessPool, type PreprocessPool } from '../sensors/pool.js';
import type { BackendName } from '../core/backend.js';
import type { HostTensor } from '../core/host-tensor.js';
import { checkTensorFeeds } from './tensor-feeds.js';
import { rawOutputsResult } from '../tasks/raw-outputs.js';
import { chooseBackend } from './backend-choice.js';
import type { BackendSelection } from './backends/select.js';
import { FrameStages } from '../pipeline/frame-stages.js';
import { LoadedModel, type LoadModelOptions } from '../pipeline/loaded-model.js';
import { MetricsCollector, flattenMetrics, type RuntimeMetrics } from '../pipeline/metrics.js';
import { ModelHolds } from '../pipeline/model-holds.js';
import { ModelLease } from '../pipeline/model-lease.js';
import { resolveRunOptions, resolveRuntimeOptions, type ResolvedRuntimeOptions, type RunOptions, type RuntimeOptions } from './options.js';
import { ResultTracking, type TrackingResult } from '../tracking/result-tracking.js';
import { ResultPublishing } from './result-publishing.js';
import { failure, failureError, type FrameFailure, type FrameOutcome, type InferenceResult } from '../pipeline/results.js';
import type { Prepared } from '../pipeline/preprocess.js';
import { runStream, type StreamHandle, type StreamHost } from '../pipeline/stream.js';

export type { RunOptions } from './options.js';

/** Events of a {@link Runtime}. */
export interface RuntimeEvents {
  /** A frame's result (in source order for `run`). */
  result: (r: InferenceResult) => void;
  /** A frame that produced no result, with the reason (dropped frames too). */
  error: (f: FrameFailure) => void;
  /** A frame evicted by the drop-oldest policy of a live source. */
  drop: (f: FrameFailure) => void;
  /** Periodic metrics (every `metricsIntervalMs`). */
  metrics: (m: RuntimeMetrics) => void;
  /** The serving model changed. */
  swap: (s: { from: string; to: string }) => void;
  /** MQTT link and outbox news (with `mqtt` only): connected, offline, results dropped, errors. */
  mqtt: (e: MqttEvent) => void;
  /** Tracks born or died in a frame (with `tasks.tracking` only), before its `result` event. */
  track: (t: TrackingResult) => void;
}

/** What the `mqtt` event reports, forwarded from the runtime's publisher (docs/mqtt.md). */
export type MqttEvent =
  | { type: 'connected'; protocolVersion: 4 | 5; bdSeq: number }
  | { type: 'offline'; error?: EdgeError }
  | { type: 'dropped'; reason: 'full' | 'expired' | 'rejected'; count: number }
  | { type: 'error'; error: EdgeError }
  /** Results lost to a damaged outbox log, or a damaged bdSeq file (error code E_STATE_DAMAGED). */
  | { type: 'damaged'; store: 'outbox' | 'bdseq'; records: number; bytes: number; salvaged?: number; error: EdgeError };

/** What {@link Runtime.close} achieved. */
export interface CloseReport {
  /** Result messages still waiting for the broker when the deadline passed (kept in the durable outbox). */
  unsentResults: number;
  /** True when every result reached the broker before the deadline (always true without MQTT). */
  drained: boolean;
}

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
  private active: LoadedModel;
  private readonly holds = new ModelHolds();
  private readonly metricsCollector = new MetricsCollector();
  private readonly streams = new Set<StreamHandle>();
  private readonly calls = new Set<Promise<unknown>>();
  private isClosing = false;
  private closed: Promise<CloseReport> | undefined;
  private readonly publishing: ResultPublishing | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly stages: FrameStages;
  private readonly tracking: ResultTracking | undefined;

  private constructor(
    private readonly o: ResolvedRuntimeOptions,
    private readonly selection: BackendSelection,
    model: LoadedModel,
    private readonly pool: PreprocessPool | undefined,
    private readonly publisher: ResultPublisher | undefined,
  ) {
    super();
    this.active = model;
    this.stages = new FrameStages(o, pool, this.metricsCollector, selection.backend.name);
    this.tracking = o.tasks.tracking ? new ResultTracking(o.tasks.tracking) : undefined;
    if (publisher) {
      publisher.removeAllListeners('error');
      publisher.on('connected', (c) => this.emit('mqtt', { type: 'connected', protocolVersion: c.protocolVersion, bdSeq: c.bdSeq }));
      publisher.on('offline', (info) => this.emit('mqtt', { type: 'offline', ...(info.error ? { error: info.error } : {}) }));
      publisher.on('dropped', (d) => this.emit('mqtt', { type: 'dropped', reason: d.reason, count: d.count }));
      publisher.on('error', (error) => this.emit('mqtt', { type: 'error', error }));
      // Damage found at start happens before the caller can listen: held for the first 'mqtt' listener.
      let held: MqttEvent[] = [];
      EventEmitter.prototype.on.call(this, 'newListener', (event: string) => {
        if (event !== 'mqtt' || !held.length) return;
        setImmediate(() => {
          const events = held;
          held = [];
          for (const e of events) this.emit('mqtt', e);
        });
      });
      publisher.on('damaged', (d) => {
        const e: MqttEvent = { type: 'damaged', store: d.store, records: d.records, bytes: d.bytes, ...(d.salvaged !== undefined ? { salvaged: d.salvaged } : {}), error: d.error };
        if (this.listenerCount('mqtt') > 0) this.emit('mqtt', e);
        else held.push(e);
      });
      this.publishing = new ResultPublishing(publisher, o.mqtt?.encoding ?? 'json', (r, err) => this.emit('error', failure(r.frameId, 'postprocess', err)));
    }
    this.timer = setInterval(() => void this.tick(), o.metricsIntervalMs);
    this.timer.unref();
  }

  /** See {@link createRuntime}. */
  static async create(options: RuntimeOptions): Promise<Runtime> {
    const o = resolveRuntimeOptions(options);
    const selection = await chooseBackend(o.backend, o.backends, { sessionThread: o.ortSessionThread });
    const model = await LoadedModel.load(o.package, selection.backend, Runtime.loadOptions(o));
    let pool: PreprocessPool | undefined;
    let publisher: ResultPublisher | undefined;
    try {
      if (o.workers > 0) pool = await createPreprocessPool({ threads: o.workers });
      if (o.mqtt) {
        publisher = await ResultPublisher.create({ ...o.mqtt, modelVersion: `${model.name}@${model.version}` });
        publisher.on('error', () => undefined);
      }
    } catch (err) {
      await pool?.close();
      await model.dispose();
      throw err;
    }
    const rt = new Runtime(o, selection, model, pool, publisher);
    if (publisher) await publisher.publishState(rt.stateOf('running'));
    return rt;
  }

  private static loadOptions(o: ResolvedRuntimeOptions): LoadModelOptions {
    return {
      ...(o.entries ? { entries: o.entries } : {}),
      verify: o.verify,
      maxBatch: o.batchMax,
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
      extra: o.backendOptions,
    };
  }

  /** Backend serving frames. */
  get backend(): BackendName {
    return this.selection.backend.name;
  }

  /** The model serving frames. */
  get model(): { name: string; version: string; packageHash: string; dir: string } {
    const m = this.active;
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
    return this.track(this.inferOne(frame));
  }

  private async inferOne(frame: Frame): Promise<InferenceResult> {
    const t0 = performance.now();
    this.metricsCollector.received++;
    const id = typeof frame?.id === 'string' && frame.id.length > 0 ? frame.id : '(no id)';
    const lease = this.acquire();
    const model = lease.model;
    let outcome: FrameOutcome;
    try {
      const entry = this.stages.entryOf(model, frame);
      const pre = await this.stages.preprocess(frame, model);
      const item: Prepared = { seq: 0, id, frame, admittedAt: t0, pre, preprocessMs: performance.now() - t0, lease };
      [outcome] = (await this.stages.processBatch(model, entry, [item])) as [FrameOutcome];
    } catch (err) {
      this.metricsCollector.failed++;
      outcome = failure(id, 'preprocess', err);
    } finally {
      lease.release();
    }
    await (await this.deliver(outcome)).stored;
    if (!outcome.ok) throw failureError(outcome);
    return outcome;
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
    const a = checkFrameFields(before);
    checkFrameFields(after);
    if (before.modality !== after.modality) {
      throw new EdgeError('E_FRAME_INVALID', `frame ${JSON.stringify(a.id)}: change detection needs two frames of one modality, got ${before.modality} and ${after.modality}`, { field: 'after.modality' });
    }
    return this.track(
      this.multi(before, (model) => {
        const entry = model.changeEntry(before.modality);
        return { entry, frames: [before, after], names: ['image_t0', 'image_t1'] };
      }),
    );
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
    if (!Array.isArray(frames) || frames.length < 2) throw invalidOption('frames', 'an array of at least two frames (one per modality)', frames);
    frames.forEach(checkFrameFields);
    const modalities = frames.map((f) => f.modality);
    if (new Set(modalities).size !== modalities.length) throw invalidOption('frames', 'one frame per modality', modalities.join(', '));
    return this.track(
      this.multi(frames[0]!, (model) => {
        const entry = model.fusionEntry(modalities);
        const ordered = entry.inputs.map((i) => frames.find((f) => f.modality === i.modality)!);
        return { entry, frames: ordered, names: entry.inputs.map((i) => i.name) };
      }),
    );
  }

  /** A multi-input entry (change, fusion) on one set of co-registered frames. */
  private async multi(first: Frame, plan: (m: LoadedModel) => { entry: EntryManifest; frames: Frame[]; names: string[] }): Promise<InferenceResult> {
    const lease = this.acquire();
    const model = lease.model;
    const t0 = performance.now();
    this.metricsCollector.received++;
    let outcome: FrameOutcome;
    try {
      const { entry, frames, names } = plan(model);
      outcome = await this.stages.runMulti(model, entry, frames, names, first, t0);
    } catch (err) {
      this.metricsCollector.failed++;
      outcome = failure(first.id, 'inference', err);
    } finally {
      lease.release();
    }
    await (await this.deliver(outcome)).stored;
    if (!outcome.ok) throw failureError(outcome);
    return outcome;
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
  async inferTensors(id: string, feeds: Record<string, HostTensor>, options: { entry?: string; timestamp?: number | string } = {}): Promise<InferenceResult> {
    this.checkOpen();
    if (typeof id !== 'string' || id.length === 0 || id.length > 256) throw invalidOption('id', 'a non-empty string of at most 256 characters', id);
    return this.track(this.inferTensorsOne(id, feeds, options));
  }

  private async inferTensorsOne(id: string, feeds: Record<string, HostTensor>, options: { entry?: string; timestamp?: number | string }): Promise<InferenceResult> {
    const t0 = performance.now();
    this.metricsCollector.received++;
    const lease = this.acquire();
    const model = lease.model;
    let outcome: FrameOutcome;
    try {
      const m = model.pkg.manifest;
      const entries = m.entries;
      const entry = options.entry !== undefined ? model.pkg.entry(options.entry) : entries.length === 1 ? entries[0]! : entries.filter((e) => e.kind === 'imported').length === 1 ? entries.find((e) => e.kind === 'imported')! : undefined;
      if (!entry) throw new EdgeError('E_INVALID_ARGUMENT', `package ${m.name} has several entries (${entries.map((e) => e.name).join(', ')}); name one`, { field: 'options.entry' });
      const checked = checkTensorFeeds(entry, feeds);
      const t1 = performance.now();
      const outputs = await model.run(entry.name, checked);
      const t2 = performance.now();
      const raw = rawOutputsResult(outputs, id, this.o.tasks.raw === false ? {} : (this.o.tasks.raw ?? {}));
      const t3 = performance.now();
      const latency = { preprocess: t1 - t0, queue: 0, inference: t2 - t1, postprocess: t3 - t2, total: t3 - t0 };
      this.metricsCollector.recordBatch(1);
      this.metricsCollector.recordResult(latency);
      const first = checked[entry.inputs[0]!.name]!;
      outcome = {
        ok: true,
        frameId: id,
        modality: 'tensor',
        entry: entry.name,
        timestamp: options.timestamp ?? Date.now(),
        model: { name: model.name, version: model.version, packageHash: model.pkg.packageHash },
        backend: this.backend,
        tasks: { raw },
        latencyMs: latency,
        frame: { width: 0, height: 0, inputs: first.shape.length > 0 ? first.shape[0]! : 1 },
        warnings: [],
      };
    } catch (err) {
      this.metricsCollector.failed++;
      outcome = failure(id, 'inference', err);
    }
    lease.release();
    await (await this.deliver(outcome)).stored;
    if (!outcome.ok) throw failureError(outcome);
    return outcome;
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
    const iterable = typeof source === 'object' && source !== null && (Symbol.asyncIterator in source || Symbol.iterator in source);
    if (!iterable) {
      throw invalidOption('source', 'an iterable or async iterable of frames (array, generator, async generator)', source, {
        ...(typeof source === 'string' ? { hint: 'for files, pass frames such as [{ id, modality, pixels: path, timestamp }]' } : {}),
      });
    }
    const o = resolveRunOptions(options, this.o);
    const concurrency = this.pool ? this.pool.threads + 1 : 1;
    return runStream(this.streamHost(), source, { ...o, concurrency });
  }

  private streamHost(): StreamHost {
    return {
      metrics: this.metricsCollector,
      batchMax: this.o.batchMax,
      batchDeadlineMs: this.o.batchDeadlineMs,
      acquire: () => this.acquire(),
      entryOf: (m, f) => this.stages.entryOf(m, f),
      preprocess: (f, m) => this.stages.preprocess(f, m),
      inferBatch: (m, e, items) => this.stages.inferBatch(m, e, items),
      postprocessBatch: (batch) => this.stages.postprocessBatch(batch),
      deliver: (out) => this.deliver(out),
      closing: () => this.isClosing,
      register: (stream) => {
        this.streams.add(stream);
        if (this.isClosing) stream.stop();
        return () => this.streams.delete(stream);
      },
    };
  }

  /**
   * Events and MQTT for one outcome, in order. Resolves once the outcome's messages are queued for
   * the outbox, with `stored`, which settles when they are in it. A listener's exception propagates.
   */
  private async deliver(outcome: FrameOutcome): Promise<{ stored: Promise<void> }> {
    if (outcome.ok) {
      const tracks = this.tracking?.apply(outcome);
      if (tracks && (tracks.born.length || tracks.died.length)) this.emit('track', tracks);
      const queued = (await this.publishing?.publish(outcome)) ?? { stored: Promise.resolve() };
      this.emit('result', outcome);
      return queued;
    } else {
      if (outcome.stage === 'dropped') this.emit('drop', outcome);
      this.emit('error', outcome);
      return { stored: Promise.resolve() };
    }
  }

  //#region models and swapping

  /** A hold on the serving model for one frame or call, released once its outcome exists. */
  private acquire(): ModelLease {
    return ModelLease.acquire(this.holds, this.active);
  }

  /**
   * Loads a package beside the serving one (frames keep running on the current model), ready for
   * {@link Runtime.activate}.
   * @throws EdgeError from opening or loading the package; E_CLOSED
   * @example
   * const next = await runtime.loadModel('pkg/v2'); await next.warmup(); runtime.activate(next);
   */
  async loadModel(dir: string): Promise<LoadedModel> {
    this.checkOpen();
    return LoadedModel.load(dir, this.selection.backend, Runtime.loadOptions(this.o));
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
    if (!(model instanceof LoadedModel)) throw invalidOption('model', 'a LoadedModel from runtime.loadModel()', model);
    if (model.disposed) throw new EdgeError('E_CLOSED', `model ${model.name}@${model.version} was disposed; load it again with runtime.loadModel()`, { field: 'model' });
    if (model.backend !== this.selection.backend) throw invalidOption('model', `a model loaded by this runtime (backend ${this.backend})`, model.backend.name);
    const old = this.active;
    const s = { from: `${old.name}@${old.version}`, to: `${model.name}@${model.version}` };
    if (old === model) return s;
    this.holds.revive(model);
    this.active = model;
    this.metricsCollector.swaps++;
    if (retire) this.holds.retire(old);
    this.emit('swap', s);
    if (this.publisher) {
      this.publisher.setModelVersion(s.to);
      void this.publisher.publishState({ ...this.stateOf('running'), swappedFrom: s.from }).catch(() => undefined);
    }
    return s;
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
    return this.active;
  }

  //#endregion

  /**
   * Current metrics: frames, fps, per-stage latency percentiles, queue depths, batching, backend.
   * @example
   * const m = runtime.metrics(); console.log(m.fps, m.latencyMs.total.p95, m.frames.dropped);
   */
  metrics(): RuntimeMetrics {
    return this.metricsCollector.snapshot(
      { backend: this.backend, backendSkipped: this.selection.skipped, model: { name: this.active.name, version: this.active.version } },
      this.publisher ? { ...(this.publisher.status() as unknown as Record<string, unknown>), resultsPublished: this.publishing!.published, resultsFailed: this.publishing!.failed } : undefined,
    );
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

  private async tick(): Promise<void> {
    const m = this.metrics();
    this.emit('metrics', m);
    await this.publisher?.publishMetrics(flattenMetrics(m)).catch(() => undefined);
  }

  private stateOf(status: 'running' | 'stopped'): Record<string, unknown> {
    return { status, model: `${this.active.name}@${this.active.version}`, packageHash: this.active.pkg.packageHash, backend: this.backend };
  }

  private checkOpen(): void {
    if (this.isClosing) throw new EdgeError('E_CLOSED', 'runtime is closed');
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.calls.add(p);
    const forget = () => void this.calls.delete(p);
    p.then(forget, forget);
    return p;
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
    this.closed ??= (async () => {
      this.isClosing = true;
      for (const s of this.streams) s.stop();
      await Promise.all([...this.streams].map((s) => s.finished.catch(() => undefined)));
      await Promise.all([...this.calls].map((p) => p.catch(() => undefined)));
      await this.publishing?.flush();
      clearInterval(this.timer);
      let report: CloseReport = { unsentResults: 0, drained: true };
      if (this.publisher) {
        await this.tick();
        await this.publisher.publishState(this.stateOf('stopped')).catch(() => undefined);
        const r = await this.publisher.close({ ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}) });
        report = { unsentResults: r.pending, drained: r.drained };
      }
      await this.pool?.close();
      await Promise.all([this.active, ...this.holds.retired].map((m) => m.dispose()));
      return report;
    })();
    return this.closed;
  }
}

