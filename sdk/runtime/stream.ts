/**
 * The streaming pipeline behind `runtime.run(source)`:
 *
 *   source → admission queue (drop-oldest or block) → preprocessing (worker threads, in parallel)
 *          → ready queue → batching (same entry, up to `batch.max` inputs or `batch.deadlineMs`)
 *          → inference → post-processing → reorder buffer → caller, in source order
 *
 * Preprocessing of later frames overlaps inference of earlier ones; every queue is bounded, so
 * memory stays flat whatever the source does. A frame that fails at any stage yields a
 * FrameFailure with the reason and the stream goes on.
 */
import { EdgeError } from '../core/errors.js';
import { BoundedQueue } from '../pipeline/bounded-queue.js';
import { ReorderBuffer } from '../pipeline/reorder-buffer.js';
import type { Frame } from '../sensors/frame.js';
import type { PreprocessedFrame } from '../sensors/layout.js';
import type { LoadedModel } from './loaded-model.js';
import type { MetricsCollector } from './metrics.js';
import { failure, type FrameOutcome } from './results.js';

/** A frame admitted into the pipeline. */
export interface Admitted {
  seq: number;
  frame: Frame;
  /** performance.now() at admission. */
  admittedAt: number;
}

/** A frame after preprocessing. */
export interface Prepared extends Admitted {
  pre: PreprocessedFrame;
  preprocessMs: number;
  /** The model the frame was preprocessed for (input size). */
  model: LoadedModel;
}

export interface StreamHost {
  readonly metrics: MetricsCollector;
  readonly batchMax: number;
  readonly batchDeadlineMs: number;
  /** The model for a frame entering preprocessing, held until the frame is done (release). */
  acquire(): LoadedModel;
  /** Releases a frame's hold on its model (a swapped-out model is freed when no frame holds it). */
  release(item: Prepared): void;
  releaseModel(model: LoadedModel): void;
  /** The entry a frame runs on (throws for a modality the model does not read). */
  entryOf(model: LoadedModel, frame: Frame): string;
  preprocess(frame: Frame, model: LoadedModel): Promise<PreprocessedFrame>;
  /** Inference + post-processing of a batch of prepared frames of one entry; releases each item. */
  processBatch(model: LoadedModel, entry: string, items: Prepared[]): Promise<FrameOutcome[]>;
  /** Called with every outcome, in source order, before the caller sees it. */
  deliver(outcome: FrameOutcome): Promise<void>;
  /** True once close() was called: stop admitting frames. */
  closing(): boolean;
  /** Registers a function that stops admission (close() calls it); returns its deregistration. */
  onClose(stop: () => void): () => void;
}

export interface StreamOptions {
  policy: 'drop-oldest' | 'block';
  capacity: number;
  workers: number;
}

function inputsOf(p: Prepared): number {
  return p.pre.layout.tiles.length;
}

