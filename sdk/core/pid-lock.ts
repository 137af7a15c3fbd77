/**
 * One process per directory or store: a lock file holding its owner's pid. A lock whose pid no
 * longer runs (the owner was killed with SIGKILL, or the device lost power) is stale and is taken
 * over; one held by a live process (this one included) is refused. Used by the MQTT outbox and the
 * OTA slot store, whose logs two writers would interleave.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { EdgeError, messageOf, type ErrorCode } from './errors.js';

/** A held lock; `release()` is idempotent. */
export interface PidLock {
  readonly path: string;
  /** Removes the lock file if this process still owns it. */
  release(): Promise<void>;
}

/** How a lock's errors read: their code, what is locked ("outbox directory") and a hint. */
export interface PidLockErrors {
  code: ErrorCode;
  subject: string;
  hint: string;
}

/** Whether process `pid` runs (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const ownerOf = async (path: string): Promise<number> =>
  Number.parseInt((await readFile(path, 'utf8').catch(() => '')).trim(), 10);

/**
 * Takes the lock file at `path`.
 * @throws EdgeError `errors.code` when a live process holds it, or on I/O failure
 */
export async function acquirePidLock(path: string, errors: PidLockErrors): Promise<PidLock> {
  // The pid is written to a private file first and hard-linked into place, so the lock never exists
  // without its content (link fails with EEXIST atomically): a racing taker never sees it empty.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, `${process.pid}\n`);
  } catch (err) {
    throw new EdgeError(errors.code, `cannot write lock file: ${messageOf(err)}`, { file: tmp, cause: err });
  }
  try {
    return await takeLock(path, tmp, errors);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function takeLock(path: string, tmp: string, errors: PidLockErrors): Promise<PidLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await link(tmp, path);
      let released = false;
      return {
        path,
        async release() {
          if (released) return;
          released = true;
          if ((await ownerOf(path)) === process.pid) await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new EdgeError(errors.code, `cannot create lock file: ${messageOf(err)}`, { file: path, cause: err });
      }
    }
    const pid = await ownerOf(path);
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
      const who = pid === process.pid ? 'this process (open it once and share the object)' : `process ${pid}`;
      throw new EdgeError(errors.code, `${errors.subject} is in use by ${who}`, { file: path, hint: errors.hint });
    }
    // Stale (owner gone) or half-written by an older version: remove and retry.
    await unlink(path).catch(() => undefined);
  }
  throw new EdgeError(errors.code, 'could not take the lock after 3 attempts (another process keeps racing for it)', {
    file: path,
  });
}
