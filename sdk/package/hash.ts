/**
 * Streaming sha256 of files (never the whole file in memory). Files are opened without following
 * a link and must be regular files (see core/safe-fs.ts).
 */
import { createHash } from 'node:crypto';
import { openRegular, type SafeOpenOptions } from '../core/safe-fs.js';

/**
 * Hex sha256 of a regular file, read in 1 MiB chunks.
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE (a link, a device, a FIFO), E_IO
 */
export async function sha256File(path: string, options: SafeOpenOptions = {}): Promise<string> {
  const fh = await openRegular(path, options);
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let pos = 0; ;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    return hash.digest('hex');
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Hex sha256 of bytes or a string. */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
