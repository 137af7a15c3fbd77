/**
 * A file copy done by the kernel (fs.copyFile: a reflink where the file system has them, else
 * copy_file_range or sendfile), from a descriptor that openRegular has checked. fs.copyFile takes
 * paths and follows links, so it is given the path that reopens that very descriptor (Linux
 * `/proc/self/fd/<n>`): a package file swapped for a link, a FIFO or a device after the check is
 * never reached. Where no such path exists the copy is not made and the caller copies in user space.
 */
import { constants, existsSync } from 'node:fs';
import { copyFile, open } from 'node:fs/promises';
import { EdgeError, messageOf } from './errors.js';
import { openRegular, type SafeOpenOptions } from './safe-fs.js';

/** Permission bits a copy may carry from its source (no setuid, setgid or sticky bit). */
const PLAIN_MODE = 0o777;

/** The path that reopens the file behind descriptor `fd`, where the platform has one. */
function descriptorPath(fd: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const path = `/proc/self/fd/${fd}`;
  return existsSync(path) ? path : undefined;
}

/**
 * Copies a regular file reached without links (see {@link openRegular}) to `dest`, which must not
 * exist, inside the kernel: no byte passes through this process. The copy carries the source's
 * permission bits, as fs.copyFile does, less setuid, setgid and sticky.
 * @returns false, with nothing written, where the platform cannot reopen a checked descriptor by
 *   path (copy with {@link copyRegular} or copyRegularHashed instead); true once copied
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_OUTPUT_EXISTS (`dest` exists), E_IO
 * @example
 * const copied = await copyRegularInKernel(join(src, rel), join(out, rel), { root: src, label: rel });
 */
export async function copyRegularInKernel(src: string, dest: string, options: SafeOpenOptions = {}): Promise<boolean> {
  const from = await openRegular(src, options);
  const label = options.label ?? src;
  try {
    const path = descriptorPath(from.fd);
    if (path === undefined) return false;
    const { mode } = await from.stat();
    await copyFile(path, dest, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    if ((mode & ~PLAIN_MODE & 0o7777) !== 0) {
      // Through a descriptor opened without following a link, like every other access here.
      const to = await open(dest, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
      try {
        await to.chmod(mode & PLAIN_MODE);
      } finally {
        await to.close();
      }
    }
    return true;
  } catch (err) {
    if (err instanceof EdgeError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new EdgeError('E_OUTPUT_EXISTS', `cannot copy ${label}: the destination exists`, { file: dest });
    throw new EdgeError('E_IO', `cannot copy ${label}: ${messageOf(err)}`, { file: dest, cause: err });
  } finally {
    await from.close().catch(() => undefined);
  }
}
