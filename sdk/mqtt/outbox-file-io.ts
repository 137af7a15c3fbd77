/**
 * The disk steps of {@link FileOutbox}: replaying (and repairing) the log at open, reading entries
 * back, and compaction. Each function owns one step; FileOutbox serialises them.
 * @internal
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EdgeError, messageOf } from '../core/errors.js';
import { messageBytes, type OutboxEntry } from './outbox.js';
import {
  FRAME_BYTES,
  HEADER_BYTES,
  MAX_RECORD_BYTES,
  checkHeader,
  decodeRecord,
  encodeDrop,
  encodeHeader,
  encodeMeta,
  type LogRecord,
  type MetaRecord,
} from './outbox-log-format.js';
import type { PendingQueue } from './outbox-queue.js';
import type { FileOutboxRecovery } from './outbox-file.js';

/** Where a PUT record lives, plus its decoded entry while cached. `offset` is -1 until written. */
export interface Slot {
  offset: number;
  length: number;
  entry?: OutboxEntry;
}

const WINDOW = 4 * 1024 * 1024;

function ioError(what: string, file: string, err: unknown): EdgeError {
  return new EdgeError('E_OUTBOX', `${what}: ${messageOf(err)}`, { file, cause: err });
}

async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** fsync of a directory, so a create or rename in it is durable. */
export async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** Sequential reads through a large buffer, so replay costs one syscall per window, not per record. */
class WindowReader {
  private buf = Buffer.alloc(0);
  private start = 0;
  constructor(private readonly fh: FileHandle) {}

  async get(pos: number, len: number): Promise<Buffer> {
    if (pos < this.start || pos + len > this.start + this.buf.length) {
      this.buf = Buffer.allocUnsafe(Math.max(len, WINDOW));
      const n = await readFully(this.fh, this.buf, pos);
      this.buf = this.buf.subarray(0, n);
      this.start = pos;
    }
    return this.buf.subarray(pos - this.start, pos - this.start + len);
  }
}

/**
 * Opens or creates the log at `path`, replays it into `queue` and truncates a torn or damaged tail.
 * Entries are cached in their slots while `cacheBytes` allows.
 */
export async function recoverLog(
  path: string,
  queue: PendingQueue<Slot>,
  cacheBytes: number,
): Promise<{ fh: FileHandle; end: number; recovery: FileOutboxRecovery }> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('cannot open the outbox log', path, err);
    fh = await open(path, 'w+').catch((e) => Promise.reject(ioError('cannot create the outbox log', path, e)));
  }
  try {
    return await replay(fh, path, queue, cacheBytes);
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err instanceof EdgeError ? err : ioError('reading the outbox log failed', path, err);
  }
}

async function replay(fh: FileHandle, path: string, queue: PendingQueue<Slot>, cacheBytes: number) {
  const size = (await fh.stat()).size;
  const head = Buffer.alloc(Math.min(size, HEADER_BYTES));
  await readFully(fh, head, 0);
  const header = checkHeader(head);
  if (header === 'foreign' && size > 0) {
    throw new EdgeError('E_OUTBOX', 'file is not an outbox log (bad magic or header checksum)', {
      file: path,
      hint: 'move the file away or give the outbox another directory',
    });
  }
  if (header === 'version') throw new EdgeError('E_OUTBOX', `outbox log format version ${head.readUInt32LE(8)} is not supported by this SDK`, { file: path });
  if (header !== 'ok') {
    // Empty, or a header torn at creation: nothing can follow it.
    await fh.truncate(0);
    await fh.write(encodeHeader(), 0, HEADER_BYTES, 0);
    await fh.datasync();
    await syncDir(dirname(path));
    return { fh, end: HEADER_BYTES, recovery: { records: 0, pending: 0, truncatedBytes: 0 } };
  }

  const reader = new WindowReader(fh);
  let pos = HEADER_BYTES;
  let records = 0;
  let reason: string | undefined;
  let copiesBelow = 0;
  let cached = 0;
  const apply = (rec: LogRecord, offset: number, length: number): void => {
    switch (rec.type) {
      case 1: {
        const { entry } = rec;
        const last = queue.nextSeq;
        if (entry.seq < last && entry.seq >= copiesBelow) return; // out of order: cannot happen, ignore
        const bytes = messageBytes(entry);
        const keep = cached + bytes <= cacheBytes;
        if (keep) cached += bytes;
        queue.push(bytes, { offset, length, ...(keep ? { entry } : {}) }, entry.seq);
        if (entry.seq >= copiesBelow) queue.counters.appended++;
        return;
      }
      case 2:
        for (const s of rec.seqs) queue.remove(s, 'acked');
        return;
      case 3:
        for (const s of rec.seqs) queue.remove(s, rec.reason === 'full' ? 'dropped' : rec.reason);
        return;
      case 4: {
        const { nextSeq, ...counters } = rec.meta;
        Object.assign(queue.counters, counters);
        queue.nextSeq = Math.max(queue.nextSeq, nextSeq);
        copiesBelow = nextSeq;
      }
    }
  };
  while (pos < size) {
    if (size - pos < FRAME_BYTES) {
      reason = `torn record frame at byte ${pos}`;
      break;
    }
    const len = (await reader.get(pos, FRAME_BYTES)).readUInt32LE(0);
    if (len < 1 || len > MAX_RECORD_BYTES) {
      reason = `impossible record length ${len} at byte ${pos}`;
      break;
    }
    if (pos + FRAME_BYTES + len > size) {
      reason = `torn record at byte ${pos} (${FRAME_BYTES + len} bytes announced, ${size - pos} present)`;
      break;
    }
    const raw = await reader.get(pos, FRAME_BYTES + len);
    const rec = decodeRecord(raw);
    if (!rec) {
      reason = `record at byte ${pos} fails its checksum or format`;
      break;
    }
    apply(rec, pos, raw.length);
    records++;
    pos += raw.length;
  }
  let end = pos;
  if (reason) {
    await fh.truncate(pos);
    await fh.datasync();
  }
  // Limits lowered since the log was written: drop the oldest now, and record it.
  const over: number[] = [];
  for (const item of queue.live()) {
    if (queue.count <= queue.limits.maxEntries && queue.bytes <= queue.limits.maxBytes) break;
    queue.remove(item.seq, 'dropped');
    over.push(item.seq);
  }
  if (over.length) {
    const drop = encodeDrop('full', over);
    await fh.write(drop, 0, drop.length, end);
    await fh.datasync();
    end += drop.length;
  }
  return { fh, end, recovery: { records, pending: queue.count, truncatedBytes: size - pos, ...(reason ? { reason } : {}) } };
}

