/**
 * Where the Sparkplug-style birth/death sequence number (bdSeq) lives between connections and
 * between process lifetimes. Every connection attempt takes the next number *before* CONNECT, so
 * the last-will registered with the broker and the birth published after CONNACK carry the same
 * bdSeq, and a death left over from an older connection never matches a newer birth.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EdgeError, messageOf } from '../core/errors.js';
import { syncDir } from './outbox-file-io.js';

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
  private constructor(
    /** Path of the file. */
    readonly path: string,
    private value: number | undefined,
  ) {}

  /**
   * Reads the file if it exists.
   * @throws EdgeError E_IO when the file exists but is not a bdSeq file
   */
  static async open(path: string): Promise<FileBdSeqStore> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new FileBdSeqStore(path, undefined);
      throw new EdgeError('E_IO', `cannot read the bdSeq file: ${messageOf(err)}`, { file: path, cause: err });
    }
    let value: unknown;
    try {
      value = (JSON.parse(text) as { bdSeq?: unknown }).bdSeq;
    } catch {
      value = undefined;
    }
    if (!Number.isSafeInteger(value) || (value as number) < 0) {
      throw new EdgeError('E_IO', `not a bdSeq file (expected {"bdSeq": <integer >= 0>}, found ${JSON.stringify(text.slice(0, 40))})`, {
        file: path,
        hint: 'delete it to restart the sequence at 0',
      });
    }
    return new FileBdSeqStore(path, value as number);
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
