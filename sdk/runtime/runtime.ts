/**
 * The runtime: sensor frames in, typed results out (and over MQTT). One object a vendor creates,
 * feeds frames to, listens to, and closes.
 */
import { EdgeError } from '../core/errors.js';
import { invalidOption } from '../core/validate.js';
import { TypedEmitter } from '../core/typed-emitter.js';
import type { EntryManifest } from '../core/package-manifest.js';
import { ResultPublisher } from '../mqtt/publisher.js';
import { checkFrameFields, type Frame } from '../sensors/frame.js';
import { crsLabel } from '../sensors/georef.js';
import type { PreprocessedFrame } from '../sensors/layout.js';
import { preprocessPair } from '../sensors/pair.js';
import { createPreprocessPool, type PreprocessPool } from '../sensors/pool.js';
import { preprocessFrame } from '../sensors/preprocess.js';
import type { PreprocessOptions } from '../sensors/preprocess-options.js';
import type { BackendName } from './backend.js';
import { chooseBackend } from './backend-choice.js';
import type { BackendSelection } from './backends/select.js';
import { runFrames } from './batch-run.js';
import { LoadedModel, type LoadModelOptions } from './loaded-model.js';
import { MetricsCollector, flattenMetrics, type RuntimeMetrics } from './metrics.js';
import { ModelHolds } from './model-holds.js';
import { runMultiInput } from './multi-input.js';
import { resolveRunOptions, resolveRuntimeOptions, type ResolvedRuntimeOptions, type RunOptions, type RuntimeOptions } from './options.js';
import { ResultPublishing } from './result-publishing.js';
import { failure, neededOutputs, taskResults, type FrameFailure, type FrameOutcome, type InferenceResult, type LatencyBreakdown } from './results.js';
import { runStream, type Prepared, type StreamHandle, type StreamHost } from './stream.js';

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
}

