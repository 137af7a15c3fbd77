/**
 * The disk steps of {@link FileOutbox}: reading entries back and compaction, plus the read helpers
 * that replaying the log at open (log-replay.ts) shares. Each function owns one step; FileOutbox
 * serialises them.
 * @internal
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgeError, messageOf } from '../../core/errors.js';
import type { OutboxEntry } from './outbox.js';
import { FRAME_BYTES, decodeRecord, encodeHeader, encodeMeta, encodePut, type MetaRecord } from './log-format.js';
import type { PendingQueue } from './queue.js';

/** Where a PUT record lives, plus its decoded entry while cached. `offset` is -1 until written. */
export interface Slot {
  offset: number;
  length: number;
  entry?: OutboxEntry;
}

/** Bytes read at once when scanning or copying the log. */
export const WINDOW = 4 * 1024 * 1024;

/** An E_OUTBOX error naming `file`, with the cause. */
export function ioError(what: string, file: string, err: unknown): EdgeError {
  return new EdgeError('E_OUTBOX', `${what}: ${messageOf(err)}`, { file, cause: err });
}

/** Reads into all of `buf` from `position`, short only at the end of the file; returns the bytes read. */
export async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<number> {
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
export class WindowReader {
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
    while (
      j + 1 < slots.length &&
      !slots[j + 1]!.entry &&
      slots[j + 1]!.offset === stop &&
      stop - first.offset < WINDOW
    ) {
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
  let at: number;
  const out = await open(tmpPath, 'w').catch((e) =>
    Promise.reject(ioError('cannot create the compacted log', tmpPath, e)),
  );
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
      if ((await readFully(oldFh, raw, live[i]!.data.offset)) !== raw.length)
        throw new Error(`log ends before byte ${live[i]!.data.offset + raw.length}`);
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
