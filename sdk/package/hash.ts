/**
 * Streaming sha256 of files (never the whole file in memory), and copies that return the sha256 of
 * the bytes they wrote: a kernel copy hashed from the page cache afterwards, or, where the kernel
 * cannot copy from a checked descriptor, a user-space copy that hashes as it writes. Files are
 * opened without following a link and must be regular files (see core/safe-fs.ts).
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { EdgeError, messageOf } from '../core/errors.js';
import { copyRegularInKernel } from '../core/kernel-copy.js';
import { openRegular, type SafeOpenOptions } from '../core/safe-fs.js';

/** Bytes read (and written) per step of a streamed hash or copy. */
const CHUNK_BYTES = 1 << 20;

/** sha256 and size of a file, as a package manifest records them. */
export interface FileDigest {
  sha256: string;
  size: number;
}

/**
 * Hex sha256 of a regular file, read in 1 MiB chunks.
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE (a link, a device, a FIFO), E_IO
 */
export async function sha256File(path: string, options: SafeOpenOptions = {}): Promise<string> {
  return (await digestFile(path, options)).sha256;
}

/**
 * sha256 and size of the bytes of a regular file, read in 1 MiB chunks.
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE (a link, a device, a FIFO), E_IO
 */
export async function digestFile(path: string, options: SafeOpenOptions = {}): Promise<FileDigest> {
  const fh = await openRegular(path, options);
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    return { sha256: hash.digest('hex'), size: pos };
  } catch (err) {
    throw err instanceof EdgeError
      ? err
      : new EdgeError('E_IO', `cannot read ${options.label ?? path}: ${messageOf(err)}`, { file: path, cause: err });
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Hex sha256 of bytes or a string. */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A promise whose rejection is handled later (by an await) but never reported as unhandled meanwhile. */
function inFlight<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

async function writeAll(to: FileHandle, buf: Buffer, length: number, position: number): Promise<void> {
  for (let done = 0; done < length;) {
    const { bytesWritten } = await to.write(buf, done, length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * Copies a regular file reached without links (as {@link copyRegular} does) to `dest`, which must
 * not exist, and hashes the bytes it writes in the same pass: each chunk is read once, fed to
 * sha256 and written, so the digest is that of the copy without reading the copy back. The read of
 * the next chunk overlaps the hashing and writing of the current one; two 1 MiB buffers are in
 * memory, whatever the file's size.
 * @returns the sha256 and size of the bytes written
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_OUTPUT_EXISTS (`dest` exists), E_IO
 * @example
 * const { sha256, size } = await copyRegularHashed(join(src, rel), join(out, rel), { root: src, label: rel });
 */
export async function copyRegularHashed(src: string, dest: string, options: SafeOpenOptions = {}): Promise<FileDigest> {
  const from = await openRegular(src, options);
  const label = options.label ?? src;
  let to: FileHandle | undefined;
  let reading: Promise<{ bytesRead: number }> | undefined;
  let writing: Promise<void> = Promise.resolve();
  try {
    to = await open(dest, 'wx').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST')
        throw new EdgeError('E_OUTPUT_EXISTS', `cannot copy ${label}: the destination exists`, { file: dest });
      throw err;
    });
    const hash = createHash('sha256');
    const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)] as const;
    let pos = 0;
    let at = 0;
    reading = inFlight(from.read(buffers[0], 0, CHUNK_BYTES, 0));
    for (;;) {
      const { bytesRead }: { bytesRead: number } = await reading;
      if (bytesRead === 0) break;
      const current = buffers[at]!;
      // The other buffer is free once the previous write has finished; the next read goes there.
      await writing;
      reading = inFlight(from.read(buffers[1 - at]!, 0, CHUNK_BYTES, pos + bytesRead));
      hash.update(current.subarray(0, bytesRead));
      writing = inFlight(writeAll(to, current, bytesRead, pos));
      pos += bytesRead;
      at = 1 - at;
    }
    await writing;
    return { sha256: hash.digest('hex'), size: pos };
  } catch (err) {
    throw err instanceof EdgeError
      ? err
      : new EdgeError('E_IO', `cannot copy ${label}: ${messageOf(err)}`, { file: dest, cause: err });
  } finally {
    // Nothing may still use a buffer or a descriptor when they are released.
    await Promise.allSettled([reading, writing]);
    await to?.close().catch(() => undefined);
    await from.close().catch(() => undefined);
  }
}

/**
 * Copies a regular file reached without links to `dest`, which must not exist, and returns the
 * sha256 and size of the copy: the kernel copies (see core/kernel-copy.ts), then the copy is read
 * once, from the page cache, to be hashed. That is cheaper than {@link copyRegularHashed}'s one
 * pass, whose user-space write of every chunk into the page cache costs more than the kernel's copy
 * and the read together. Where the kernel cannot copy from a checked descriptor, it is that one pass.
 * @returns the sha256 and size of the bytes of `dest`
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_OUTPUT_EXISTS (`dest` exists), E_IO
 * @example
 * const { sha256, size } = await copyRegularThenHash(join(src, rel), join(out, rel), { root: src, label: rel });
 */
export async function copyRegularThenHash(
  src: string,
  dest: string,
  options: SafeOpenOptions = {},
): Promise<FileDigest> {
  if (!(await copyRegularInKernel(src, dest, options))) return copyRegularHashed(src, dest, options);
  return digestFile(dest, { label: options.label ?? dest });
}
