/**
 * The disk steps of {@link FileOutbox}: replaying (and repairing) the log at open, reading entries
 * back, and compaction. Each function owns one step; FileOutbox serialises them.
 * @internal
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EdgeError, messageOf } from '../../core/errors.js';
import { messageBytes, type OutboxEntry } from './outbox.js';
import {
  FRAME_BYTES,
  FRAME_BYTES_V1,
  HEADER_BYTES,
  MAX_RECORD_BYTES,
  SYNC,
  checkHeader,
  decodeRecord,
  encodeDrop,
  encodeHeader,
  encodeMeta,
  encodePut,
  type LogRecord,
  type MetaRecord,
} from './log-format.js';
import type { PendingQueue } from './queue.js';
import type { FileOutboxRecovery, OutboxDamage } from './file-outbox.js';

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

/** What {@link recoverLog} found and what the caller must do next. */
export interface RecoveredLog {
  fh: FileHandle;
  end: number;
  recovery: FileOutboxRecovery;
  /**
   * Frame size of the records in the file: {@link FRAME_BYTES_V1} for a version-1 log, which must
   * be rewritten (compacted) as version 2 before anything is appended.
   */
  frameBytes: number;
  /** The file should be compacted now: it is version 1, or it holds damaged bytes. */
  rewrite: boolean;
}

/**
 * Opens or creates the log at `path`, replays it into `queue`, skips damaged records (each one is
 * reported in `recovery.damaged`) and truncates a torn tail. A file whose header and records are
 * all unreadable is moved aside (never deleted) and a new log is started. Entries are cached in
 * their slots while `cacheBytes` allows.
 */
export async function recoverLog(path: string, queue: PendingQueue<Slot>, cacheBytes: number, now: () => number = Date.now): Promise<RecoveredLog> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('cannot open the outbox log', path, err);
    fh = await open(path, 'w+').catch((e) => Promise.reject(ioError('cannot create the outbox log', path, e)));
  }
  try {
    return await replay(fh, path, queue, cacheBytes, now);
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err instanceof EdgeError ? err : ioError('reading the outbox log failed', path, err);
  }
}

/** Starts a new, empty log in `fh`. */
async function freshLog(fh: FileHandle, path: string): Promise<void> {
  await fh.truncate(0);
  await fh.write(encodeHeader(), 0, HEADER_BYTES, 0);
  await fh.datasync();
  await syncDir(dirname(path));
}

type Attempt = { rec: LogRecord; length: number } | { why: string; torn: boolean };

