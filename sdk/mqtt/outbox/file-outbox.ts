/**
 * An {@link Outbox} on disk: one append-only log (`<dir>/outbox.log`, format in
 * log-format.ts) that survives process restarts, SIGKILL and, with `fsync: 'always'`, power
 * loss.
 *
 * - Appends, acks and drops are records; records enqueued in the same tick are written with one
 *   `write` (group commit) and, under `fsync: 'always'`, one `fdatasync` before any of their
 *   promises resolve.
 * - Opening replays the log, rebuilds the pending index and truncates a torn tail (what kill -9
 *   mid-write leaves). A damaged record in the middle costs that record only: replay finds the
 *   next intact one by its sync marker and CRC, and the log is rewritten without the damage.
 *   {@link FileOutbox.recovery} lists every damaged span; a log whose header and records are all
 *   unreadable is moved aside and a new one started, so the device always starts.
 * - When the log holds more than twice the live bytes (and at least `compactMinBytes`), live records
 *   are copied to a new file that replaces the old one by rename (atomic), so the file stays within
 *   about 2 × maxBytes.
 * - Recently appended entries stay in memory up to `cacheBytes`; older ones are read back from disk.
 *
 * Beside it: opening (open-log.ts), replay (log-replay.ts), group commit (log-writer.ts), read-back
 * and compaction (log-io.ts).
 */
import { join } from 'node:path';
import { type EdgeError, messageOf } from '../../core/errors.js';
import type { ClockTimer } from '../../core/clock.js';
import type { PidLock } from '../../core/pid-lock.js';
import {
  copyProperties,
  outboxClosed,
  validateOutboxMessage,
  type DiscardReason,
  type Outbox,
  type OutboxAppendResult,
  type OutboxEntry,
  type OutboxMessage,
  type OutboxStats,
} from './outbox.js';
import { encodeAck, encodeDrop, encodePut, type MetaRecord } from './log-format.js';
import type { PendingQueue, QueueItem } from './queue.js';
import { compactLog, readSlots, type Slot } from './log-io.js';
import { LogWriter } from './log-writer.js';
import type { FileOutboxRecovery } from './log-replay.js';
import { LOG_NAME, openLog, type FileOutboxOptions, type FileOutboxSettings, type OpenedLog } from './open-log.js';
import { mqttLog as log } from '../log.js';

/**
 * The durable outbox.
 * @example
 * const outbox = await FileOutbox.open({ dir: 'state/outbox', limits: { maxBytes: 32 << 20 } });
 * console.log(outbox.recovery); // { records, pending, truncatedBytes }
 */
export class FileOutbox implements Outbox {
  readonly kind = 'file';
  /** Path of the log file. */
  readonly path: string;
  /** What the last open found. */
  readonly recovery: FileOutboxRecovery;
  private readonly queue: PendingQueue<Slot>;
  private readonly writer: LogWriter;
  private liveFrameBytes = 0;
  private cacheUsed = 0;
  private timer: ClockTimer | undefined;
  private closing: Promise<void> | undefined;
  private damagedRecords: number;

  private constructor(
    private readonly dir: string,
    private readonly settings: FileOutboxSettings,
    private readonly lock: PidLock,
    state: OpenedLog['state'],
  ) {
    this.path = join(dir, LOG_NAME);
    this.writer = new LogWriter(state.fh, state.end, this.path, {
      placed: (item) => this.placed(item),
      written: () => this.written(),
    });
    this.queue = state.queue;
    this.recovery = state.recovery;
    this.damagedRecords = state.recovery.damaged.reduce((n, d) => n + d.records, 0);
    for (const item of this.queue.live()) {
      this.liveFrameBytes += item.data.length;
      if (item.data.entry) this.cacheUsed += item.bytes;
    }
    this.armTimer();
  }

  /**
   * Opens (or creates) the outbox in `options.dir`, replaying the log.
   * @throws EdgeError E_INVALID_ARGUMENT (options), E_OUTBOX (the directory is locked by a live
   *   process, the file is not an outbox log, or I/O failed)
   */
  static async open(options: FileOutboxOptions): Promise<FileOutbox> {
    const { dir, settings, lock, state } = await openLog(options);
    return new FileOutbox(dir, settings, lock, state);
  }

  /** {@inheritDoc Outbox.append} */
  async append(message: OutboxMessage): Promise<OutboxAppendResult> {
    this.checkOpen();
    const { bytes, propertiesJson } = validateOutboxMessage(message, this.queue.limits);
    const dropped = this.queue.victimsFor(bytes).map((v) => v.seq);
    for (const seq of dropped) this.forget(this.queue.remove(seq, 'dropped'));
    const seq = this.queue.nextSeq;
    const entry: OutboxEntry = {
      seq,
      createdAt: this.settings.clock.now(),
      topic: message.topic,
      payload: message.payload,
      qos: message.qos,
      retain: message.retain,
      ...(message.properties ? { properties: copyProperties(message.properties) } : {}),
    };
    const record = encodePut(entry, propertiesJson);
    // The cached entry reads its payload from the record (the payload is its tail): one copy, not two.
    entry.payload = record.subarray(record.length - message.payload.byteLength);
    // Unwritten entries are always cached: their offset is not known until the batch is written.
    const slot: Slot = { offset: -1, length: record.length, entry };
    this.cacheUsed += bytes;
    const item = this.queue.push(bytes, slot, seq);
    this.queue.counters.appended++;
    this.liveFrameBytes += record.length;
    // Its failure is reported through the PUT below, which is in the same batch.
    if (dropped.length) this.writer.enqueue(encodeDrop('full', dropped), false).catch(() => undefined);
    try {
      await this.writer.enqueue(record, this.settings.fsync === 'always', item);
    } catch (err) {
      // Not on disk: take it back out so it is never sent as if it had been accepted.
      if (this.queue.get(seq) === item) {
        this.forget(this.queue.remove(seq));
        this.queue.counters.appended--;
      }
      throw err;
    }
    return { seq, dropped };
  }

