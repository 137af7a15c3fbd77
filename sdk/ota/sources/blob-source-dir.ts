/**
 * Blobs from a bundle directory (removable media, a side-loaded copy): `<dir>/blobs/<sha256>`, and
 * the bundle manifest itself from `<dir>/bundle.json`. Links and special files are refused.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgeError, messageOf } from '../../core/errors.js';
import { BUNDLE_BLOB_DIR, BUNDLE_MANIFEST_FILE } from '../bundle/bundle-manifest.js';
import type { BlobRequest, BlobSource, SourceFetchOptions } from './blob-source.js';
import type { BlobWriter } from '../slots/slot-store.js';
import { openRegular } from '../../core/safe-fs.js';

/**
 * A bundle directory as a blob source.
 * @example
 * const source = new DirectoryBlobSource('/media/usb/drone-optical-2.0.0', manifestSha256);
 */
export class DirectoryBlobSource implements BlobSource {
  readonly name: string;

  /** @param manifestSha256 the hash under which `bundle.json` is served */
  constructor(
    private readonly dir: string,
    private readonly manifestSha256?: string,
  ) {
    this.name = `dir ${dir}`;
  }

  async fetch(blob: BlobRequest, writer: BlobWriter, o: SourceFetchOptions = {}): Promise<void> {
    let path = join(this.dir, BUNDLE_BLOB_DIR, blob.sha256);
    let st = await lstat(path).catch(() => undefined);
    if (!st && blob.sha256 === this.manifestSha256) {
      path = join(this.dir, BUNDLE_MANIFEST_FILE);
      st = await lstat(path).catch(() => undefined);
    }
    if (!st) throw new EdgeError('E_BLOB_MISSING', `${path} does not exist`);
    if (!st.isFile())
      throw new EdgeError('E_PATH_UNSAFE', `${path} is not a regular file (links are refused)`, { file: path });
    // Read through a descriptor opened without following links (no linked blobs/ directory either),
    // so a file swapped for a link after the lstat above is never followed.
    const fh = await openRegular(path, { root: this.dir });
    try {
      const { size } = await fh.stat();
      if (size > blob.size)
        throw new EdgeError('E_BLOB_HASH', `${path} has ${size} bytes, more than the ${blob.size} the manifest lists`, {
          file: path,
        });
      const stream = fh.createReadStream({
        start: writer.offset,
        autoClose: false,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          await writer.write(chunk);
          o.onBytes?.(chunk.length);
        }
      } catch (err) {
        throw new EdgeError('E_IO', `reading ${path} failed: ${messageOf(err)}`, { file: path, cause: err });
      }
    } finally {
      await fh.close().catch(() => undefined);
    }
  }
}
