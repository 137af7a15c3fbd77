/**
 * The streaming pipeline behind `runtime.run(source)`:
 *
 *   source → admission queue (drop-oldest or block) → preprocessing (worker threads, in parallel)
 *          → ready queue → batching (same entry, up to `batch.max` inputs or `batch.deadlineMs`)
 *          → inference → post-processing → reorder buffer → delivery (events, MQTT) → caller
 *
 * Preprocessing of later frames overlaps inference of earlier ones, and post-processing of a batch
 * overlaps inference of the next. Every queue is bounded, and a frame may start preprocessing only
 * while it is less than the reorder window ahead of the next outcome to leave, so a slow caller
 * slows the pipeline (block) or makes it drop (drop-oldest) instead of growing memory. A frame that
 * fails at any stage yields a FrameFailure with the reason and the stream goes on. An outcome
 * reaches the caller only once its results are in the MQTT outbox, so a caller that checkpoints its
 * progress never skips a result after a crash. Delivery to events and MQTT does not wait for the
 * caller once the stream is stopped (break, close()), so everything admitted is finished and
 * published.
 */
import { EdgeError } from '../core/errors.js';
import { BoundedQueue } from './bounded-queue.js';
import { ReorderBuffer } from './reorder-buffer.js';
import type { Frame } from '../sensors/frame.js';
import type { PreprocessedFrame } from '../sensors/geometry/layout.js';
import type { InferredBatch } from './frame-stages.js';
import type { LoadedModel } from './loaded-model.js';
import type { MetricsCollector } from './metrics.js';
import { failure, type FrameOutcome } from './results.js';

/** A frame admitted into the pipeline. */
export interface Admitted {
  seq: number;
  /** The frame's id as errors report it (`(no id)` when it has none). */
  id: string;
  frame: Frame;
  /** performance.now() at admission. */
  admittedAt: number;
}

/** A frame after preprocessing. */
export interface Prepared extends Admitted {
  pre: PreprocessedFrame;
  preprocessMs: number;
  /** The model the frame was preprocessed for (input size); it runs on this model. */
  model: LoadedModel;
}

/** A running stream as the runtime sees it. */
export interface StreamHandle {
  /** Stops admission and lets everything admitted finish without waiting for the caller. */
  stop(): void;
  /** Settles once every admitted frame has an outcome and every outcome was delivered. */
  readonly finished: Promise<void>;
}

/** What the pipeline needs from the runtime. */
export interface StreamHost {
  readonly metrics: MetricsCollector;
  readonly batchMax: number;
  readonly batchDeadlineMs: number;
  /** The model for a frame entering preprocessing, held until the frame is done (release). */
  acquire(): LoadedModel;
  /** Releases a frame's hold on its model (a swapped-out model is freed when no frame holds it). */
  releaseModel(model: LoadedModel): void;
  /** The entry a frame runs on (throws for a modality the model does not read). */
  entryOf(model: LoadedModel, frame: Frame): string;
  preprocess(frame: Frame, model: LoadedModel): Promise<PreprocessedFrame>;
  /** Inference of a batch of prepared frames of one entry; never rejects. */
  inferBatch(model: LoadedModel, entry: string, items: Prepared[]): Promise<InferredBatch>;
  /** Post-processing of an inferred batch (synchronous); releases each item's model. */
  postprocessBatch(batch: InferredBatch): FrameOutcome[];
  /**
   * Called with every outcome, in source order, before the caller sees it; resolves with `stored`,
   * which settles once the outcome is stored for publishing (the caller sees it only then).
   */
  deliver(outcome: FrameOutcome): Promise<{ stored: Promise<void> }>;
  /** True once close() was called: stop admitting frames. */
  closing(): boolean;
  /** Registers a running stream (close() stops and awaits it); returns its deregistration. */
  register(stream: StreamHandle): () => void;
}

/** Options of one stream. */
export interface StreamOptions {
  policy: 'drop-oldest' | 'block';
  /** Capacity of the admission and ready queues. */
  capacity: number;
  /** Frames preprocessed at once. */
  concurrency: number;
}

const STOP = Symbol('stop');

