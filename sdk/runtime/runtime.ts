/**
 * The runtime: sensor frames in, typed results out (and over MQTT). One object a vendor creates,
 * feeds frames to, listens to, and closes.
 */
import { EdgeError } from '../core/errors.js';
import { TypedEmitter } from '../core/typed-emitter.js';
import type { EntryManifest } from '../core/package-manifest.js';
import { ResultPublisher } from '../mqtt/publisher.js';
import type { Frame } from '../sensors/frame.js';
import { crsLabel } from '../sensors/georef.js';
import type { PreprocessedFrame } from '../sensors/layout.js';
import { preprocessPair } from '../sensors/pair.js';
import { createPreprocessPool, type PreprocessPool } from '../sensors/pool.js';
import { preprocessFrame } from '../sensors/preprocess.js';
import type { PreprocessOptions } from '../sensors/preprocess-options.js';
import type { BackendName, HostTensor } from './backend.js';
import { chooseBackend } from './backend-choice.js';
import type { BackendSelection } from './backends/select.js';
import { frameInputs, runFrames } from './batch-run.js';
import { LoadedModel } from './loaded-model.js';
import { MetricsCollector, flattenMetrics, type RuntimeMetrics } from './metrics.js';
import { resolveRuntimeOptions, type ResolvedRuntimeOptions, type RuntimeOptions } from './options.js';
import { failure, neededOutputs, taskResults, type FrameFailure, type FrameOutcome, type InferenceResult } from './results.js';
import { runStream, type Prepared, type StreamHost } from './stream.js';

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
}

export interface RunOptions {
  /** `block` for archives (default: the runtime's queue policy), `drop-oldest` for live sensors. */
  policy?: 'drop-oldest' | 'block';
  capacity?: number;
}

export interface CloseReport {
  /** Results still waiting for the broker when the deadline passed (kept in the durable outbox). */
  unsentResults: number;
  /** True when every result reached the broker before the deadline. */
  drained: boolean;
}

/**
 * Creates a runtime: opens and verifies the package, picks the backend, loads the entries, starts
 * the preprocessing workers and (optionally) the MQTT publisher.
 * @throws EdgeError E_INVALID_ARGUMENT (options), E_PACKAGE_* (package), E_BACKEND_UNAVAILABLE, E_BACKEND_INIT
 * @example
 * const runtime = await createRuntime({ package: 'pkg/tiny', backend: 'auto' });
 * const r = await runtime.infer({ id: 'f1', modality: 'optical', pixels: 'frame.jpg', timestamp: Date.now() });
 * console.log(r.tasks.detection?.detections);
 * await runtime.close();
 */
export function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  return Runtime.create(options);
}

