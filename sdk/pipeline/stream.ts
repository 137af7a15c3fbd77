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
 *
 * The stages, one module each: {@link admit} (admit.ts), {@link preprocess} (preprocess.ts),
 * {@link infer} (infer.ts), {@link deliver} (deliver.ts); this module wires them together and hands
 * outcomes to the caller.
 */
import { EdgeError } from '../core/errors.js';
import type { Frame } from '../sensors/frame.js';
import { admissionQueue, admit, StopSignal, type AdmitHost } from './admit.js';
import { BoundedQueue } from './bounded-queue.js';
import { deliver, type DeliverHost, type Delivered } from './deliver.js';
import { infer, type InferHost } from './infer.js';
import { preprocess, type Prepared, type PreprocessHost } from './preprocess.js';
import { ReorderBuffer } from './reorder-buffer.js';
import type { FrameOutcome } from './results.js';

/** A running stream as the runtime sees it. */
export interface StreamHandle {
  /** Stops admission and lets everything admitted finish without waiting for the caller. */
  stop(): void;
  /** Settles once every admitted frame has an outcome and every outcome was delivered. */
  readonly finished: Promise<void>;
}

/** What the pipeline needs from the runtime: what each stage needs, and a registry of streams. */
export interface StreamHost extends AdmitHost, PreprocessHost, InferHost, DeliverHost {
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

/** Runs `source` through the pipeline; yields one outcome per frame, in source order. */
export async function* runStream(
  host: StreamHost,
  source: AsyncIterable<Frame> | Iterable<Frame>,
  o: StreamOptions,
): AsyncGenerator<FrameOutcome> {
  const reorder = new ReorderBuffer<FrameOutcome>(Math.max(16, o.capacity * 4));
  const admission = admissionQueue(o.capacity, o.policy, host.metrics, reorder);
  const ready = new BoundedQueue<Prepared>(o.capacity, 'block');
  const toCaller = new BoundedQueue<Delivered>(o.capacity, 'block');
  const stop = new StopSignal();
  stop.onStop(() => {
    reorder.release();
    toCaller.release();
  });
  let listenerError: unknown;

  const admitting = admit(host, source, admission, stop);
  const pipeline = Promise.all([
    admitting,
    preprocess(host, admission, ready, reorder, o.concurrency),
    infer(host, ready, reorder),
  ]).then(
    ([admitted]) => reorder.finish(admitted.admitted),
    (err: unknown) => reorder.abort(err),
  );
  const delivering = deliver(host, reorder, toCaller, (err) => {
    listenerError ??= err;
    stop.stop();
  });

  const finished = Promise.all([pipeline, delivering]).then(() => undefined);
  const unregister = host.register({ stop: () => stop.stop(), finished });
  try {
    for (;;) {
      const r = await toCaller.take();
      if (listenerError) throw listenerError;
      if (r.done) break;
      // When the caller sees an outcome, its results are in the outbox: a checkpoint written now
      // never skips a result after a crash.
      await r.value.stored;
      yield r.value.outcome;
    }
  } finally {
    // The caller may stop early (break): admit nothing more, let what is in flight finish and
    // deliver it (results still reach MQTT), so no frame is left half-processed.
    stop.stop();
    await finished;
    unregister();
  }
  const { pipelineError } = await delivering;
  if (pipelineError)
    throw new EdgeError(
      'E_INTERNAL',
      `the pipeline failed: ${(pipelineError as Error)?.message ?? String(pipelineError)}`,
      { cause: pipelineError },
    );
  const { sourceError } = await admitting;
  if (sourceError)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `the frame source failed: ${(sourceError as Error)?.message ?? String(sourceError)}`,
      { cause: sourceError, field: 'source' },
    );
}
