/**
 * The per-frame stages of the runtime: which entry a frame runs on, preprocessing (on the worker
 * pool), inference of a batch, task post-processing, and the result record. Shared by the
 * single-frame calls and the streaming pipeline.
 */
import { EdgeError } from '../core/errors.js';
import type { EntryManifest } from '../package/package-manifest.js';
import { checkFrameFields, type Frame } from '../sensors/frame.js';
import type { PreprocessedFrame } from '../sensors/geometry/layout.js';
import { preprocessPair } from '../sensors/preprocess/pair.js';
import type { PreprocessPool } from '../sensors/preprocess/pool.js';
import { preprocessFrame } from '../sensors/preprocess/preprocess.js';
import type { PreprocessOptions } from '../sensors/preprocess/preprocess-options.js';
import type { BackendName } from '../core/backend.js';
import type { HostTensor } from '../core/host-tensor.js';
import { runFrames } from './batch-run.js';
import type { LoadedModel } from './loaded-model.js';
import type { MetricsCollector } from './metrics.js';
import { frameResult, queuedLatency } from './frame-result.js';
import { effectivePreprocess, withDeclaredSensor } from './package-preprocessing.js';
import { runMultiInput } from './multi-input.js';
import {
  failure,
  neededOutputs,
  taskResults,
  type FrameOutcome,
  type InferenceResult,
  type LatencyBreakdown,
  type TaskOptions,
} from './results.js';
import type { Prepared } from './preprocess.js';

/** A batch whose inference is done: what {@link FrameStages.postprocessBatch} needs. */
export interface InferredBatch {
  model: LoadedModel;
  entryName: string;
  items: Prepared[];
  /** Outcomes so far: failures of frames that did not reach inference (filled in by post-processing). */
  outcomes: FrameOutcome[];
  /** Indices into `items` of the frames that were inferred, in the order of `perFrame`. */
  valid: number[];
  perFrame: Record<string, HostTensor>[];
  /** When inference of the batch started (performance.now()). */
  t0: number;
  inferenceMs: number;
}

/** What the frame stages read of the runtime's resolved options (sdk/runtime/options.ts). */
export interface FrameStageOptions {
  /** Preprocessing options of the caller, over each package's declared ones. */
  preprocess: Omit<PreprocessOptions, 'inputSize'>;
  /** Input size override of the package's. */
  inputSize?: { width: number; height: number };
  tasks: TaskOptions;
  /** Most frames per backend batch. */
  batchMax: number;
  /** Hand pixel buffers to the preprocessing workers instead of copying them (the caller's arrays are detached). */
  transferPixels: boolean;
}

/**
 * Frame stages bound to one runtime's options, pool and metrics.
 * @example
 * const outcomes = await stages.processBatch(model, 'optical', preparedFrames);
 */
export class FrameStages {
  constructor(
    private readonly o: FrameStageOptions,
    private readonly pool: PreprocessPool | undefined,
    private readonly metrics: MetricsCollector,
    /** The backend results name. */
    readonly backend: BackendName,
  ) {}

  /**
   * The entry a frame runs on.
   * @throws EdgeError E_FRAME_INVALID (not a frame), E_UNKNOWN_MODALITY naming the frame
   */
  entryOf(model: LoadedModel, frame: Frame): string {
    const ref = checkFrameFields(frame);
    try {
      return model.entryForModality(frame.modality).name;
    } catch (err) {
      if (err instanceof EdgeError)
        throw new EdgeError(err.code, `frame ${JSON.stringify(ref.id)}: ${err.message}`, {
          ...(err.field ? { field: err.field } : {}),
          cause: err,
        });
      throw err;
    }
  }

  /**
   * Preprocessing options for frames of `modality` on `model`: its input size, the preprocessing
   * the package declares for the modality, and the runtime's options over it.
   */
  preprocessOptions(model: LoadedModel, modality?: unknown): PreprocessOptions {
    const size = model.inputSize ?? this.o.inputSize ?? this.entryInputSize(model);
    return { ...effectivePreprocess(model.pkg.manifest, modality, this.o.preprocess), inputSize: size };
  }

