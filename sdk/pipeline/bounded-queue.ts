/**
 * A bounded FIFO between pipeline stages. Two policies per source:
 * - `drop-oldest` (live sensors): a push into a full queue evicts the oldest item and counts it;
 *   the producer never waits, so a slow model never stalls a camera.
 * - `block` (archives): a push into a full queue waits until there is room (backpressure), so no
 *   frame is ever dropped.
 */
import { EdgeError } from '../core/errors.js';

/** What a push into a full queue does. */
export type QueuePolicy = 'drop-oldest' | 'block';

/**
 * A bounded FIFO with an async take side.
 * @example
 * const q = new BoundedQueue<number>(2, 'drop-oldest', (n) => console.log('dropped', n));
 * await q.push(1); await q.push(2); await q.push(3); // dropped 1
 * q.close();
 * for await (const n of q) console.log(n); // 2, 3
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private readonly takers: ((v: IteratorResult<T>) => void)[] = [];
  private readonly spaceWaiters: (() => void)[] = [];
  private closed = false;
  private released = false;
  /** Items evicted by `drop-oldest`. */
  dropped = 0;
  /** Highest depth seen. */
  highWater = 0;

  /**
   * @throws EdgeError E_INVALID_ARGUMENT for a capacity that is not a positive integer
   */
  constructor(
    readonly capacity: number,
    readonly policy: QueuePolicy,
    /** Called with each evicted item (to count it, or report it as dropped). */
    private readonly onDrop?: (item: T) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new EdgeError('E_INVALID_ARGUMENT', `queue capacity must be a positive integer, got ${capacity}`);
  }

  /** Items queued now. */
  get depth(): number {
    return this.items.length;
  }

  /** True after {@link BoundedQueue.close}. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Adds an item; with `block` waits for room. Throws E_CLOSED after close(). */
  async push(item: T): Promise<void> {
    if (this.closed) throw new EdgeError('E_CLOSED', 'queue is closed');
    const taker = this.takers.shift();
    if (taker) {
      taker({ value: item, done: false });
      return;
    }
    while (!this.released && this.items.length >= this.capacity) {
      if (this.policy === 'drop-oldest') {
        const old = this.items.shift()!;
        this.dropped++;
        this.onDrop?.(old);
        break;
      }
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
      if (this.closed) throw new EdgeError('E_CLOSED', 'queue was closed while waiting for room');
    }
    this.items.push(item);
    this.highWater = Math.max(this.highWater, this.items.length);
  }

  /** Next item, or done once closed and drained. */
  take(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      const item = this.items.shift()!;
      this.spaceWaiters.shift()?.();
      return Promise.resolve({ value: item, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.takers.push(resolve));
  }

  /**
   * Next item, waiting at most `ms`: `undefined` on timeout (the wait is withdrawn, so no item is
   * lost to an abandoned waiter), `done` once closed and drained.
   */
  takeWithin(ms: number): Promise<IteratorResult<T> | undefined> {
    if (this.items.length > 0 || this.closed) return this.take();
    return new Promise((resolve) => {
      const taker = (v: IteratorResult<T>) => {
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(
        () => {
          const i = this.takers.indexOf(taker);
          if (i >= 0) this.takers.splice(i, 1);
          resolve(undefined);
        },
        Math.max(0, ms),
      );
      this.takers.push(taker);
    });
  }

  /** Next item if one is queued now (never waits). */
  poll(): T | undefined {
    if (this.items.length === 0) return undefined;
    const item = this.items.shift()!;
    this.spaceWaiters.shift()?.();
    return item;
  }

  /**
   * Lifts the capacity for good: pushes never wait or drop again and waiting pushers resume. For a
   * consumer that has gone away, when what is still in flight must be able to finish.
   */
  release(): void {
    this.released = true;
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  /** No more pushes; takers drain what is left, then see done. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.takers.splice(0)) t({ value: undefined, done: true });
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const r = await this.take();
      if (r.done) return;
      yield r.value;
    }
  }
}
