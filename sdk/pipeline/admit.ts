/**
 * Admission, the first stage of the streaming pipeline: frames leave the source one at a time and
 * enter the bounded admission queue, which drops its oldest frame (live sensors) or makes the
 * source wait (archives) when preprocessing falls behind. Stopping the stream (break, close(), a
 * listener's error) ends admission at once, even while a live source waits for its next frame.
 */
import { EdgeError } from '../core/errors.js';
import type { Frame } from '../sensors/frame.js';
import { BoundedQueue, type QueuePolicy } from './bounded-queue.js';
import type { MetricsCollector } from './metrics.js';
import type { ReorderBuffer } from './reorder-buffer.js';
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

/** What admission needs from the runtime. */
export interface AdmitHost {
  readonly metrics: MetricsCollector;
  /** True once close() was called: stop admitting frames. */
  closing(): boolean;
}

const STOP = Symbol('stop');

/**
 * The stream's stop: set once, by whoever stops it first; admission races the source against it.
 * @example
 * const stop = new StopSignal(); stop.onStop(() => queue.release()); stop.stop();
 */
export class StopSignal {
  private isStopped = false;
  private signal!: (v: typeof STOP) => void;
  private readonly listeners: (() => void)[] = [];
  /** Settles with the stop marker once the stream is stopped. */
  readonly stopped: Promise<typeof STOP> = new Promise((resolve) => (this.signal = resolve));

  /** True once {@link StopSignal.stop} was called. */
  get isSet(): boolean {
    return this.isStopped;
  }

  /** Runs `fn` on every stop() (stopping twice runs it twice, as releasing a queue twice is harmless). */
  onStop(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Stops the stream. */
  stop(): void {
    this.isStopped = true;
    this.signal(STOP);
    for (const fn of this.listeners) fn();
  }
}

/**
 * The admission queue: with `drop-oldest`, an evicted frame is counted and gets its `dropped`
 * outcome in `reorder` (in source order, like any other).
 */
export function admissionQueue(
  capacity: number,
  policy: QueuePolicy,
  metrics: MetricsCollector,
  reorder: ReorderBuffer<FrameOutcome>,
): BoundedQueue<Admitted> {
  return new BoundedQueue<Admitted>(capacity, policy, (dropped) => {
    metrics.dropped++;
    reorder.put(
      dropped.seq,
      failure(
        dropped.id,
        'dropped',
        new EdgeError(
          'E_FRAME_DROPPED',
          `frame ${JSON.stringify(dropped.id)} dropped: the admission queue was full (drop-oldest policy)`,
        ),
      ),
    );
  });
}

/** What admission did: frames admitted (numbered 0..admitted-1), and the source's error if it threw. */
export interface Admission {
  admitted: number;
  sourceError?: unknown;
}

/**
 * Pulls frames from `source` into `queue` until the source ends or fails, the stream stops or the
 * runtime closes; then closes the queue. Never rejects: a source's error is returned.
 */
export async function admit(
  host: AdmitHost,
  source: AsyncIterable<Frame> | Iterable<Frame>,
  queue: BoundedQueue<Admitted>,
  stop: StopSignal,
): Promise<Admission> {
  const depth = host.metrics.queueDepth.admission;
  let admitted = 0;
  let it: AsyncIterator<Frame> | Iterator<Frame> | undefined;
  try {
    it =
      Symbol.asyncIterator in (source as object)
        ? (source as AsyncIterable<Frame>)[Symbol.asyncIterator]()
        : (source as Iterable<Frame>)[Symbol.iterator]();
    for (let n = 1; ; n++) {
      if (stop.isSet || host.closing()) {
        // return() on a generator still waiting for its next frame would wait with it: do not await.
        void Promise.resolve(it.return?.()).catch(() => undefined);
        break;
      }
      // A live source may wait forever for its next frame: stopping must not wait for it.
      const r = await Promise.race([Promise.resolve(it.next()), stop.stopped]);
      if (r === STOP) continue;
      if (r.done) break;
      host.metrics.received++;
      const frame = r.value;
      await queue.push({ seq: admitted++, id: frameIdOf(frame), frame, admittedAt: performance.now() });
      depth.depth = queue.depth;
      depth.highWater = Math.max(depth.highWater, queue.highWater);
      // A synchronous source never yields to the event loop by itself: let timers and I/O run.
      if (n % 32 === 0) await new Promise((r) => setImmediate(r));
    }
    return { admitted };
  } catch (err) {
    return { admitted, sourceError: err };
  } finally {
    queue.close();
  }
}

function frameIdOf(frame: unknown): string {
  const id = typeof frame === 'object' && frame !== null ? (frame as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length > 0 ? id.slice(0, 256) : '(no id)';
}