  private entryInputSize(model: LoadedModel): { width: number; height: number } {
    const e = model.pkg.manifest.entries[0]!;
    const [h, w] = e.inputs[0]!.shape.slice(2);
    if (typeof h === 'number' && typeof w === 'number') return { width: w, height: h };
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `package ${model.name} has no fixed input size (entry ${e.name} input ${e.inputs[0]!.name} is [${e.inputs[0]!.shape.join(', ')}])`,
      {
        field: 'options.inputSize',
        hint: 'give the size to run it at: options.inputSize { width, height } (CLI: --input-size <h>x<w>)',
      },
    );
  }

  /** Preprocesses a frame for `model`, on the pool when there is one. */
  preprocess(given: Frame, model: LoadedModel): Promise<PreprocessedFrame> {
    const frame = withDeclaredSensor(model.pkg.manifest, given);
    const opts = this.preprocessOptions(model, frame?.modality);
    return this.pool
      ? this.pool.preprocess(plainBytes(frame), opts, { transfer: this.o.transferPixels })
      : preprocessFrame(frame, opts);
  }

  /**
   * One engine call, counted in the metrics with its batch size (N of its first input): tiled
   * frames of one queue batch may take several calls of at most `batch.max` inputs each.
   */
  private engineCall(
    model: LoadedModel,
    entry: EntryManifest,
    feeds: Record<string, HostTensor>,
  ): Promise<Record<string, HostTensor>> {
    this.metrics.recordBatch(Object.values(feeds)[0]?.shape[0] ?? 0);
    return model.run(entry.name, feeds, neededOutputs(entry, this.o.tasks));
  }

  /** Inference and post-processing of frames of one entry; releases each item's model lease. */
  async processBatch(model: LoadedModel, entryName: string, items: Prepared[]): Promise<FrameOutcome[]> {
    return this.postprocessBatch(await this.inferBatch(model, entryName, items));
  }

  /**
   * Inference of frames of one entry: the first half of {@link processBatch}. Never rejects (a
   * failure becomes the frames' outcomes). Hand the result to {@link postprocessBatch}, which
   * releases the items' model leases.
   */
  async inferBatch(model: LoadedModel, entryName: string, items: Prepared[]): Promise<InferredBatch> {
    const outcomes: FrameOutcome[] = new Array(items.length);
    const t0 = performance.now();
    const batch: InferredBatch = { model, entryName, items, outcomes, valid: [], perFrame: [], t0, inferenceMs: 0 };
    try {
      const entry = model.pkg.entry(entryName);
      const [c, h, w] = entry.inputs[0]!.shape.slice(1);
      // Symbolic dimensions (an imported dynamic model) take any size.
      const fits = (want: number | string | undefined, got: number) =>
        typeof want !== 'number' || want < 1 || want === got;
      items.forEach((it, i) => {
        const { input } = it.pre.layout;
        if (!fits(c, input.channels) || !fits(h, input.height) || !fits(w, input.width)) {
          this.metrics.failed++;
          outcomes[i] = failure(
            it.id,
            'inference',
            new EdgeError(
              'E_FRAME_INVALID',
              `frame ${JSON.stringify(it.id)}: preprocessed to ${input.channels}×${input.height}×${input.width} but entry ${entry.name} takes ${c}×${h}×${w}`,
              { field: 'frame.modality' },
            ),
          );
        } else batch.valid.push(i);
      });
      if (batch.valid.length === 0) return batch;
      batch.perFrame = await runFrames(
        entry,
        batch.valid.map((i) => items[i]!.pre),
        this.o.batchMax,
        (feeds) => this.engineCall(model, entry, feeds),
      );
      batch.inferenceMs = performance.now() - t0;
    } catch (err) {
      for (const i of batch.valid) {
        this.metrics.failed++;
        outcomes[i] = failure(items[i]!.id, 'inference', err);
      }
      batch.valid = [];
      batch.perFrame = [];
    }
    return batch;
  }

  /**
   * Task post-processing of an inferred batch (synchronous, on this thread): the second half of
   * {@link processBatch}. A frame whose post-processing fails fails alone. Releases every item's
   * model lease.
   */
  postprocessBatch(batch: InferredBatch): FrameOutcome[] {
    const { model, items, outcomes } = batch;
    try {
      batch.valid.forEach((i, k) => {
        const it = items[i]!;
        const p0 = performance.now();
        try {
          const tasks = taskResults(batch.perFrame[k]!, it.pre, model.pkg.manifest, this.o.tasks);
          const latency = queuedLatency(it, batch.t0, batch.inferenceMs, p0, performance.now());
          outcomes[i] = this.result(model, batch.entryName, it.frame, it.pre, tasks, latency);
          this.metrics.recordResult(latency);
        } catch (err) {
          this.metrics.failed++;
          outcomes[i] = failure(it.id, 'postprocess', err);
        }
      });
      return outcomes;
    } finally {
      for (const it of items) it.lease.release();
    }
  }

  /** The result record of one frame (see {@link frameResult}). */
  result(
    model: LoadedModel,
    entry: string,
    frame: Frame,
    pre: PreprocessedFrame,
    tasks: InferenceResult['tasks'],
    latencyMs: LatencyBreakdown,
  ): InferenceResult {
    return frameResult(model, this.backend, entry, frame, pre, tasks, latencyMs);
  }

  /** Two co-registered frames preprocessed alike (change, two-frame fusion). */
  preprocessPair(a: Frame, b: Frame, opts: PreprocessOptions): Promise<[PreprocessedFrame, PreprocessedFrame]> {
    return this.pool
      ? this.pool.preprocessPair(plainBytes(a), plainBytes(b), opts, { transfer: this.o.transferPixels })
      : preprocessPair(a, b, opts);
  }

  /**
   * A multi-input entry (change, fusion) on one set of co-registered frames.
   * @param frames one per name in `names`, in that order
   * @param first the frame the result is named after (its layout maps the outputs back)
   * @throws EdgeError from preprocessing, inference or post-processing
   */
  async runMulti(
    model: LoadedModel,
    entry: EntryManifest,
    frames: Frame[],
    names: string[],
    first: Frame,
    t0: number,
  ): Promise<InferenceResult> {
    const opts = this.preprocessOptions(model, first.modality);
    const pres =
      frames.length === 2
        ? await this.preprocessPair(
            withDeclaredSensor(model.pkg.manifest, frames[0]!),
            withDeclaredSensor(model.pkg.manifest, frames[1]!),
            opts,
          )
        : await Promise.all(frames.map((f) => this.preprocess(f, model)));
    const t1 = performance.now();
    const outputs = await runMultiInput(entry, pres, names, this.o.batchMax, (feeds) =>
      this.engineCall(model, entry, feeds),
    );
    const t2 = performance.now();
    const pre =
      pres[names.indexOf(entry.inputs.find((i) => i.modality === first.modality)?.name ?? names[0]!)] ?? pres[0]!;
    const tasks = taskResults(outputs, pre, model.pkg.manifest, this.o.tasks);
    const t3 = performance.now();
    const latency = { preprocess: t1 - t0, queue: 0, inference: t2 - t1, postprocess: t3 - t2, total: t3 - t0 };
    this.metrics.recordResult(latency);
    return this.result(model, entry.name, first, pre, tasks, latency);
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