/** Runs `source` through the pipeline; yields one outcome per frame, in source order. */
export async function* runStream(host: StreamHost, source: AsyncIterable<Frame> | Iterable<Frame>, o: StreamOptions): AsyncGenerator<FrameOutcome> {
  const outcomes = new ReorderBuffer<FrameOutcome>(Math.max(16, o.capacity * 4));
  const admission = new BoundedQueue<Admitted>(o.capacity, o.policy, (dropped) => {
    host.metrics.dropped++;
    outcomes.put(dropped.seq, failure(dropped.frame.id, 'dropped', new EdgeError('E_INVALID_ARGUMENT', 'dropped: the admission queue was full (live source, drop-oldest policy)')));
  });
  const ready = new BoundedQueue<Prepared>(o.capacity, 'block');
  const depth = host.metrics.queueDepth;
  let total = 0;
  let sourceError: unknown;
  let stopped = false;
  let stop!: () => void;
  const stopSignal = new Promise<IteratorResult<Frame>>((resolve) => (stop = () => resolve({ done: true, value: undefined })));
  const unregister = host.onClose(() => stop());

  const producer = (async () => {
    const it: AsyncIterator<Frame> | Iterator<Frame> =
      Symbol.asyncIterator in (source as object) ? (source as AsyncIterable<Frame>)[Symbol.asyncIterator]() : (source as Iterable<Frame>)[Symbol.iterator]();
    try {
      for (;;) {
        // A live source may wait forever for its next frame: stopping must not wait for it.
        const r = await Promise.race([it.next(), stopSignal]);
        if (r.done || host.closing() || stopped) {
          // return() on a generator still waiting for its next frame would wait with it: do not await.
          if (!r.done || stopped) void Promise.resolve(it.return?.()).catch(() => undefined);
          break;
        }
        const frame = r.value;
        host.metrics.received++;
        const id = typeof (frame as { id?: unknown })?.id === 'string' ? (frame as Frame).id : '(no id)';
        const seq = total++;
        if (typeof frame !== 'object' || frame === null) {
          outcomes.put(seq, failure(id, 'admission', new EdgeError('E_FRAME_INVALID', `frame ${JSON.stringify(id)}: expected a frame object`)));
          continue;
        }
        await admission.push({ seq, frame, admittedAt: performance.now() });
        depth.admission.depth = admission.depth;
        depth.admission.highWater = Math.max(depth.admission.highWater, admission.highWater);
      }
    } catch (err) {
      sourceError = err;
    } finally {
      admission.close();
    }
  })();

  const preprocessors = Array.from({ length: Math.max(1, o.workers) }, async () => {
    for await (const a of admission) {
      depth.admission.depth = admission.depth;
      const model = host.acquire();
      const t0 = performance.now();
      let handedOver = false;
      try {
        host.entryOf(model, a.frame);
        const pre = await host.preprocess(a.frame, model);
        await ready.push({ ...a, pre, preprocessMs: performance.now() - t0, model });
        handedOver = true;
        depth.ready.depth = ready.depth;
        depth.ready.highWater = Math.max(depth.ready.highWater, ready.highWater);
      } catch (err) {
        host.metrics.failed++;
        outcomes.put(a.seq, failure(a.frame.id, 'preprocess', err));
      } finally {
        if (!handedOver) host.releaseModel(model);
      }
    }
  });
  const preprocessing = Promise.all(preprocessors).finally(() => ready.close());

  const inference = (async () => {
    let carry: Prepared | undefined;
    for (;;) {
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
        host.release(first);
        outcomes.put(first.seq, failure(first.frame.id, 'inference', err));
        continue;
      }
      const batch = [first];
      let inputs = inputsOf(first);
      const deadline = performance.now() + host.batchDeadlineMs;
      while (inputs < host.batchMax) {
        const next = await ready.takeWithin(deadline - performance.now());
        if (!next || next.done) break;
        let sameEntry = false;
        try {
          sameEntry = next.value.model === model && host.entryOf(model, next.value.frame) === entry;
        } catch {
          sameEntry = false;
        }
        if (!sameEntry) {
          carry = next.value;
          break;
        }
        batch.push(next.value);
        inputs += inputsOf(next.value);
      }
      await outcomes.waitForRoom();
      const results = await host.processBatch(model, entry, batch);
      results.forEach((r, i) => outcomes.put(batch[i]!.seq, r));
    }
  })();

  const done = Promise.all([producer, preprocessing, inference]).then(() => outcomes.finish(total));
  let pipelineError: unknown;
  done.catch((err) => {
    pipelineError = err;
    outcomes.finish(total);
  });
  const drained = outcomes.drain();
  try {
    for await (const outcome of drained) {
      await host.deliver(outcome);
      yield outcome;
    }
  } finally {
    // The caller may stop early (break): admit nothing more, let what is in flight finish and
    // deliver it (results still reach MQTT), so no frame is left half-processed.
    stopped = true;
    stop();
    for await (const outcome of drained) await host.deliver(outcome);
    unregister();
  }
  await done.catch(() => undefined);
  if (pipelineError) throw pipelineError;
  if (sourceError) throw new EdgeError('E_INVALID_ARGUMENT', `the frame source failed: ${(sourceError as Error)?.message ?? String(sourceError)}`, { cause: sourceError, field: 'source' });
}
