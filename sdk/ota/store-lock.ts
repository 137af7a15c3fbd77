/**
 * One process per slot store: a lock file holding the owner's pid. A lock left by a process that
 * no longer runs (killed, power cut) is taken over; one held by a live process is refused.
 */
import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { EdgeError, messageOf } from '../core/errors.js';

/** A held lock. */
export interface StoreLock {
  /** Removes the lock file if this process still owns it. Idempotent. */
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock at `path`.
 * @throws EdgeError E_IO when a live process holds it
 */
export async function acquireStoreLock(path: string): Promise<StoreLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
          if (owner === process.pid) await unlink(path).catch(() => {});
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new EdgeError('E_IO', `cannot create the store lock: ${messageOf(err)}`, { file: path, cause: err });
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new EdgeError('E_IO', `the slot store is in use by process ${owner}`, { file: path, hint: 'run one agent per store' });
      }
      if (owner === process.pid) throw new EdgeError('E_IO', 'this process already has the slot store open', { file: path });
      // Stale: its owner is gone. Replace it and try again.
      await writeFile(path, '').catch(() => {});
      await unlink(path).catch(() => {});
    }
  }
  throw new EdgeError('E_IO', 'cannot take the slot store lock (it keeps changing hands)', { file: path });
}
