/**
 * Replaying the outbox log at open, one of the disk steps of {@link FileOutbox}: every intact
 * record is applied to the pending queue, damaged spans are skipped (a version-2 log resynchronises
 * on its record marker) and reported, a torn tail is cut, and a file with nothing readable in it is
 * moved aside. Reading the records is log-scanner.ts, applying them to the queue record-applier.ts.
 * @internal
 */
import { open, rename, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { EdgeError } from '../../core/errors.js';
import { FRAME_BYTES, FRAME_BYTES_V1, HEADER_BYTES, checkHeader, encodeDrop, encodeHeader } from './log-format.js';
import { ioError, readFully, syncDir, type Slot } from './log-io.js';
import { LogScanner } from './log-scanner.js';
import type { PendingQueue } from './queue.js';
import { RecordApplier } from './record-applier.js';

/** A span of the log that could not be read, and what it cost. */
export interface OutboxDamage {
  /** Byte offset of the span in the log. */
  offset: number;
  /** Its length in bytes. */
  bytes: number;
  /** Records it held (counted by their sync markers; 0 for a damaged header). */
  records: number;
  /** What was wrong. */
  reason: string;
  /** Sequence numbers of entries known lost (read-time damage only). */
  seqs?: number[];
}

/** What opening the log found. */
export interface FileOutboxRecovery {
  /** Valid records replayed. */
  records: number;
  /** Entries pending after replay. */
  pending: number;
  /** Bytes cut from the end: a torn last record (kill -9 mid-write) or damage. 0 normally. */
  truncatedBytes: number;
  /** Why the tail was cut, when it was. */
  reason?: string;
  /** Damaged spans skipped (or cut, at the tail), in file order. Empty normally. */
  damaged: OutboxDamage[];
  /** Where an unreadable log was moved before a new one was started. */
  movedAside?: string;
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
export async function recoverLog(
  path: string,
  queue: PendingQueue<Slot>,
  cacheBytes: number,
  now: () => number = Date.now,
): Promise<RecoveredLog> {
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

async function replay(
  fh: FileHandle,
  path: string,
  queue: PendingQueue<Slot>,
  cacheBytes: number,
  now: () => number,
): Promise<RecoveredLog> {
  const size = (await fh.stat()).size;
  const head = Buffer.alloc(Math.min(size, HEADER_BYTES));
  await readFully(fh, head, 0);
  const header = checkHeader(head);
  if (header === 'version')
    throw new EdgeError('E_OUTBOX', `outbox log format version ${head.readUInt32LE(8)} is not supported by this SDK`, {
      file: path,
    });
  if (size === 0 || header === 'short') {
    // Empty, or a header torn at creation: nothing can follow it.
    await freshLog(fh, path);
    return {
      fh,
      end: HEADER_BYTES,
      recovery: { records: 0, pending: 0, truncatedBytes: 0, damaged: [] },
      frameBytes: FRAME_BYTES,
      rewrite: false,
    };
  }
  const fb = header === 'v1' ? FRAME_BYTES_V1 : FRAME_BYTES;
  const scan = new LogScanner(fh, size, fb);
  const damaged: OutboxDamage[] = [];
  let pos = HEADER_BYTES;
  if (header === 'foreign') {
    // A damaged header, or not our file at all: salvage when intact records follow, else move aside.
    const first = await scan.resync(0);
    if (first === undefined) return moveAside(fh, path, size, now);
    // Bytes between the header and the first intact record held at least one record.
    const lost = first > HEADER_BYTES ? await scan.markersIn(HEADER_BYTES, first) : 0;
    damaged.push({
      offset: 0,
      bytes: first,
      records: lost,
      reason: lost ? `the log header and ${lost} record(s) after it are damaged` : 'the log header is damaged',
    });
    pos = first;
  }
  const walked = await walkRecords(scan, new RecordApplier(queue, cacheBytes), pos, damaged);
  if (walked.reason) {
    await fh.truncate(walked.pos);
    await fh.datasync();
  }
  const end = await dropOverLimits(fh, queue, fb, walked.pos);
  return {
    fh,
    end,
    recovery: {
      records: walked.records,
      pending: queue.count,
      truncatedBytes: size - walked.pos,
      damaged,
      ...(walked.reason ? { reason: walked.reason } : {}),
    },
    frameBytes: fb,
    rewrite: fb !== FRAME_BYTES || damaged.length > 0,
  };
}

/** Moves a log with nothing readable in it aside (never deletes it) and starts a new one. */
async function moveAside(fh: FileHandle, path: string, size: number, now: () => number): Promise<RecoveredLog> {
  const aside = `${path}.damaged-${now()}`;
  await fh.close();
  await rename(path, aside);
  const fresh = await open(path, 'w+');
  await freshLog(fresh, path).catch(async (err) => {
    await fresh.close().catch(() => undefined);
    throw err;
  });
  const reason = `not an outbox log, or its header and every record are damaged (${size} bytes); kept as ${basename(aside)}, a new log was started`;
  return {
    fh: fresh,
    end: HEADER_BYTES,
    recovery: {
      records: 0,
      pending: 0,
      truncatedBytes: 0,
      damaged: [{ offset: 0, bytes: size, records: 0, reason }],
      movedAside: aside,
    },
    frameBytes: FRAME_BYTES,
    rewrite: false,
  };
}

/**
 * Applies the records from `pos` on, skipping damaged spans (each pushed to `damaged`). Ends at the
 * end of the file or at the first record nothing intact follows; `reason` then says why.
 */
async function walkRecords(
  scan: LogScanner,
  applier: RecordApplier,
  pos: number,
  damaged: OutboxDamage[],
): Promise<{ pos: number; records: number; reason?: string }> {
  let records = 0;
  while (pos < scan.size) {
    const got = await scan.attempt(pos);
    if ('rec' in got) {
      applier.apply(got.rec, pos, got.length);
      records++;
      pos += got.length;
      continue;
    }
    // Version 1 has no marker to resynchronise on: the log ends at its first bad record.
    const next = scan.fb === FRAME_BYTES ? await scan.resync(pos + 1) : undefined;
    if (next === undefined) {
      // A torn last record is what kill -9 mid-write leaves; anything else at the tail is damage.
      if (!got.torn)
        damaged.push({
          offset: pos,
          bytes: scan.size - pos,
          records: await scan.markersIn(pos, scan.size),
          reason: got.why,
        });
      return { pos, records, reason: got.why };
    }
    damaged.push({ offset: pos, bytes: next - pos, records: await scan.markersIn(pos, next), reason: got.why });
    pos = next;
  }
  return { pos, records };
}

/** Limits lowered since the log was written: drops the oldest now and records it. Returns the new end. */
async function dropOverLimits(fh: FileHandle, queue: PendingQueue<Slot>, fb: number, end: number): Promise<number> {
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
  return end;
}
