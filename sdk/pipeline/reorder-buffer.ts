/**
 * Outcomes arrive out of order (preprocessing runs in parallel); callers get them in source order.
 *
 * Bounded by a window: a stage asks {@link ReorderBuffer.waitForRoom} before it starts work on
 * sequence number `seq`, and waits while `seq` is `window` or more ahead of the next outcome to
 * leave. The next outcome itself (and anything before it) never waits, so the buffer cannot
 * deadlock on the one item everybody is waiting for.
 */
import { EdgeError } from '../core/errors.js';

/**
 * A sequence-numbered reorder buffer.
 * @example
 * const buf = new ReorderBuffer<string>(8);
 * buf.put(1, 'b'); buf.put(0, 'a'); buf.finish(2);
 * for await (const v of buf.drain()) console.log(v); // a, b
 */
export class ReorderBuffer<T> {
  private readonly held = new Map<number, T>();
  private nextSeq = 0;
  private end: number | undefined;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;
  private waiters: { seq: number; resolve: () => void }[] = [];
  private unbounded = false;

  /**
   * @param window how far ahead of the next outcome work may start (≥ 1)
   * @throws EdgeError E_INVALID_ARGUMENT for a window that is not a positive integer
   */
  constructor(readonly window: number) {
    if (!Number.isInteger(window) || window < 1)
      throw new EdgeError('E_INVALID_ARGUMENT', `reorder window must be a positive integer, got ${window}`, {
        field: 'window',
      });
  }

  /** Sequence number of the next outcome to leave. */
  get position(): number {
    return this.nextSeq;
  }

  /** Number of outcomes held. */
  get size(): number {
    return this.held.size;
  }

  /**
   * Stores the outcome of sequence number `seq`.
   * @throws EdgeError E_INTERNAL when `seq` was already stored or already left (a frame counted twice)
   */
  put(seq: number, value: T): void {
    if (seq < this.nextSeq || this.held.has(seq) || (this.end !== undefined && seq >= this.end)) {
      throw new EdgeError(
        'E_INTERNAL',
        `reorder buffer: outcome ${seq} stored twice or out of range (next ${this.nextSeq}${this.end !== undefined ? `, end ${this.end}` : ''})`,
      );
    }
    this.held.set(seq, value);
    if (seq === this.nextSeq) this.wake?.();
  }

  /** Resolves once work on `seq` may start (`seq` is less than `window` ahead of the next outcome). */
  waitForRoom(seq: number): Promise<void> {
    if (this.unbounded || seq < this.nextSeq + this.window) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** Lifts the window for good (the consumer has gone or the pipeline is closing): nothing waits again. */
  release(): void {
    this.unbounded = true;
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  /** No sequence number at or above `total` will come. */
  finish(total: number): void {
    this.end = total;
    this.wake?.();
  }

  /** Ends the drain with `error` (an internal failure: outcomes that never came would block it). */
  abort(error: unknown): void {
    this.failure = { error };
    this.wake?.();
  }

  /**
   * The next outcome in sequence order, waiting for it; done once `finish(total)` was called and
   * every outcome below `total` has left.
   * @throws the error given to {@link ReorderBuffer.abort}
   */
  async next(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      if (this.held.has(this.nextSeq)) {
        const v = this.held.get(this.nextSeq)!;
        this.held.delete(this.nextSeq);
        this.nextSeq++;
        this.admitWaiters();
        return { value: v, done: false };
      }
      if (this.failure) throw this.failure.error;
      if (this.end !== undefined && this.nextSeq >= this.end) return { value: undefined, done: true };
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }

  /** Every outcome in sequence order (one consumer). */
  async *drain(): AsyncGenerator<T> {
    for (;;) {
      const r = await this.next();
      if (r.done) return;
      yield r.value;
    }
  }

  private admitWaiters(): void {
    if (this.waiters.length === 0) return;
    const limit = this.nextSeq + this.window;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.seq < limit) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}
