/**
 * Reading the records of an outbox log during replay ({@link LogScanner}): one record at an offset,
 * the next intact record after damage (a version-2 log resynchronises on its record marker), and
 * the record markers in a damaged span. Reads only; replay (log-replay.ts) decides what to do.
 * @internal
 */
import type { FileHandle } from 'node:fs/promises';
import { FRAME_BYTES, MAX_RECORD_BYTES, SYNC, decodeRecord, type LogRecord } from './log-format.js';
import { WINDOW, WindowReader } from './log-io.js';

/** The record at an offset and its length, or why there is none (`torn`: cut short by the end of the file). */
export type Attempt = { rec: LogRecord; length: number } | { why: string; torn: boolean };

/** Reads the records of one log file of `size` bytes with frames of `fb` bytes. */
export class LogScanner {
  private readonly reader: WindowReader;

  constructor(
    fh: FileHandle,
    readonly size: number,
    readonly fb: number,
  ) {
    this.reader = new WindowReader(fh);
  }

  /** The record at `at`, or why there is none. */
  async attempt(at: number): Promise<Attempt> {
    const { size, fb, reader } = this;
    if (size - at < fb) return { why: `torn record frame at byte ${at}`, torn: true };
    const frame = await reader.get(at, fb);
    if (fb === FRAME_BYTES && !frame.subarray(0, 4).equals(SYNC))
      return { why: `no record marker at byte ${at}`, torn: false };
    const len = frame.readUInt32LE(fb - 8);
    if (len < 1 || len > MAX_RECORD_BYTES) return { why: `impossible record length ${len} at byte ${at}`, torn: false };
    if (at + fb + len > size)
      return { why: `torn record at byte ${at} (${fb + len} bytes announced, ${size - at} present)`, torn: true };
    const rec = decodeRecord(await reader.get(at, fb + len), fb);
    return rec ? { rec, length: fb + len } : { why: `record at byte ${at} fails its checksum or format`, torn: false };
  }

  /** Offset of the next intact record at or after `from` (version 2 only), or undefined. */
  async resync(from: number): Promise<number | undefined> {
    for (let at = from; at < this.size;) {
      const window = await this.reader.get(at, Math.min(WINDOW, this.size - at));
      const i = window.indexOf(SYNC);
      if (i < 0) {
        if (window.length < SYNC.length) return undefined;
        at += window.length - (SYNC.length - 1);
        continue;
      }
      if ('rec' in (await this.attempt(at + i))) return at + i;
      at += i + 1;
    }
    return undefined;
  }

  /** Record markers in [from, to): how many records a damaged span held (at least 1). */
  async markersIn(from: number, to: number): Promise<number> {
    let n = 0;
    for (let at = from; at < to;) {
      const window = await this.reader.get(at, Math.min(WINDOW, to - at));
      for (let i = window.indexOf(SYNC); i >= 0; i = window.indexOf(SYNC, i + 1)) n++;
      if (window.length < SYNC.length) break;
      at += window.length - (SYNC.length - 1);
    }
    return Math.max(1, n);
  }
}