function frameIdOf(frame: unknown): string {
  const id = typeof frame === 'object' && frame !== null ? (frame as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length > 0 ? id.slice(0, 256) : '(no id)';
}

/** Runs `source` through the pipeline; yields one outcome per frame, in source order. */
export async function* runStream(host: StreamHost, source: AsyncIterable<Frame> | Iterable<Frame>, o: StreamOptions): AsyncGenerator<FrameOutcome> {
  const reorder = new ReorderBuffer<FrameOutcome>(Math.max(16, o.capacity * 4));
  const admission = new BoundedQueue<Admitted>(o.capacity, o.policy, (dropped) => {
    host.metrics.dropped++;
    reorder.put(dropped.seq, failure(dropped.id, 'dropped', new EdgeError('E_FRAME_DROPPED', `frame ${JSON.stringify(dropped.id)} dropped: the admission queue was full (drop-oldest policy)`)));
  });
  const ready = new BoundedQueue<Prepared>(o.capacity, 'block');
  const toCaller = new BoundedQueue<{ outcome: FrameOutcome; stored: Promise<void> }>(o.capacity, 'block');
  const depth = host.metrics.queueDepth;
  let total = 0;
  let sourceError: unknown;
  let deliveryError: unknown;
  let stopped = false;
  let signalStop!: (v: typeof STOP) => void;
  const stopSignal = new Promise<typeof STOP>((resolve) => (signalStop = resolve));
  const stop = (): void => {
    stopped = true;
    signalStop(STOP);
    reorder.release();
    toCaller.release();
  };

  const producer = (async () => {
    let it: AsyncIterator<Frame> | Iterator<Frame> | undefined;
    try {
      it = Symbol.asyncIterator in (source as object) ? (source as AsyncIterable<Frame>)[Symbol.asyncIterator]() : (source as Iterable<Frame>)[Symbol.iterator]();
      for (let n = 1; ; n++) {
        if (stopped || host.closing()) {
          // return() on a generator still waiting for its next frame would wait with it: do not await.
          void Promise.resolve(it.return?.()).catch(() => undefined);
          break;
        }
        // A live source may wait forever for its next frame: stopping must not wait for it.
        const r = await Promise.race([Promise.resolve(it.next()), stopSignal]);
        if (r === STOP) continue;
        if (r.done) break;
        host.metrics.received++;
        const frame = r.value;
        await admission.push({ seq: total++, id: frameIdOf(frame), frame, admittedAt: performance.now() });
        depth.admission.depth = admission.depth;
        depth.admission.highWater = Math.max(depth.admission.highWater, admission.highWater);
        // A synchronous source never yields to the event loop by itself: let timers and I/O run.
        if (n % 32 === 0) await new Promise((r) => setImmediate(r));
      }
    } catch (err) {
      sourceError = err;
    } finally {
      admission.close();
    }
  })();

  const preprocessOne = async (a: Admitted): Promise<void> => {
    // Work starts only within the reorder window: a slow caller holds frames back here.
    await reorder.waitForRoom(a.seq);
    const model = host.acquire();
    const t0 = performance.now();
    let pre: PreprocessedFrame;
    try {
      host.entryOf(model, a.frame);
      pre = await host.preprocess(a.frame, model);
    } catch (err) {
      host.releaseModel(model);
      host.metrics.failed++;
      reorder.put(a.seq, failure(a.id, 'preprocess', err));
      return;
    }
    await ready.push({ ...a, pre, preprocessMs: performance.now() - t0, model });
    depth.ready.depth = ready.depth;
    depth.ready.highWater = Math.max(depth.ready.highWater, ready.highWater);
  };
  const preprocessors = Array.from({ length: Math.max(1, o.concurrency) }, async () => {
    for (;;) {
      const r = await admission.take();
      if (r.done) return;
      depth.admission.depth = admission.depth;
      await preprocessOne(r.value);
    }
  });
  const preprocessing = Promise.all(preprocessors).finally(() => ready.close());

  // Inference and post-processing are pipelined: batch k+1 is handed to the backend (which runs it
  // off this thread: a worker thread for onnxruntime, CUDA for TensorRT) before batch k is
  // post-processed here, so post-processing overlaps inference. At most one batch waits for
  // post-processing; when no frame is ready, it is post-processed at once (no added latency).
  let inFlight: { batch: Prepared[]; inferred: Promise<InferredBatch> } | undefined;
  const finishInFlight = async (): Promise<void> => {
    const f = inFlight!;
    inFlight = undefined;
    let results: FrameOutcome[];
    try {
      results = host.postprocessBatch(await f.inferred);
    } catch (err) {
      // Failures are per frame in the stages; this is a bug, but no frame may vanish.
      results = f.batch.map((it) => failure(it.id, 'inference', new EdgeError('E_INTERNAL', `batch failed unexpectedly: ${(err as Error)?.message ?? String(err)}`, { cause: err })));
      host.metrics.failed += f.batch.length;
    }
    f.batch.forEach((it, i) => reorder.put(it.seq, results[i]!));
  };
  const inference = (async () => {
    let carry: Prepared | undefined;
    for (;;) {
      if (inFlight && !carry && ready.depth === 0) await finishInFlight();
      let first = carry;
      carry = undefined;
      if (!first) {
        const r = await ready.take();
        if (r.done) break;
        first = r.value;
      }
      depth.ready.depth = ready.depth;
      // A frame runs on the model it was preprocessed for: a swap takes effect for frames that
      // enter preprocessing after it, so no frame is dropped or run twice because of it.
      const model = first.model;
      let entry: string;
      try {
        entry = host.entryOf(model, first.frame);
      } catch (err) {
        host.metrics.failed++;
        host.releaseModel(model);
        reorder.put(first.seq, failure(first.id, 'inference', err));
        continue;
      }
      const batch = [first];
      let inputs = first.pre.layout.tiles.length;
      const deadline = performance.now() + host.batchDeadlineMs;
      while (inputs < host.batchMax) {
        const next = await ready.takeWithin(deadline - performance.now());
        if (!next || next.done) break;
        if (next.value.model !== model || !sameEntry(host, model, next.value.frame, entry)) {
          carry = next.value;
          break;
        }
        batch.push(next.value);
        inputs += next.value.pre.layout.tiles.length;
      }
      const started = { batch, inferred: host.inferBatch(model, entry, batch) };
      if (inFlight) await finishInFlight();
      inFlight = started;
    }
    if (inFlight) await finishInFlight();
  })();

  const pipeline = Promise.all([producer, preprocessing, inference]).then(
    () => reorder.finish(total),
    (err: unknown) => reorder.abort(err),
  );

  let pipelineError: unknown;
  const pump = (async () => {
    try {
      for (;;) {
        const r = await reorder.next();
        if (r.done) break;
        let stored = Promise.resolve();
        try {
          ({ stored } = await host.deliver(r.value));
        } catch (err) {
          // A listener threw: the caller gets that error; the stream stops but still finishes and
          // publishes what it admitted.
          deliveryError ??= err;
          stop();
        }
        await toCaller.push({ outcome: r.value, stored });
      }
    } catch (err) {
      pipelineError = err;
    } finally {
      toCaller.close();
    }
  })();

  const finished = Promise.all([pipeline, pump]).then(() => undefined);
  const unregister = host.register({ stop, finished });
  try {
    for (;;) {
      const r = await toCaller.take();
      if (deliveryError) throw deliveryError;
      if (r.done) break;
      // When the caller sees an outcome, its results are in the outbox: a checkpoint written now
      // never skips a result after a crash.
      await r.value.stored;
      yield r.value.outcome;
    }
  } finally {
    // The caller may stop early (break): admit nothing more, let what is in flight finish and
    // deliver it (results still reach MQTT), so no frame is left half-processed.
    stop();
    await finished;
    unregister();
  }
  if (pipelineError) throw new EdgeError('E_INTERNAL', `the pipeline failed: ${(pipelineError as Error)?.message ?? String(pipelineError)}`, { cause: pipelineError });
  if (sourceError) throw new EdgeError('E_INVALID_ARGUMENT', `the frame source failed: ${(sourceError as Error)?.message ?? String(sourceError)}`, { cause: sourceError, field: 'source' });
}

function sameEntry(host: StreamHost, model: LoadedModel, frame: Frame, entry: string): boolean {
  try {
    return host.entryOf(model, frame) === entry;
  } catch {
    return false;
  }
}
