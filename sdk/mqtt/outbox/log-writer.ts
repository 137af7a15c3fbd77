/**
 * The write side of the outbox log: every I/O step on the file handle runs one at a time, and
 * records enqueued in the same tick are written with one `writev` (group commit) and, when any of
 * them asks for durability, one `fdatasync` before any of their promises resolve.
 * @internal
 */
import type { FileHandle } from 'node:fs/promises';
import { EdgeError, messageOf } from '../../core/errors.js';
import type { Slot } from './log-io.js';
import type { QueueItem } from './queue.js';

/** What the writer tells its owner. */
export interface LogWriterHooks {
  /** A PUT record of `item` was written; its slot has its offset now. */
  placed(item: QueueItem<Slot>): void;
  /** A batch was written (and synced when asked); runs inside the same serial step. */
  written(): Promise<void>;
}

interface Batch {
  bufs: Buffer[];
  /** PUT items in `bufs`, whose offsets are fixed at write time. */
  slots: { item: QueueItem<Slot>; index: number }[];
  durable: boolean;
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
}

/** @internal */
export class LogWriter {
  private io: Promise<unknown> = Promise.resolve();
  private batch: Batch | undefined;
  private dirtyNow = false;
  private failedWith: EdgeError | undefined;

  constructor(
    private fhNow: FileHandle,
    private endNow: number,
    private readonly path: string,
    private readonly hooks: LogWriterHooks,
  ) {}

  /** The current file handle (it changes when a compacted log replaces the file). */
  get fh(): FileHandle {
    return this.fhNow;
  }

  /** Bytes of written records, i.e. where the next batch goes. */
  get end(): number {
    return this.endNow;
  }

  /** Written since the last fdatasync. */
  get dirty(): boolean {
    return this.dirtyNow;
  }

  /** Set once the log cannot be written any more; every later write fails with it. */
  get failed(): EdgeError | undefined {
    return this.failedWith;
  }

  fail(err: EdgeError): void {
    this.failedWith = err;
  }

  /** Goes on in a compacted log that replaced the file (it is synced already). */
  replace(fh: FileHandle, end: number): void {
    this.fhNow = fh;
    this.endNow = end;
    this.dirtyNow = false;
  }

  /** Runs `op` after every I/O step queued before it. */
  serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.io.then(op);
    this.io = run.catch(() => undefined);
    return run;
  }

  /**
   * Adds a record to the current batch (or just asks for durability with `buf` undefined) and
   * resolves when the batch is written (and fsynced if any member needs it).
   */
  enqueue(buf: Buffer | undefined, durable: boolean, item?: QueueItem<Slot>): Promise<void> {
    if (!this.batch) {
      const batch: Batch = { bufs: [], slots: [], durable: false, waiters: [] };
      this.batch = batch;
      setImmediate(() => {
        if (this.batch === batch) this.batch = undefined;
        void this.serial(() => this.writeBatch(batch));
      });
    }
    const batch = this.batch;
    if (buf) {
      if (item) batch.slots.push({ item, index: batch.bufs.length });
      batch.bufs.push(buf);
    }
    batch.durable ||= durable;
    return new Promise((resolve, reject) => batch.waiters.push({ resolve, reject }));
  }

  private async writeBatch(batch: Batch): Promise<void> {
    try {
      if (this.failedWith) throw this.failedWith;
      if (batch.bufs.length) {
        const offsets: number[] = [];
        let at = this.endNow;
        for (const b of batch.bufs) {
          offsets.push(at);
          at += b.length;
        }
        await this.fhNow.writev(batch.bufs, this.endNow);
        for (const { item, index } of batch.slots) {
          item.data.offset = offsets[index]!;
          this.hooks.placed(item);
        }
        this.endNow = at;
        this.dirtyNow = true;
      }
      if (batch.durable && this.dirtyNow) {
        await this.fhNow.datasync();
        this.dirtyNow = false;
      }
      for (const w of batch.waiters) w.resolve();
    } catch (err) {
      const e =
        err instanceof EdgeError
          ? err
          : new EdgeError('E_OUTBOX', `writing the outbox log failed: ${messageOf(err)}`, {
              file: this.path,
              cause: err,
            });
      for (const w of batch.waiters) w.reject(e);
      return;
    }
    await this.hooks.written();
  }
}