/**
 * Reads the entries of `slots` back (cached ones from memory). Adjacent records are read with one
 * call. A record that no longer passes its checksum comes back as `undefined`.
 */
export async function readSlots(fh: FileHandle, slots: Slot[], path: string): Promise<(OutboxEntry | undefined)[]> {
  const out: (OutboxEntry | undefined)[] = new Array(slots.length);
  let i = 0;
  while (i < slots.length) {
    const first = slots[i]!;
    if (first.entry || first.offset < 0) {
      out[i] = first.entry;
      i++;
      continue;
    }
    let j = i;
    let stop = first.offset + first.length;
    while (j + 1 < slots.length && !slots[j + 1]!.entry && slots[j + 1]!.offset === stop && stop - first.offset < WINDOW) {
      j++;
      stop += slots[j]!.length;
    }
    const buf = Buffer.allocUnsafe(stop - first.offset);
    try {
      await readFully(fh, buf, first.offset);
    } catch (err) {
      throw ioError('reading the outbox log failed', path, err);
    }
    for (let k = i; k <= j; k++) {
      const s = slots[k]!;
      const rec = decodeRecord(buf.subarray(s.offset - first.offset, s.offset - first.offset + s.length));
      out[k] = rec?.type === 1 ? rec.entry : undefined;
    }
    i = j + 1;
  }
  return out;
}

/**
 * Writes the live records of `queue` (those already on disk) after a META record to a new file,
 * fsyncs it and renames it over the log. Returns the new handle; updates slot offsets only on
 * success. An error with `fatal: true` means the old handle is gone and the outbox cannot go on.
 */
export async function compactLog(
  dir: string,
  name: string,
  oldFh: FileHandle,
  queue: PendingQueue<Slot>,
  meta: MetaRecord,
): Promise<{ fh: FileHandle; end: number }> {
  const finalPath = join(dir, name);
  const tmpPath = join(dir, `${name}.compact`);
  const live = queue.live().filter((i) => i.data.offset >= 0);
  const offsets: number[] = new Array(live.length);
  let at = 0;
  const out = await open(tmpPath, 'w').catch((e) => Promise.reject(ioError('cannot create the compacted log', tmpPath, e)));
  try {
    const start = Buffer.concat([encodeHeader(), encodeMeta(meta)]);
    await out.write(start, 0, start.length, 0);
    at = start.length;
    let i = 0;
    while (i < live.length) {
      const from = live[i]!.data.offset;
      let stop = from + live[i]!.data.length;
      let j = i;
      while (j + 1 < live.length && live[j + 1]!.data.offset === stop && stop - from < WINDOW) {
        j++;
        stop += live[j]!.data.length;
      }
      const buf = Buffer.allocUnsafe(stop - from);
      if ((await readFully(oldFh, buf, from)) !== buf.length) throw new Error(`log ends before byte ${stop}`);
      await out.write(buf, 0, buf.length, at);
      for (let k = i; k <= j; k++) offsets[k] = at + (live[k]!.data.offset - from);
      at += buf.length;
      i = j + 1;
    }
    await out.datasync();
    await out.close();
  } catch (err) {
    await out.close().catch(() => undefined);
    await rm(tmpPath, { force: true });
    throw ioError('compacting the outbox log failed', tmpPath, err);
  }
  await rename(tmpPath, finalPath).catch(async (e) => {
    await rm(tmpPath, { force: true });
    throw ioError('replacing the outbox log failed', finalPath, e);
  });
  await syncDir(dir).catch(() => undefined);
  let fh: FileHandle;
  try {
    fh = await open(finalPath, 'r+');
  } catch (err) {
    throw Object.assign(ioError('cannot reopen the compacted outbox log', finalPath, err), { fatal: true });
  }
  await oldFh.close().catch(() => undefined);
  live.forEach((item, k) => {
    item.data.offset = offsets[k]!;
  });
  return { fh, end: at };
}