/** What the `mqtt` event reports, forwarded from the runtime's publisher (docs/mqtt.md). */
export type MqttEvent =
  | { type: 'connected'; protocolVersion: 4 | 5; bdSeq: number }
  | { type: 'offline'; error?: EdgeError }
  | { type: 'dropped'; reason: 'full' | 'expired' | 'rejected'; count: number }
  | { type: 'error'; error: EdgeError };

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

  private constructor(
    private readonly o: ResolvedRuntimeOptions,
    private readonly selection: BackendSelection,
    model: LoadedModel,
    private readonly pool: PreprocessPool | undefined,
    private readonly publisher: ResultPublisher | undefined,
  ) {
    super();
    this.active = model;
    if (publisher) {
      publisher.removeAllListeners('error');
      publisher.on('connected', (c) => this.emit('mqtt', { type: 'connected', protocolVersion: c.protocolVersion, bdSeq: c.bdSeq }));
      publisher.on('offline', (o) => this.emit('mqtt', { type: 'offline', ...(o.error ? { error: o.error } : {}) }));
      publisher.on('dropped', (d) => this.emit('mqtt', { type: 'dropped', reason: d.reason, count: d.count }));
      publisher.on('error', (error) => this.emit('mqtt', { type: 'error', error }));
      this.publishing = new ResultPublishing(publisher, o.mqtt?.encoding ?? 'json', (r, err) => this.emit('error', failure(r.frameId, 'postprocess', err)));
    }
    this.timer = setInterval(() => void this.tick(), o.metricsIntervalMs);
    this.timer.unref();
  }

  /** See {@link createRuntime}. */
  static async create(options: RuntimeOptions): Promise<Runtime> {
    const o = resolveRuntimeOptions(options);
    const selection = await chooseBackend(o.backend, o.backends);
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
    const model = this.acquire();
    let outcome: FrameOutcome;
    try {
      const entry = this.entryOf(model, frame);
      const pre = await this.preprocess(frame, model);
      const item: Prepared = { seq: 0, id, frame, admittedAt: t0, pre, preprocessMs: performance.now() - t0, model };
      this.holds.hold(model);
      [outcome] = (await this.processBatch(model, entry, [item])) as [FrameOutcome];
    } catch (err) {
      this.metricsCollector.failed++;
      outcome = failure(id, 'preprocess', err);
    } finally {
      this.holds.release(model);
    }
    await (await this.deliver(outcome)).stored;
    if (!outcome.ok) throw errorOf(outcome);
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
    const model = this.acquire();
    const t0 = performance.now();
    this.metricsCollector.received++;
    let outcome: FrameOutcome;
    try {
      const { entry, frames, names } = plan(model);
      const opts = this.preprocessOptions(model);
      const pres = frames.length === 2 ? await this.preprocessPairs(frames[0]!, frames[1]!, opts) : await Promise.all(frames.map((f) => this.preprocess(f, model)));
      const t1 = performance.now();
      const outputs = await runMultiInput(entry, pres, names, this.o.batchMax, (feeds) => model.run(entry.name, feeds, neededOutputs(entry, this.o.tasks)));
      const t2 = performance.now();
      const pre = pres[names.indexOf(entry.inputs.find((i) => i.modality === first.modality)?.name ?? names[0]!)] ?? pres[0]!;
      const tasks = taskResults(outputs, pre, model.pkg.manifest, this.o.tasks);
      const t3 = performance.now();
      const latency = { preprocess: t1 - t0, queue: 0, inference: t2 - t1, postprocess: t3 - t2, total: t3 - t0 };
      outcome = this.result(model, entry.name, first, pre, tasks, latency);
      this.metricsCollector.recordResult(latency);
    } catch (err) {
      this.metricsCollector.failed++;
      outcome = failure(first.id, 'inference', err);
    } finally {
      this.holds.release(model);
    }
    await (await this.deliver(outcome)).stored;
    if (!outcome.ok) throw errorOf(outcome);
    return outcome;
  }

  private preprocessPairs(a: Frame, b: Frame, opts: PreprocessOptions): Promise<[PreprocessedFrame, PreprocessedFrame]> {
    return this.pool ? this.pool.preprocessPair(plainBytes(a), plainBytes(b), opts, { transfer: this.o.transferPixels }) : preprocessPair(a, b, opts);
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
      releaseModel: (m) => this.holds.release(m),
      entryOf: (m, f) => this.entryOf(m, f),
      preprocess: (f, m) => this.preprocess(f, m),
      processBatch: (m, e, items) => this.processBatch(m, e, items),
      deliver: (out) => this.deliver(out),
      closing: () => this.isClosing,
      register: (stream) => {
        this.streams.add(stream);
        if (this.isClosing) stream.stop();
        return () => this.streams.delete(stream);
      },
    };
  }

  //#region stages

  private entryOf(model: LoadedModel, frame: Frame): string {
    const ref = checkFrameFields(frame);
    try {
      return model.entryForModality(frame.modality).name;
    } catch (err) {
      if (err instanceof EdgeError) throw new EdgeError(err.code, `frame ${JSON.stringify(ref.id)}: ${err.message}`, { ...(err.field ? { field: err.field } : {}), cause: err });
      throw err;
    }
  }

  private preprocessOptions(model: LoadedModel): PreprocessOptions {
    const size = model.inputSize ?? this.entryInputSize(model);
    return { ...this.o.preprocess, inputSize: size };
  }

  private entryInputSize(model: LoadedModel): { width: number; height: number } {
    const e = model.pkg.manifest.entries[0]!;
    const [h, w] = e.inputs[0]!.shape.slice(2);
    if (typeof h === 'number' && typeof w === 'number') return { width: w, height: h };
    throw new EdgeError('E_INVALID_ARGUMENT', `package ${model.name} has no fixed input size (entry ${e.name} input ${e.inputs[0]!.name} is [${e.inputs[0]!.shape.join(', ')}]); run its graph through a backend session directly`, { field: 'options.package' });
  }

  private preprocess(frame: Frame, model: LoadedModel): Promise<PreprocessedFrame> {
    const opts = this.preprocessOptions(model);
    return this.pool ? this.pool.preprocess(plainBytes(frame), opts, { transfer: this.o.transferPixels }) : preprocessFrame(frame, opts);
  }

  /** Inference and post-processing of frames of one entry; releases each item's hold on its model. */
  private async processBatch(model: LoadedModel, entryName: string, items: Prepared[]): Promise<FrameOutcome[]> {
    const outcomes: FrameOutcome[] = new Array(items.length);
    const t0 = performance.now();
    try {
      const entry = model.pkg.entry(entryName);
      const [c, h, w] = entry.inputs[0]!.shape.slice(1) as number[];
      const valid: number[] = [];
      items.forEach((it, i) => {
        const { input } = it.pre.layout;
        if (input.channels !== c || input.height !== h || input.width !== w) {
          this.metricsCollector.failed++;
          outcomes[i] = failure(it.id, 'inference', new EdgeError('E_FRAME_INVALID', `frame ${JSON.stringify(it.id)}: preprocessed to ${input.channels}×${input.height}×${input.width} but entry ${entry.name} takes ${c}×${h}×${w}`, { field: 'frame.modality' }));
        } else valid.push(i);
      });
      if (valid.length === 0) return outcomes;
      let perFrame: Awaited<ReturnType<typeof runFrames>>;
      try {
        perFrame = await runFrames(entry, valid.map((i) => items[i]!.pre), this.o.batchMax, (feeds) => model.run(entry.name, feeds, neededOutputs(entry, this.o.tasks)));
      } catch (err) {
        for (const i of valid) {
          this.metricsCollector.failed++;
          outcomes[i] = failure(items[i]!.id, 'inference', err);
        }
        return outcomes;
      }
      const inferenceMs = performance.now() - t0;
      this.metricsCollector.recordBatch(valid.reduce((s, i) => s + items[i]!.pre.layout.tiles.length, 0));
      valid.forEach((i, k) => {
        const it = items[i]!;
        const p0 = performance.now();
        try {
          const tasks = taskResults(perFrame[k]!, it.pre, model.pkg.manifest, this.o.tasks);
          const done = performance.now();
          const latency: LatencyBreakdown = { preprocess: it.preprocessMs, queue: Math.max(0, t0 - it.admittedAt - it.preprocessMs), inference: inferenceMs, postprocess: done - p0, total: done - it.admittedAt };
          outcomes[i] = this.result(model, entry.name, it.frame, it.pre, tasks, latency);
          this.metricsCollector.recordResult(latency);
        } catch (err) {
          this.metricsCollector.failed++;
          outcomes[i] = failure(it.id, 'postprocess', err);
        }
      });
      return outcomes;
    } finally {
      for (const it of items) this.holds.release(it.model);
    }
  }

  private result(model: LoadedModel, entry: string, frame: Frame, pre: PreprocessedFrame, tasks: InferenceResult['tasks'], latencyMs: LatencyBreakdown): InferenceResult {
    const crs = pre.layout.georef ? crsLabel(pre.layout.georef) : undefined;
    return {
      ok: true,
      frameId: frame.id,
      modality: frame.modality,
      entry,
      timestamp: frame.timestamp,
      model: { name: model.name, version: model.version, packageHash: model.pkg.packageHash },
      backend: this.backend,
      tasks,
      latencyMs,
      frame: { width: pre.layout.source.width, height: pre.layout.source.height, inputs: pre.layout.tiles.length, ...(crs ? { crs } : {}) },
      warnings: pre.warnings,
    };
  }

  /**
   * Events and MQTT for one outcome, in order. Resolves once the outcome's messages are queued for
   * the outbox, with `stored`, which settles when they are in it. A listener's exception propagates.
   */
  private async deliver(outcome: FrameOutcome): Promise<{ stored: Promise<void> }> {
    if (outcome.ok) {
      const queued = (await this.publishing?.publish(outcome)) ?? { stored: Promise.resolve() };
      this.emit('result', outcome);
      return queued;
    } else {
      if (outcome.stage === 'dropped') this.emit('drop', outcome);
      this.emit('error', outcome);
      return { stored: Promise.resolve() };
    }
  }

  //#endregion

  //#region models and swapping

  private acquire(): LoadedModel {
    this.holds.hold(this.active);
    return this.active;
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
    if (this.publisher) void this.publisher.publishState({ ...this.stateOf('running'), swappedFrom: s.from }).catch(() => undefined);
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

/**
 * A frame whose encoded bytes are a Node Buffer, with a plain Uint8Array view of them instead: the
 * pool copies a view through its constructor, and `new Buffer(arrayBuffer)` is deprecated (DEP0005).
 */
function plainBytes(frame: Frame): Frame {
  const px = (frame as { pixels?: unknown } | null)?.pixels;
  return Buffer.isBuffer(px) ? { ...frame, pixels: new Uint8Array(px.buffer, px.byteOffset, px.byteLength) } : frame;
}

/** The EdgeError a failed single-frame call throws (code, file, field as the failure reports them). */
function errorOf(f: FrameFailure): EdgeError {
  const e = new EdgeError(f.error.code, 'x', {
    ...(f.error.file !== undefined ? { file: f.error.file } : {}),
    ...(f.error.field !== undefined ? { field: f.error.field } : {}),
    ...(f.error.hint !== undefined ? { hint: f.error.hint } : {}),
  });
  // The failure's message already carries the file/field prefix and the hint.
  Object.defineProperty(e, 'message', { value: f.error.message, enumerable: false, writable: true, configurable: true });
  return e;
}
