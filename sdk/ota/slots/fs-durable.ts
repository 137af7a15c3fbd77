/**
 * Durable file operations for crash safety: data is fsynced before it becomes visible by a
 * rename, and the directory is fsynced after, so after a power cut a reader finds the old file or
 * the new one, complete.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** fsync a file or directory by path (directories: so a rename or new entry in it is durable). */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Suffix of temporary files written by {@link writeFileDurable}; leftovers are safe to delete. */
export const TEMP_SUFFIX = '.tmp';

/**
 * Writes `data` to `path` atomically and durably: temp file, fsync, rename over `path`, fsync of
 * the directory.
 * @example
 * await writeFileDurable('store/pointer.json', JSON.stringify(pointer));
 */
export async function writeFileDurable(path: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}${TEMP_SUFFIX}`);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  fsyncPath(dirname(path));
}
