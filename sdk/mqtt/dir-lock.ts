/**
 * One process per state directory. A `LOCK` file holds the owner's pid; a lock whose pid is no
 * longer running (the owner was killed with SIGKILL, or the device lost power) is stale and is taken
 * over. Two live publishers on one outbox would interleave their logs and resend each other's
 * messages, so the second is refused.
 * @internal
 */
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { EdgeError, messageOf } from '../core/errors.js';

/** A held lock; `release()` is idempotent. */
export interface DirLock {
  readonly path: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<dir>/LOCK`.
 * @throws EdgeError E_OUTBOX when another live process (or this one) holds it, or on I/O failure
 */
export async function acquireDirLock(dir: string): Promise<DirLock> {
  const path = join(dir, 'LOCK');
  // The pid is written to a private file first and hard-linked into place, so LOCK never exists
  // without its content (link fails with EEXIST atomically).
  const tmp = join(dir, `LOCK.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(tmp, `${process.pid}\n`);
  } catch (err) {
    throw new EdgeError('E_OUTBOX', `cannot write lock file: ${messageOf(err)}`, { file: tmp, cause: err });
  }
  try {
    return await takeLock(path, tmp);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function takeLock(path: string, tmp: string): Promise<DirLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await link(tmp, path);
      let released = false;
      return {
        path,
        async release() {
          if (released) return;
          released = true;
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new EdgeError('E_OUTBOX', `cannot create lock file: ${messageOf(err)}`, { file: path, cause: err });
      }
    }
    const text = await readFile(path, 'utf8').catch(() => '');
    const pid = Number.parseInt(text.trim(), 10);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      const who = pid === process.pid ? 'this process (open it once and share the object)' : `process ${pid}`;
      throw new EdgeError('E_OUTBOX', `outbox directory is in use by ${who}`, {
        file: path,
        hint: 'give each publisher its own stateDir',
      });
    }
    // Stale (owner gone) or half-written: remove and retry.
    await unlink(path).catch(() => undefined);
  }
  throw new EdgeError('E_OUTBOX', 'could not take the lock after 3 attempts (another process keeps racing for it)', { file: path });
}