  /** {@inheritDoc Outbox.read} */
  async read(afterSeq: number, limit: number): Promise<OutboxEntry[]> {
    this.checkOpen();
    const items = this.queue.after(afterSeq, limit);
    if (items.every((i) => i.data.entry)) return items.map((i) => i.data.entry!);
    const entries = await this.writer.serial(() =>
      readSlots(
        this.writer.fh,
        items.map((i) => i.data),
        this.path,
      ),
    );
    const lost = items.filter((item, i) => item.live && entries[i] === undefined);
    if (lost.length) {
      // A record that passed its checksum when written and fails it now: the disk lost it. It can
      // never be sent; count it as rejected so it does not block the queue, and tell the owner.
      const damaged = lost.map((i) => i.seq);
      log('FileOutbox.read :: %d record(s) unreadable (checksum), discarded: %j', damaged.length, damaged);
      this.damagedRecords += damaged.length;
      await this.discard(damaged, 'rejected');
      for (const item of lost) {
        this.settings.onDamage?.({
          offset: item.data.offset,
          bytes: item.data.length,
          records: 1,
          reason: `record of entry ${item.seq} fails its checksum when read back`,
          seqs: [item.seq],
        });
      }
    }
    return entries.filter((e, i) => items[i]!.live && e !== undefined) as OutboxEntry[];
  }

  /** {@inheritDoc Outbox.ack} */
  async ack(seqs: readonly number[]): Promise<void> {
    this.checkOpen();
    const removed = seqs.filter((s) => this.forget(this.queue.remove(s, 'acked')));
    if (removed.length) await this.writer.enqueue(encodeAck(removed), false);
  }

  /** {@inheritDoc Outbox.discard} */
  async discard(seqs: readonly number[], reason: DiscardReason): Promise<void> {
    this.checkOpen();
    const removed = seqs.filter((s) => this.forget(this.queue.remove(s, reason)));
    if (removed.length) await this.writer.enqueue(encodeDrop(reason, removed), false);
  }

  /** {@inheritDoc Outbox.stats} */
  stats(): OutboxStats {
    return {
      pending: this.queue.count,
      pendingBytes: this.queue.bytes,
      ...this.queue.counters,
      maxEntries: this.queue.limits.maxEntries,
      maxBytes: this.queue.limits.maxBytes,
      damaged: this.damagedRecords,
    };
  }

  /** Current size of the log file in bytes (written records only). */
  get fileBytes(): number {
    return this.writer.end;
  }

  /** {@inheritDoc Outbox.flush} */
  async flush(): Promise<void> {
    this.checkOpen();
    await this.writer.enqueue(undefined, true);
  }

  /** {@inheritDoc Outbox.close} */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) this.settings.clock.clearTimeout(this.timer);
      try {
        if (!this.writer.failed) await this.writer.enqueue(undefined, true);
      } catch {
        // already reported to the caller whose write failed
      } finally {
        await this.writer.serial(() => this.writer.fh.close()).catch(() => undefined);
        await this.lock.release();
      }
    })();
    return this.closing;
  }

  private checkOpen(): void {
    if (this.closing) throw outboxClosed(this.kind);
    if (this.writer.failed) throw this.writer.failed;
  }

  /** Frees the accounting of a removed item; true when there was one. */
  private forget(item: QueueItem<Slot> | undefined): boolean {
    if (!item) return false;
    this.liveFrameBytes -= item.data.length;
    if (item.data.entry) {
      this.cacheUsed -= item.bytes;
      delete item.data.entry;
    }
    return true;
  }

  /** A PUT record was written: over the cache budget, its entry is read back from disk from now on. */
  private placed(item: QueueItem<Slot>): void {
    const slot = item.data;
    // Over budget: keep the oldest in memory (they are sent first), read this one back later.
    if (this.cacheUsed > this.settings.cacheBytes && slot.entry && item.live) {
      this.cacheUsed -= item.bytes;
      delete slot.entry;
    }
  }

  /** After each written batch: compacts when the log holds more than twice the live bytes. */
  private async written(): Promise<void> {
    const end = this.writer.end;
    if (end > this.settings.compactMinBytes && end > 2 * this.liveFrameBytes + 4096) await this.compact();
  }

  private async compact(): Promise<void> {
    const before = this.writer.end;
    try {
      const result = await compactLog(this.dir, LOG_NAME, this.writer.fh, this.queue, this.meta());
      this.writer.replace(result.fh, result.end);
      log('FileOutbox.compact :: %d -> %d bytes, %d live entries', before, result.end, this.queue.count);
    } catch (err) {
      // The old log is intact (the new one replaces it only by rename); report and carry on.
      log('FileOutbox.compact :: failed, keeping the current log: %s', messageOf(err));
      if ((err as { fatal?: boolean }).fatal) this.writer.fail(err as EdgeError);
    }
  }

  private meta(): MetaRecord {
    return { nextSeq: this.queue.nextSeq, ...this.queue.counters };
  }

  private armTimer(): void {
    const policy = this.settings.fsync;
    if (typeof policy !== 'object') return;
    const tick = (): void => {
      if (this.closing || this.writer.failed) return;
      if (this.writer.dirty) void this.writer.enqueue(undefined, true).catch(() => undefined);
      this.timer = this.settings.clock.setTimeout(tick, policy.intervalMs);
    };
    this.timer = this.settings.clock.setTimeout(tick, policy.intervalMs);
  }
}
