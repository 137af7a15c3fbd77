/**
 * Applying the records replayed from an outbox log to the pending queue ({@link RecordApplier}):
 * PUT, ACK, DROP and META records, in file order.
 * @internal
 */
import { messageBytes } from './outbox.js';
import type { LogRecord } from './log-format.js';
import type { Slot } from './log-io.js';
import type { PendingQueue } from './queue.js';

/** Applies replayed records to the queue, caching entries in their slots while `cacheBytes` allows. */
export class RecordApplier {
  /** Seqs below this were counted by a META record already: their PUTs are copies from compaction. */
  private copiesBelow = 0;
  private cached = 0;

  constructor(
    private readonly queue: PendingQueue<Slot>,
    private readonly cacheBytes: number,
  ) {}

  apply(rec: LogRecord, offset: number, length: number): void {
    const queue = this.queue;
    switch (rec.type) {
      case 1: {
        const { entry } = rec;
        const last = queue.nextSeq;
        if (entry.seq < last && entry.seq >= this.copiesBelow) return; // out of order: cannot happen, ignore
        const bytes = messageBytes(entry);
        const keep = this.cached + bytes <= this.cacheBytes;
        if (keep) this.cached += bytes;
        queue.push(bytes, { offset, length, ...(keep ? { entry } : {}) }, entry.seq);
        if (entry.seq >= this.copiesBelow) queue.counters.appended++;
        return;
      }
      // An ACK or DROP also proves its seqs were handed out: should the META record or the PUTs
      // before them have been damaged, the next seq still never reuses one.
      case 2:
        for (const s of rec.seqs) {
          queue.remove(s, 'acked');
          if (s >= queue.nextSeq) queue.nextSeq = s + 1;
        }
        return;
      case 3:
        for (const s of rec.seqs) {
          queue.remove(s, rec.reason === 'full' ? 'dropped' : rec.reason);
          if (s >= queue.nextSeq) queue.nextSeq = s + 1;
        }
        return;
      case 4: {
        const { nextSeq, ...counters } = rec.meta;
        Object.assign(queue.counters, counters);
        queue.nextSeq = Math.max(queue.nextSeq, nextSeq);
        this.copiesBelow = nextSeq;
      }
    }
  }
}
