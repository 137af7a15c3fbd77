/**
 * Delivery, the last stage of the streaming pipeline: outcomes leave the reorder buffer in source
 * order, go to the runtime's events and MQTT, then wait in a bounded queue for the caller. It does
 * not wait for the caller once the stream is stopped, so everything admitted is still delivered and
 * published after a `break` or close().
 */
import type { BoundedQueue } from './bounded-queue.js';
import type { ReorderBuffer } from './reorder-buffer.js';
import type { FrameOutcome } from './results.js';

/** What delivery needs from the runtime. */
export interface DeliverHost {
  /**
   * Called with every outcome, in source order, before the caller sees it; resolves with `stored`,
   * which settles once the outcome is stored for publishing (the caller sees it only then).
   */
  deliver(outcome: FrameOutcome): Promise<{ stored: Promise<void> }>;
}

/** An outcome delivered to events and MQTT, for the caller once `stored` settles. */
export interface Delivered {
  outcome: FrameOutcome;
  stored: Promise<void>;
}

/** How delivery ended: `pipelineError` when the pipeline before it failed (a bug). */
export interface Delivery {
  pipelineError?: unknown;
}

/**
 * Delivers every outcome of `reorder` into `toCaller` until the pipeline finishes, then closes
 * `toCaller`. A listener's error goes to `onListenerError` (which stops the stream) and delivery
 * goes on. Never rejects.
 */
export async function deliver(
  host: DeliverHost,
  reorder: ReorderBuffer<FrameOutcome>,
  toCaller: BoundedQueue<Delivered>,
  onListenerError: (err: unknown) => void,
): Promise<Delivery> {
  const result: Delivery = {};
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
        onListenerError(err);
      }
      await toCaller.push({ outcome: r.value, stored });
    }
  } catch (err) {
    result.pipelineError = err;
  } finally {
    toCaller.close();
  }
  return result;
}
