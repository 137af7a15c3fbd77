/**
 * Preprocessing, the second stage of the streaming pipeline: several frames at once (on the worker
 * pool), each for the model serving when it starts, into the bounded ready queue. A frame starts
 * only while it is less than the reorder window ahead of the next outcome to leave, so a slow
 * caller holds frames back here instead of growing memory.
 */
import type { Frame } from '../sensors/frame.js';
import type { PreprocessedFrame } from '../sensors/geometry/layout.js';
import type { Admitted } from './admit.js';
import type { BoundedQueue } from './bounded-queue.js';
import type { LoadedModel } from './loaded-model.js';
import type { MetricsCollector } from './metrics.js';
import type { ModelLease } from './model-lease.js';
import type { ReorderBuffer } from './reorder-buffer.js';
import { failure, type FrameOutcome } from './results.js';

/** A frame after preprocessing. */
export interface Prepared extends Admitted {
  pre: PreprocessedFrame;
  preprocessMs: number;
  /** The hold on the model the frame was preprocessed for (input size); it runs on this model. */
  lease: ModelLease;
}

/** What preprocessing needs from the runtime. */
export interface PreprocessHost {
  readonly metrics: MetricsCollector;
  /** A hold on the model for a frame entering preprocessing, released once the frame is done. */
  acquire(): ModelLease;
  /** The entry a frame runs on (throws for a modality the model does not read). */
  entryOf(model: LoadedModel, frame: Frame): string;
  preprocess(frame: Frame, model: LoadedModel): Promise<PreprocessedFrame>;
}

/**
 * Runs `concurrency` preprocessing loops over `admission` until it is drained, then closes
 * `ready`. A frame that fails gets its outcome in `reorder` and releases its model.
 */
export function preprocess(
  host: PreprocessHost,
  admission: BoundedQueue<Admitted>,
  ready: BoundedQueue<Prepared>,
  reorder: ReorderBuffer<FrameOutcome>,
  concurrency: number,
): Promise<void> {
  const loops = Array.from({ length: Math.max(1, concurrency) }, async () => {
    for (;;) {
      const r = await admission.take();
      if (r.done) return;
      host.metrics.queueDepth.admission.depth = admission.depth;
      await preprocessOne(host, r.value, ready, reorder);
    }
  });
  return Promise.all(loops)
    .finally(() => ready.close())
    .then(() => undefined);
}

async function preprocessOne(
  host: PreprocessHost,
  a: Admitted,
  ready: BoundedQueue<Prepared>,
  reorder: ReorderBuffer<FrameOutcome>,
): Promise<void> {
  // Work starts only within the reorder window: a slow caller holds frames back here.
  await reorder.waitForRoom(a.seq);
  const lease = host.acquire();
  const t0 = performance.now();
  let pre: PreprocessedFrame;
  try {
    host.entryOf(lease.model, a.frame);
    pre = await host.preprocess(a.frame, lease.model);
  } catch (err) {
    lease.release();
    host.metrics.failed++;
    reorder.put(a.seq, failure(a.id, 'preprocess', err));
    return;
  }
  await ready.push({ ...a, pre, preprocessMs: performance.now() - t0, lease });
  const depth = host.metrics.queueDepth.ready;
  depth.depth = ready.depth;
  depth.highWater = Math.max(depth.highWater, ready.highWater);
}
