/**
 * The in-memory index both outboxes keep: pending entries in `seq` order, bounded by count and
 * bytes, with drop-oldest, out-of-order removal and counters. Storage (memory or a log file) is the
 * caller's; this file owns only ordering and bounds.
 * @internal
 */
import type { OutboxLimits } from './outbox.js';

/** One pending entry; `data` is whatever the implementation keeps per entry. */
export interface QueueItem<T> {
  seq: number;
  bytes: number;
  data: T;
  /** False once acked, discarded or dropped. */
  live: boolean;
}

/** Lifetime counters of a queue. */
export interface QueueCounters {
  appended: number;
  acked: number;
  dropped: number;
  expired: number;
  rejected: number;
}

/** @internal */
export class PendingQueue<T> {
  private items: QueueItem<T>[] = [];
  private head = 0;
  private readonly bySeq = new Map<number, QueueItem<T>>();
  private liveBytes = 0;
  /** Next sequence number to hand out. */
  nextSeq = 1;
  readonly counters: QueueCounters = { appended: 0, acked: 0, dropped: 0, expired: 0, rejected: 0 };

  constructor(readonly limits: OutboxLimits) {}

  /** Pending entries. */
  get count(): number {
    return this.bySeq.size;
  }

  /** Their bytes. */
  get bytes(): number {
    return this.liveBytes;
  }

  /**
   * Which oldest entries must go so that one more entry of `bytes` fits. Does not remove them.
   */
  victimsFor(bytes: number): QueueItem<T>[] {
    const victims: QueueItem<T>[] = [];
    let count = this.count + 1;
    let total = this.liveBytes + bytes;
    for (
      let i = this.head;
      i < this.items.length && (count > this.limits.maxEntries || total > this.limits.maxBytes);
      i++
    ) {
      const item = this.items[i]!;
      if (!item.live) continue;
      victims.push(item);
      count--;
      total -= item.bytes;
    }
    return victims;
  }

  /** Adds an entry with an explicit seq (recovery) or the next one. Caller made room first. */
  push(bytes: number, data: T, seq = this.nextSeq): QueueItem<T> {
    const item: QueueItem<T> = { seq, bytes, data, live: true };
    this.items.push(item);
    this.bySeq.set(seq, item);
    this.liveBytes += bytes;
    this.nextSeq = Math.max(this.nextSeq, seq + 1);
    return item;
  }

  /** Removes `seq` if pending, counting it under `why` (not counted without); returns the removed item. */
  remove(seq: number, why?: keyof QueueCounters): QueueItem<T> | undefined {
    const item = this.bySeq.get(seq);
    if (!item) return undefined;
    item.live = false;
    this.bySeq.delete(seq);
    this.liveBytes -= item.bytes;
    if (why) this.counters[why]++;
    this.trim();
    return item;
  }

  /** The pending item with this seq. */
  get(seq: number): QueueItem<T> | undefined {
    return this.bySeq.get(seq);
  }

  /** Up to `limit` pending items with seq > afterSeq, in order. */
  after(afterSeq: number, limit: number): QueueItem<T>[] {
    const out: QueueItem<T>[] = [];
    // Binary search for the first item with seq > afterSeq (items are sorted by seq).
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid]!.seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.items.length && out.length < limit; i++) {
      const item = this.items[i]!;
      if (item.live) out.push(item);
    }
    return out;
  }

  /** All pending items in order. */
  live(): QueueItem<T>[] {
    return this.items.slice(this.head).filter((i) => i.live);
  }

  private trim(): void {
    while (this.head < this.items.length && !this.items[this.head]!.live) this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head).filter((i) => i.live);
      this.head = 0;
    }
  }
}
