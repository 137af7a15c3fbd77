/**
 * An {@link Outbox} held in memory: ordered, bounded and counted like the file outbox, but lost
 * when the process ends. For tests, demos and devices that accept that loss.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import {
  copyProperties,
  outboxClosed,
  resolveOutboxLimits,
  validateOutboxMessage,
  type DiscardReason,
  type Outbox,
  type OutboxAppendResult,
  type OutboxEntry,
  type OutboxLimits,
  type OutboxMessage,
  type OutboxStats,
} from './outbox.js';
import { PendingQueue } from './queue.js';
import { invalidOption, is, rejectUnknownKeys } from '../../core/validate.js';

/** Options of {@link MemoryOutbox}. */
export interface MemoryOutboxOptions {
  limits?: Partial<OutboxLimits>;
  clock?: Clock;
}

/**
 * In-memory outbox.
 * @example
 * const outbox = new MemoryOutbox({ limits: { maxEntries: 1000 } });
 * const { seq } = await outbox.append({ topic: 'a/b', payload: Buffer.from('{}'), qos: 1, retain: false });
 */
export class MemoryOutbox implements Outbox {
  readonly kind = 'memory';
  private readonly queue: PendingQueue<OutboxEntry>;
  private readonly clock: Clock;
  private closed = false;

  /** @throws EdgeError E_INVALID_ARGUMENT for bad options */
  constructor(options: MemoryOutboxOptions = {}) {
    if (!is.object(options as unknown)) throw invalidOption('options', 'an object', options);
    rejectUnknownKeys('options', options as unknown as Record<string, unknown>, ['limits', 'clock']);
    this.queue = new PendingQueue(resolveOutboxLimits(options.limits, 'options.limits'));
    this.clock = options.clock ?? systemClock;
  }

  /** {@inheritDoc Outbox.append} */
  async append(message: OutboxMessage): Promise<OutboxAppendResult> {
    if (this.closed) throw outboxClosed(this.kind);
    const { bytes } = validateOutboxMessage(message, this.queue.limits);
    const dropped = this.queue.victimsFor(bytes).map((v) => v.seq);
    for (const seq of dropped) this.queue.remove(seq, 'dropped');
    const seq = this.queue.nextSeq;
    const entry: OutboxEntry = {
      seq,
      createdAt: this.clock.now(),
      topic: message.topic,
      // Own copy: the caller may reuse its buffer.
      payload: Uint8Array.prototype.slice.call(message.payload),
      qos: message.qos,
      retain: message.retain,
      ...(message.properties ? { properties: copyProperties(message.properties) } : {}),
    };
    this.queue.push(bytes, entry, seq);
    this.queue.counters.appended++;
    return { seq, dropped };
  }

  /** {@inheritDoc Outbox.read} */
  async read(afterSeq: number, limit: number): Promise<OutboxEntry[]> {
    if (this.closed) throw outboxClosed(this.kind);
    return this.queue.after(afterSeq, limit).map((i) => i.data);
  }

  /** {@inheritDoc Outbox.ack} */
  async ack(seqs: readonly number[]): Promise<void> {
    if (this.closed) throw outboxClosed(this.kind);
    for (const seq of seqs) this.queue.remove(seq, 'acked');
  }

  /** {@inheritDoc Outbox.discard} */
  async discard(seqs: readonly number[], reason: DiscardReason): Promise<void> {
    if (this.closed) throw outboxClosed(this.kind);
    for (const seq of seqs) this.queue.remove(seq, reason);
  }

  /** {@inheritDoc Outbox.stats} */
  stats(): OutboxStats {
    return {
      pending: this.queue.count,
      pendingBytes: this.queue.bytes,
      ...this.queue.counters,
      maxEntries: this.queue.limits.maxEntries,
      maxBytes: this.queue.limits.maxBytes,
    };
  }

  /** {@inheritDoc Outbox.flush} */
  async flush(): Promise<void> {
    if (this.closed) throw outboxClosed(this.kind);
  }

  /** {@inheritDoc Outbox.close} */
  async close(): Promise<void> {
    this.closed = true;
  }
}
