/**
 * Reading files of packages, bundles and models without following a link and without reading
 * more than asked. Every open uses O_NOFOLLOW (the last path component may not be a link), the
 * directories between a trusted root and the file are checked with lstat (no component may be a
 * link), and the opened descriptor must be a regular file: a FIFO, a device such as /dev/zero or a
 * directory is refused before a byte is read. Reads stop at a byte limit.
 */
import { constants } from 'node:fs';
import { link, lstat, open, unlink, type FileHandle } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { EdgeError, messageOf, type ErrorCode } from './errors.js';

/** Options of {@link openRegular} and {@link readRegular}. */
export interface SafeOpenOptions {
  /**
   * Trusted directory the path lies in: every directory between it and the file must be a real
   * directory, not a link (the root itself may be a link, as a user may name one).
   */
  root?: string;
  /** Name used in errors (e.g. the path inside the package). Default: the file's base name. */
  label?: string;
  /** Code for a missing file. Default E_FILE_NOT_FOUND. */
  missingCode?: ErrorCode;
}

/** Options of {@link readRegular}. */
export interface SafeReadOptions extends SafeOpenOptions {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** Code for a file over `maxBytes`. Default E_FILE_TOO_LARGE. */
  tooLargeCode?: ErrorCode;
}

const NOFOLLOW_READ = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * Checks that `rel` stays inside `root` and that none of its directories is a link.
 * @returns the joined path
 * @throws EdgeError E_PATH_UNSAFE
 */
export async function checkNoLinkPath(root: string, rel: string, label = rel): Promise<string> {
  const norm = normalize(rel);
  if (isAbsolute(rel) || norm === '..' || norm.startsWith(`..${sep}`))
    throw new EdgeError('E_PATH_UNSAFE', `${label} leaves its directory`, { file: join(root, rel) });
  const parts = norm.split(sep).filter((p) => p && p !== '.');
  let at = root;
  for (const part of parts.slice(0, -1)) {
    at = join(at, part);
    const st = await lstat(at).catch(() => undefined);
    if (st?.isSymbolicLink())
      throw new EdgeError(
        'E_PATH_UNSAFE',
        `${label}: directory ${relative(root, at)} is a symbolic link; links are refused`,
        { file: at },
      );
    if (st && !st.isDirectory())
      throw new EdgeError('E_PATH_UNSAFE', `${label}: ${relative(root, at)} is not a directory`, { file: at });
  }
  return join(root, ...parts);
}

/**
 * Opens `path` for reading if it is a regular file reached without links.
 * @throws EdgeError E_FILE_NOT_FOUND (or `missingCode`), E_PATH_UNSAFE (a link, a device, a FIFO,
 *   a directory), E_IO
 */
export async function openRegular(path: string, options: SafeOpenOptions = {}): Promise<FileHandle> {
  const label = options.label ?? basename(path);
  if (options.root !== undefined) await checkNoLinkPath(options.root, relative(options.root, path), label);
  let fh: FileHandle;
  try {
    fh = await open(path, NOFOLLOW_READ);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new EdgeError(options.missingCode ?? 'E_FILE_NOT_FOUND', `${label} does not exist`, {
        file: path,
        cause: err,
      });
    if (code === 'ELOOP' || code === 'EMLINK')
      throw new EdgeError('E_PATH_UNSAFE', `${label} is a symbolic link; links are refused`, {
        file: path,
        cause: err,
      });
    throw new EdgeError('E_IO', `cannot open ${label}: ${messageOf(err)}`, { file: path, cause: err });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile())
      throw new EdgeError(
        'E_PATH_UNSAFE',
        `${label} is not a regular file (${kindOf(st)}); only regular files are read`,
        { file: path },
      );
    return fh;
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err instanceof EdgeError
      ? err
      : new EdgeError('E_IO', `cannot stat ${label}: ${messageOf(err)}`, { file: path, cause: err });
  }
}

/**
 * Reads a whole regular file of at most `maxBytes` bytes, reached without links.
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_FILE_TOO_LARGE (or `tooLargeCode`), E_IO
 * @example
 * const bytes = await readRegular(join(dir, 'ringmoe.json'), { maxBytes: 16 << 20, root: dir });
 */
export async function readRegular(path: string, options: SafeReadOptions): Promise<Buffer> {
  const fh = await openRegular(path, options);
  const label = options.label ?? basename(path);
  try {
    const { size } = await fh.stat();
    const tooLarge = (n: number) =>
      new EdgeError(
        options.tooLargeCode ?? 'E_FILE_TOO_LARGE',
        `${label} is ${n} bytes; the limit is ${options.maxBytes}`,
        { file: path },
      );
    if (size > options.maxBytes) throw tooLarge(size);
    // One byte more than allowed, so a file that grows while it is read is caught too.
    const buf = Buffer.allocUnsafe(Math.min(size, options.maxBytes) + 1);
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await fh.read(buf, done, buf.length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    if (done > options.maxBytes) throw tooLarge(done);
    return buf.subarray(0, done);
  } catch (err) {
    throw err instanceof EdgeError
      ? err
      : new EdgeError('E_IO', `cannot read ${label}: ${messageOf(err)}`, { file: path, cause: err });
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * lstat that says what a package path is without following it: `undefined` when absent.
 * @throws EdgeError E_PATH_UNSAFE when it is not a regular file
 */
export async function lstatRegular(path: string, label = path): Promise<{ size: number } | undefined> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return undefined;
  if (!st.isFile())
    throw new EdgeError('E_PATH_UNSAFE', `${label} is not a regular file (${kindOf(st)}); links are refused`, {
      file: path,
    });
  return st;
}

function kindOf(st: {
  isSymbolicLink(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

/**
 * Copies a regular file reached without links (see {@link openRegular}) to `dest`, which must not
 * exist. The bytes come from the descriptor that was checked, so a file swapped for a link after a
 * check is never followed.
 * @returns the number of bytes copied
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_IO
 */
export async function copyRegular(src: string, dest: string, options: SafeOpenOptions = {}): Promise<number> {
  const from = await openRegular(src, options);
  let to: FileHandle | undefined;
  try {
    to = await open(dest, 'wx');
    const buf = Buffer.allocUnsafe(1 << 20);
    let pos = 0;
    for (;;) {
      const { bytesRead } = await from.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      await to.write(buf, 0, bytesRead, pos);
      pos += bytesRead;
    }
    return pos;
  } catch (err) {
    throw err instanceof EdgeError
      ? err
      : new EdgeError('E_IO', `cannot copy ${options.label ?? src}: ${messageOf(err)}`, { file: dest, cause: err });
  } finally {
    await to?.close().catch(() => undefined);
    await from.close().catch(() => undefined);
  }
}

/**
 * Hard-links a regular file reached without links to `dest` (which must not exist), or copies it
 * from the checked descriptor when a link is impossible or would not be that very file.
 * @returns whether `dest` is a hard link
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_IO
 */
export async function linkOrCopyRegular(src: string, dest: string, options: SafeOpenOptions = {}): Promise<boolean> {
  const fh = await openRegular(src, options);
  let checked: { ino: number; dev: number };
  try {
    checked = await fh.stat();
  } finally {
    await fh.close().catch(() => undefined);
  }
  const linked = await link(src, dest).then(
    async () => {
      const st = await lstat(dest);
      if (st.isFile() && st.ino === checked.ino && st.dev === checked.dev) return true;
      await unlink(dest);
      return false;
    },
    () => false,
  );
  if (!linked) await copyRegular(src, dest, options);
  return linked;
}
