/**
 * Outcomes arrive out of order (preprocessing runs in parallel); callers get them in source order.
 * Bounded: producers wait when more than `capacity` outcomes are held for a slow consumer.
 */
export class ReorderBuffer<T> {
  private readonly held = new Map<number, T>();
  private next = 0;
  private end: number | undefined;
  private wake: (() => void) | undefined;
  private readonly roomWaiters: (() => void)[] = [];

  constructor(readonly capacity: number) {}

  /** Stores the outcome of sequence number `seq`. */
  put(seq: number, value: T): void {
    this.held.set(seq, value);
    this.wake?.();
  }

  /** Resolves once fewer than `capacity` outcomes are held. */
  async waitForRoom(): Promise<void> {
    while (this.held.size >= this.capacity) await new Promise<void>((r) => this.roomWaiters.push(r));
  }

  /** No sequence number at or above `total` will come. */
  finish(total: number): void {
    this.end = total;
    this.wake?.();
  }

  /** Number of outcomes held. */
  get size(): number {
    return this.held.size;
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      if (this.held.has(this.next)) {
        const v = this.held.get(this.next)!;
        this.held.delete(this.next);
        this.next++;
        this.roomWaiters.shift()?.();
        yield v;
        continue;
      }
      if (this.end !== undefined && this.next >= this.end) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}