async function replay(fh: FileHandle, path: string, queue: PendingQueue<Slot>, cacheBytes: number, now: () => number): Promise<RecoveredLog> {
  const size = (await fh.stat()).size;
  const head = Buffer.alloc(Math.min(size, HEADER_BYTES));
  await readFully(fh, head, 0);
  const header = checkHeader(head);
  if (header === 'version') throw new EdgeError('E_OUTBOX', `outbox log format version ${head.readUInt32LE(8)} is not supported by this SDK`, { file: path });
  if (size === 0 || header === 'short') {
    // Empty, or a header torn at creation: nothing can follow it.
    await freshLog(fh, path);
    return { fh, end: HEADER_BYTES, recovery: { records: 0, pending: 0, truncatedBytes: 0, damaged: [] }, frameBytes: FRAME_BYTES, rewrite: false };
  }
  const fb = header === 'v1' ? FRAME_BYTES_V1 : FRAME_BYTES;
  const reader = new WindowReader(fh);

  /** The record at `at`, or why there is none. */
  const attempt = async (at: number): Promise<Attempt> => {
    if (size - at < fb) return { why: `torn record frame at byte ${at}`, torn: true };
    const frame = await reader.get(at, fb);
    if (fb === FRAME_BYTES && !frame.subarray(0, 4).equals(SYNC)) return { why: `no record marker at byte ${at}`, torn: false };
    const len = frame.readUInt32LE(fb - 8);
    if (len < 1 || len > MAX_RECORD_BYTES) return { why: `impossible record length ${len} at byte ${at}`, torn: false };
    if (at + fb + len > size) return { why: `torn record at byte ${at} (${fb + len} bytes announced, ${size - at} present)`, torn: true };
    const rec = decodeRecord(await reader.get(at, fb + len), fb);
    return rec ? { rec, length: fb + len } : { why: `record at byte ${at} fails its checksum or format`, torn: false };
  };
  /** Offset of the next intact record at or after `from` (version 2 only), or undefined. */
  const resync = async (from: number): Promise<number | undefined> => {
    for (let at = from; at < size; ) {
      const window = await reader.get(at, Math.min(WINDOW, size - at));
      const i = window.indexOf(SYNC);
      if (i < 0) {
        if (window.length < SYNC.length) return undefined;
        at += window.length - (SYNC.length - 1);
        continue;
      }
      if ('rec' in (await attempt(at + i))) return at + i;
      at += i + 1;
    }
    return undefined;
  };
  /** Record markers in [from, to): how many records a damaged span held (at least 1). */
  const markersIn = async (from: number, to: number): Promise<number> => {
    let n = 0;
    for (let at = from; at < to; ) {
      const window = await reader.get(at, Math.min(WINDOW, to - at));
      for (let i = window.indexOf(SYNC); i >= 0; i = window.indexOf(SYNC, i + 1)) n++;
      if (window.length < SYNC.length) break;
      at += window.length - (SYNC.length - 1);
    }
    return Math.max(1, n);
  };

  const damaged: OutboxDamage[] = [];
  let pos = HEADER_BYTES;
  if (header === 'foreign') {
    // A damaged header, or not our file at all: salvage when intact records follow, else move aside.
    const first = await resync(0);
    if (first === undefined) {
      const aside = `${path}.damaged-${now()}`;
      await fh.close();
      await rename(path, aside);
      const fresh = await open(path, 'w+');
      await freshLog(fresh, path).catch(async (err) => {
        await fresh.close().catch(() => undefined);
        throw err;
      });
      const reason = `not an outbox log, or its header and every record are damaged (${size} bytes); kept as ${basename(aside)}, a new log was started`;
      return { fh: fresh, end: HEADER_BYTES, recovery: { records: 0, pending: 0, truncatedBytes: 0, damaged: [{ offset: 0, bytes: size, records: 0, reason }], movedAside: aside }, frameBytes: FRAME_BYTES, rewrite: false };
    }
    // Bytes between the header and the first intact record held at least one record.
    const lost = first > HEADER_BYTES ? await markersIn(HEADER_BYTES, first) : 0;
    damaged.push({ offset: 0, bytes: first, records: lost, reason: lost ? `the log header and ${lost} record(s) after it are damaged` : 'the log header is damaged' });
    pos = first;
  }

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
        copiesBelow = nextSeq;
      }
    }
  };
  while (pos < size) {
    const got = await attempt(pos);
    if ('rec' in got) {
      apply(got.rec, pos, got.length);
      records++;
      pos += got.length;
      continue;
    }
    // Version 1 has no marker to resynchronise on: the log ends at its first bad record.
    const next = fb === FRAME_BYTES ? await resync(pos + 1) : undefined;
    if (next === undefined) {
      reason = got.why;
      // A torn last record is what kill -9 mid-write leaves; anything else at the tail is damage.
      if (!got.torn) damaged.push({ offset: pos, bytes: size - pos, records: await markersIn(pos, size), reason: got.why });
      break;
    }
    damaged.push({ offset: pos, bytes: next - pos, records: await markersIn(pos, next), reason: got.why });
    pos = next;
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
  if (over.length && fb === FRAME_BYTES) {
    const drop = encodeDrop('full', over);
    await fh.write(drop, 0, drop.length, end);
    await fh.datasync();
    end += drop.length;
  }
  return {
    fh,
    end,
    recovery: { records, pending: queue.count, truncatedBytes: size - pos, damaged, ...(reason ? { reason } : {}) },
    frameBytes: fb,
    rewrite: fb !== FRAME_BYTES || damaged.length > 0,
  };
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
 * @param sourceFrameBytes {@link FRAME_BYTES_V1} when the old log is version 1: its PUT records
 *   are decoded and written again in the version-2 frame
 */
export async function compactLog(
  dir: string,
  name: string,
  oldFh: FileHandle,
  queue: PendingQueue<Slot>,
  meta: MetaRecord,
  sourceFrameBytes = FRAME_BYTES,
): Promise<{ fh: FileHandle; end: number }> {
  const finalPath = join(dir, name);
  const tmpPath = join(dir, `${name}.compact`);
  const live = queue.live().filter((i) => i.data.offset >= 0);
  const offsets: number[] = new Array(live.length);
  const lengths = live.map((i) => i.data.length);
  let at = 0;
  const out = await open(tmpPath, 'w').catch((e) => Promise.reject(ioError('cannot create the compacted log', tmpPath, e)));
  try {
    // META twice: the next seq and the counters live nowhere else once every entry was acked, so
    // one damaged copy must not cost them.
    const metaRecord = encodeMeta(meta);
    const start = Buffer.concat([encodeHeader(), metaRecord, metaRecord]);
    await out.write(start, 0, start.length, 0);
    at = start.length;
    let i = 0;
    while (sourceFrameBytes !== FRAME_BYTES && i < live.length) {
      // Version 1 → 2: one record at a time, decoded and framed again.
      const raw = Buffer.allocUnsafe(live[i]!.data.length);
      if ((await readFully(oldFh, raw, live[i]!.data.offset)) !== raw.length) throw new Error(`log ends before byte ${live[i]!.data.offset + raw.length}`);
      const rec = decodeRecord(raw, sourceFrameBytes);
      if (rec?.type !== 1) throw new Error(`record at byte ${live[i]!.data.offset} no longer decodes`);
      const framed = encodePut(rec.entry);
      await out.write(framed, 0, framed.length, at);
      offsets[i] = at;
      lengths[i] = framed.length;
      at += framed.length;
      i++;
    }
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
    item.data.length = lengths[k]!;
  });
  return { fh, end: at };
}