export class Runtime extends TypedEmitter<RuntimeEvents> {
  private active: LoadedModel;
  private readonly holds = new Map<LoadedModel, number>();
  private readonly retiring = new Set<LoadedModel>();
  private readonly metricsCollector = new MetricsCollector();
  private readonly stoppers = new Set<() => void>();
  private isClosing = false;
  private closed: Promise<CloseReport> | undefined;
  private publishChain: Promise<void> = Promise.resolve();
  private publishPending = 0;
  private readonly timer: NodeJS.Timeout | undefined;

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
      this.timer = setInterval(() => void this.tick(), o.metricsIntervalMs);
      this.timer.unref();
    }
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
    if (publisher) await publisher.publishState({ status: 'running', model: `${model.name}@${model.version}`, backend: selection.backend.name });
    return rt;
  }

  private static loadOptions(o: ResolvedRuntimeOptions) {
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
   * @throws EdgeError E_FRAME_DECODE / E_FRAME_INVALID (the frame), E_UNKNOWN_MODALITY, E_INFERENCE, E_CLOSED
   */
  async infer(frame: Frame): Promise<InferenceResult> {
    this.checkOpen();
    const t0 = performance.now();
    this.metricsCollector.received++;
    const model = this.acquire();
    let outcome: FrameOutcome;
    try {
      const entry = this.entryOf(model, frame);
      const pre = await this.preprocess(frame, model);
      const item: Prepared = { seq: 0, frame, admittedAt: t0, pre, preprocessMs: performance.now() - t0, model };
      this.holdMore(model);
      [outcome] = (await this.processBatch(model, entry, [item])) as [FrameOutcome];
    } catch (err) {
      this.metricsCollector.failed++;
      outcome = failure(typeof frame?.id === 'string' ? frame.id : '(no id)', 'preprocess', err);
    } finally {
      this.releaseModel(model);
    }
    await this.deliver(outcome);
    if (!outcome.ok) throw new EdgeError(outcome.error.code, outcome.error.message, { ...(outcome.error.file ? { file: outcome.error.file } : {}) });
    return outcome;
  }

  /**
   * Change detection between two co-registered frames of one modality (`before` → `after`).
   * @throws EdgeError as {@link Runtime.infer}, and E_FRAME_INVALID when the frames are not aligned
   */
  async change(before: Frame, after: Frame): Promise<InferenceResult> {
    this.checkOpen();
    if (before?.modality !== after?.modality) throw new EdgeError('E_FRAME_INVALID', `change detection needs two frames of one modality, got ${before?.modality} and ${after?.modality}`, { field: 'after.modality' });
    const model = this.acquire();
    try {
      const entry = model.changeEntry(before.modality);
      const t0 = performance.now();
      const [a, b] = await this.preprocessPairs(before, after, model);
      const t1 = performance.now();
      const outputs = await this.runMulti(model, entry, [a, b], ['image_t0', 'image_t1']);
      return await this.finishMulti(model, entry, before, a, outputs, t0, t1);
    } finally {
      this.releaseModel(model);
    }
  }

  /**
   * Fusion of co-registered frames of several modalities (e.g. optical + SAR-L2).
   * @throws EdgeError as {@link Runtime.infer}
   */
  async fuse(frames: Frame[]): Promise<InferenceResult> {
    this.checkOpen();
    const model = this.acquire();
    try {
      const entry = model.fusionEntry(frames.map((f) => f.modality));
      const t0 = performance.now();
      const pres: PreprocessedFrame[] = [];
      for (const f of frames) pres.push(await this.preprocess(f, model));
      const t1 = performance.now();
      const names = entry.inputs.map((i) => i.name);
      const ordered = entry.inputs.map((i) => pres[frames.findIndex((f) => f.modality === i.modality)]!);
      const outputs = await this.runMulti(model, entry, ordered, names);
      return await this.finishMulti(model, entry, frames[0]!, ordered[0]!, outputs, t0, t1);
    } finally {
      this.releaseModel(model);
    }
  }

  private async preprocessPairs(a: Frame, b: Frame, model: LoadedModel): Promise<[PreprocessedFrame, PreprocessedFrame]> {
    const opts = this.preprocessOptions(model);
    return this.pool ? this.pool.preprocessPair(a, b, opts, { transfer: false }) : preprocessPair(a, b, opts);
  }

  /** Runs frames whose inputs feed several graph inputs (change, fusion), tile by tile. */
  private async runMulti(model: LoadedModel, entry: EntryManifest, pres: PreprocessedFrame[], inputNames: string[]): Promise<Record<string, HostTensor>> {
    const tiles = pres.map(frameInputs);
    const n = tiles[0]!.length;
    if (tiles.some((t) => t.length !== n)) throw new EdgeError('E_FRAME_INVALID', 'the frames were fitted to different tile layouts; give co-registered frames of equal size');
    const parts: Record<string, HostTensor>[] = [];
    for (let start = 0; start < n; start += this.o.batchMax) {
      const count = Math.min(this.o.batchMax, n - start);
      const feeds: Record<string, HostTensor> = {};
      inputNames.forEach((name, k) => {
        const spec = entry.inputs.find((i) => i.name === name)!;
        const [c, h, w] = spec.shape.slice(1) as number[];
        const per = c! * h! * w!;
        const data = new Float32Array(per * count);
        for (let i = 0; i < count; i++) {
          const t = tiles[k]![start + i]!;
          if (t.length !== per) throw new EdgeError('E_FRAME_INVALID', `input ${name} takes ${c}×${h}×${w} values per frame, got ${t.length}`, { field: name });
          data.set(t, i * per);
        }
        feeds[name] = { dtype: 'float32', shape: [count, c!, h!, w!], data };
      });
      parts.push(await model.run(entry.name, feeds, neededOutputs(entry, this.o.tasks)));
    }
    if (parts.length === 1) return parts[0]!;
    return Object.fromEntries(
      Object.keys(parts[0]!).map((k) => {
        const list = parts.map((p) => p[k]!);
        const per = list[0]!.data.length / list[0]!.shape[0]!;
        const total = list.reduce((s, t) => s + t.shape[0]!, 0);
        const data = new (list[0]!.data.constructor as { new (n: number): Float32Array })(per * total);
        let at = 0;
        for (const t of list) {
          data.set(t.data as Float32Array, at);
          at += t.data.length;
        }
        return [k, { dtype: list[0]!.dtype, shape: [total, ...list[0]!.shape.slice(1)], data }];
      }),
    );
  }

  private async finishMulti(model: LoadedModel, entry: EntryManifest, frame: Frame, pre: PreprocessedFrame, outputs: Record<string, HostTensor>, t0: number, t1: number): Promise<InferenceResult> {
    const t2 = performance.now();
    const tasks = taskResults(outputs, pre, model.pkg.manifest, this.o.tasks);
    const t3 = performance.now();
    const result = this.result(model, entry.name, frame, pre, tasks, { preprocess: t1 - t0, queue: 0, inference: t2 - t1, postprocess: t3 - t2, total: t3 - t0 });
    this.metricsCollector.received++;
    this.metricsCollector.recordResult(result.latencyMs);
    await this.deliver(result);
    return result;
  }

  //#endregion

  /**
   * Streams frames through the pipeline; yields one outcome per frame in source order: a result, or
   * a failure with its reason (the stream goes on). Events fire too.
   * @example
   * for await (const out of runtime.run(camera, { policy: 'drop-oldest' })) if (out.ok) use(out.tasks);
   */
  run(source: AsyncIterable<Frame> | Iterable<Frame>, options: RunOptions = {}): AsyncIterable<FrameOutcome> {
    this.checkOpen();
    return runStream(this.streamHost(), source, {
      policy: options.policy ?? this.o.queuePolicy,
      capacity: options.capacity ?? this.o.queueCapacity,
      workers: Math.max(1, this.pool?.threads ?? 1),
    });
  }

  private streamHost(): StreamHost {
    return {
      metrics: this.metricsCollector,
      batchMax: this.o.batchMax,
      batchDeadlineMs: this.o.batchDeadlineMs,
      acquire: () => this.acquire(),
      release: (item) => this.releaseModel(item.model),
      releaseModel: (m) => this.releaseModel(m),
      entryOf: (m, f) => this.entryOf(m, f),
      preprocess: (f, m) => this.preprocess(f, m),
      processBatch: (m, e, items) => this.processBatch(m, e, items),
      deliver: (out) => this.deliver(out),
      closing: () => this.isClosing,
      onClose: (stop) => {
        this.stoppers.add(stop);
        return () => this.stoppers.delete(stop);
      },
    };
  }

  //#region stages

  private entryOf(model: LoadedModel, frame: Frame): string {
    if (typeof frame !== 'object' || frame === null) throw new EdgeError('E_FRAME_INVALID', 'expected a frame object');
    return model.entryForModality(frame.modality).name;
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
    return this.pool ? this.pool.preprocess(frame, opts) : preprocessFrame(frame, opts);
  }

  private async processBatch(model: LoadedModel, entryName: string, items: Prepared[]): Promise<FrameOutcome[]> {
    const entry = model.pkg.entry(entryName);
    const outcomes: FrameOutcome[] = new Array(items.length);
    const t0 = performance.now();
    try {
      const valid: number[] = [];
      const [c, h, w] = entry.inputs[0]!.shape.slice(1) as number[];
      items.forEach((it, i) => {
        const { input } = it.pre.layout;
        if (input.channels !== c || input.height !== h || input.width !== w) {
          this.metricsCollector.failed++;
          outcomes[i] = failure(it.frame.id, 'inference', new EdgeError('E_FRAME_INVALID', `frame ${JSON.stringify(it.frame.id)}: preprocessed to ${input.channels}×${input.height}×${input.width} but entry ${entry.name} takes ${c}×${h}×${w}`));
        } else valid.push(i);
      });
      if (valid.length) {
        const outputs = neededOutputs(entry, this.o.tasks);
        let perFrame: Record<string, HostTensor>[];
        try {
          perFrame = await runFrames(entry, valid.map((i) => items[i]!.pre), this.o.batchMax, (feeds) => model.run(entry.name, feeds, outputs));
        } catch (err) {
          for (const i of valid) {
            this.metricsCollector.failed++;
            outcomes[i] = failure(items[i]!.frame.id, 'inference', err);
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
            const latency = { preprocess: it.preprocessMs, queue: Math.max(0, t0 - it.admittedAt - it.preprocessMs), inference: inferenceMs, postprocess: done - p0, total: done - it.admittedAt };
            outcomes[i] = this.result(model, entry.name, it.frame, it.pre, tasks, latency);
            this.metricsCollector.recordResult(latency);
          } catch (err) {
            this.metricsCollector.failed++;
            outcomes[i] = failure(it.frame.id, 'postprocess', err);
          }
        });
      }
      return outcomes;
    } finally {
      for (const it of items) this.releaseModel(it.model);
    }
  }

  private result(model: LoadedModel, entry: string, frame: Frame, pre: PreprocessedFrame, tasks: InferenceResult['tasks'], latencyMs: InferenceResult['latencyMs']): InferenceResult {
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

  /** Events and MQTT for one outcome, in order. */
  private async deliver(outcome: FrameOutcome): Promise<void> {
    if (outcome.ok) this.emit('result', outcome);
    else {
      if (outcome.stage === 'dropped') this.emit('drop', outcome);
      this.emit('error', outcome);
    }
    if (!this.publisher || !outcome.ok) return;
    this.publishPending++;
    const pub = this.publisher;
    this.publishChain = this.publishChain.then(async () => {
      try {
        for (const [task, value] of Object.entries(outcome.tasks)) {
          await pub.publishResult(task, { frameId: outcome.frameId, entry: outcome.entry, modality: outcome.modality, timestamp: outcome.timestamp, model: outcome.model, backend: outcome.backend, latencyMs: outcome.latencyMs, frame: outcome.frame, result: value }, { frameId: outcome.frameId });
        }
      } catch (err) {
        this.emit('error', failure(outcome.frameId, 'postprocess', err));
      } finally {
        this.publishPending--;
      }
    });
    // Bound the results waiting to enter the outbox: a stalled disk slows the pipeline instead of growing memory.
    if (this.publishPending > 64) await this.publishChain;
  }

  //#endregion

  //#region models and swapping

  private acquire(): LoadedModel {
    this.holdMore(this.active);
    return this.active;
  }

  private holdMore(m: LoadedModel): void {
    this.holds.set(m, (this.holds.get(m) ?? 0) + 1);
  }

  private releaseModel(m: LoadedModel): void {
    const n = (this.holds.get(m) ?? 1) - 1;
    if (n > 0) {
      this.holds.set(m, n);
      return;
    }
    this.holds.delete(m);
    if (this.retiring.has(m)) {
      this.retiring.delete(m);
      void m.dispose();
    }
  }

  /**
   * Loads a package beside the serving one (frames keep running on the current model).
   * @throws EdgeError from opening or loading the package
   */
  async loadModel(dir: string): Promise<LoadedModel> {
    this.checkOpen();
    return LoadedModel.load(dir, this.selection.backend, Runtime.loadOptions(this.o));
  }

  /**
   * Makes `model` serve every frame that enters preprocessing from now on; frames already in
   * flight finish on the model they started on. No frame is dropped or run twice.
   * @param retire free the previous model once its last frame is done (default true)
   */
  activate(model: LoadedModel, retire = true): { from: string; to: string } {
    this.checkOpen();
    const old = this.active;
    if (old === model) return { from: old.version, to: model.version };
    this.active = model;
    this.metricsCollector.swaps++;
    if (retire) {
      if (this.holds.has(old)) this.retiring.add(old);
      else void old.dispose();
    }
    const s = { from: `${old.name}@${old.version}`, to: `${model.name}@${model.version}` };
    this.emit('swap', s);
    if (this.publisher) void this.publisher.publishState({ status: 'running', model: s.to, backend: this.backend, swappedFrom: s.from }).catch(() => undefined);
    return s;
  }

  /** Loads, warms up and activates the package in `dir` (a hot swap). */
  async swap(dir: string): Promise<{ from: string; to: string }> {
    const model = await this.loadModel(dir);
    try {
      await model.warmup();
    } catch (err) {
      await model.dispose();
      throw err;
    }
    return this.activate(model);
  }

  /** The currently serving loaded model (for hosts that manage versions, such as the OTA agent). */
  get activeModel(): LoadedModel {
    return this.active;
  }

  //#endregion

  /** Current metrics. */
  metrics(): RuntimeMetrics {
    return this.metricsCollector.snapshot(
      { backend: this.backend, backendSkipped: this.selection.skipped, model: { name: this.active.name, version: this.active.version } },
      this.publisher ? (this.publisher.status() as unknown as Record<string, unknown>) : undefined,
    );
  }

  private async tick(): Promise<void> {
    const m = this.metrics();
    this.emit('metrics', m);
    await this.publisher?.publishMetrics(flattenMetrics(m)).catch(() => undefined);
  }

  private checkOpen(): void {
    if (this.isClosing) throw new EdgeError('E_CLOSED', 'runtime is closed');
  }

  /**
   * Stops admitting frames, lets frames in flight finish, flushes results to MQTT (up to
   * `deadlineMs`; what is left stays in the durable outbox), frees everything. Idempotent.
   */
  close(options: { deadlineMs?: number } = {}): Promise<CloseReport> {
    this.closed ??= (async () => {
      this.isClosing = true;
      for (const stop of this.stoppers) stop();
      while (this.holds.size > 0) await new Promise((r) => setTimeout(r, 5));
      await this.publishChain;
      if (this.timer) clearInterval(this.timer);
      let report: CloseReport = { unsentResults: 0, drained: true };
      if (this.publisher) {
        await this.tick();
        await this.publisher.publishState({ status: 'stopped', model: `${this.active.name}@${this.active.version}` }).catch(() => undefined);
        const r = await this.publisher.close({ deadlineMs: options.deadlineMs ?? 5000 });
        report = { unsentResults: r.pending, drained: r.drained };
      }
      await this.pool?.close();
      await Promise.all([this.active, ...this.retiring].map((m) => m.dispose()));
      return report;
    })();
    return this.closed;
  }
}

