/**
 * Where the Sparkplug-style birth/death sequence number (bdSeq) lives between connections and
 * between process lifetimes. Every connection attempt takes the next number *before* CONNECT, so
 * the last-will registered with the broker and the birth published after CONNACK carry the same
 * bdSeq, and a death left over from an older connection never matches a newer birth.
 */
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EdgeError, messageOf } from '../core/errors.js';
import { parseJsonBounded } from '../core/json-limits.js';
import { readRegular } from '../core/safe-fs.js';
import { syncDir } from './outbox/log-io.js';

/** Hands out bdSeq numbers. */
export interface BdSeqStore {
  /** Persists and returns the next number (the first call on a fresh store returns 0). */
  next(): Promise<number>;
  /** The last number handed out, or undefined before the first. */
  current(): number | undefined;
}

/**
 * bdSeq in memory: restarts at 0 with the process. Consumers then cannot tell a stale death of the
 * previous process from a live birth of this one; use {@link FileBdSeqStore} on devices.
 */
export class MemoryBdSeqStore implements BdSeqStore {
  private value: number | undefined;
  /** @param start the number the first `next()` returns */
  constructor(start = 0) {
    this.value = start === 0 ? undefined : start - 1;
  }
  /** {@inheritDoc BdSeqStore.next} */
  async next(): Promise<number> {
    this.value = this.value === undefined ? 0 : this.value + 1;
    return this.value;
  }
  /** {@inheritDoc BdSeqStore.current} */
  current(): number | undefined {
    return this.value;
  }
}

/**
 * bdSeq in a small JSON file (`{"bdSeq": 41}`), replaced atomically (write, fsync, rename, fsync dir)
 * on every `next()`.
 * @example
 * const store = await FileBdSeqStore.open('state/bdseq.json');
 * const bdSeq = await store.next();
 */
export class FileBdSeqStore implements BdSeqStore {
  /**
   * Set when the file was damaged at open: what was found and the number the sequence goes on from.
   * The publisher reports it as an `E_STATE_DAMAGED` error event.
   */
  readonly damage?: EdgeError;

  private constructor(
    /** Path of the file. */
    readonly path: string,
    private value: number | undefined,
    damage?: EdgeError,
  ) {
    if (damage) this.damage = damage;
  }

  /**
   * Reads the file if it exists. A damaged file (not JSON, no valid bdSeq, over 4 KiB) does not stop
   * the device: the sequence goes on from the current time in seconds, which is above any number a
   * device reaches by reconnecting, so no new birth can equal an old death; {@link damage} says so.
   * @param now clock for a damaged file (ms since the epoch)
   * @throws EdgeError E_PATH_UNSAFE (a link or a device), E_IO (unreadable)
   */
  static async open(path: string, now: () => number = Date.now): Promise<FileBdSeqStore> {
    let bytes: Buffer;
    try {
      bytes = await readRegular(path, { maxBytes: 4096, label: 'bdSeq file' });
    } catch (err) {
      if (err instanceof EdgeError && err.code === 'E_FILE_NOT_FOUND') return new FileBdSeqStore(path, undefined);
      if (!(err instanceof EdgeError && err.code === 'E_FILE_TOO_LARGE')) {
        throw err instanceof EdgeError && err.code === 'E_PATH_UNSAFE'
          ? err
          : new EdgeError('E_IO', `cannot read the bdSeq file: ${messageOf(err)}`, { file: path, cause: err });
      }
      return FileBdSeqStore.damaged(path, messageOf(err), now);
    }
    let value: unknown;
    try {
      value = (
        parseJsonBounded(
          bytes,
          { maxBytes: 4096, maxDepth: 2, maxStringLength: 256 },
          { file: path, what: 'bdSeq file' },
        ) as { bdSeq?: unknown } | null
      )?.bdSeq;
    } catch {
      value = undefined;
    }
    if (!Number.isSafeInteger(value) || (value as number) < 0) {
      return FileBdSeqStore.damaged(
        path,
        `not a bdSeq file (expected {"bdSeq": <integer >= 0>}, found ${JSON.stringify(bytes.toString('utf8', 0, Math.min(bytes.length, 40)))})`,
        now,
      );
    }
    return new FileBdSeqStore(path, value as number);
  }

  private static damaged(path: string, found: string, now: () => number): FileBdSeqStore {
    const from = Math.floor(now() / 1000);
    const damage = new EdgeError(
      'E_STATE_DAMAGED',
      `${found}; the bdSeq sequence goes on from ${from} (the time in seconds)`,
      { file: path, field: 'bdSeq' },
    );
    return new FileBdSeqStore(path, from - 1, damage);
  }

  /** {@inheritDoc BdSeqStore.next} */
  async next(): Promise<number> {
    const value = this.value === undefined ? 0 : this.value + 1;
    const tmp = `${this.path}.tmp`;
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(`${JSON.stringify({ bdSeq: value })}\n`);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
      await syncDir(dirname(this.path));
    } catch (err) {
      throw new EdgeError('E_IO', `cannot persist bdSeq: ${messageOf(err)}`, { file: this.path, cause: err });
    }
    this.value = value;
    return value;
  }

  /** {@inheritDoc BdSeqStore.current} */
  current(): number | undefined {
    return this.value;
  }
}
