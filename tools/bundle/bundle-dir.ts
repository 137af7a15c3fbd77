/**
 * Reading a bundle directory (what `bundle` wrote): manifest bytes, signature, and blob paths —
 * refusing links and anything but regular files, so a bundle on removable media cannot point
 * outside itself.
 */
import { lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';
import { PACKAGE_INCOMPLETE_MARKER } from '../../sdk/internal.js';
import { sha256 } from '../../sdk/internal.js';
import { parseJsonBounded } from '../../sdk/internal.js';
import { readRegular } from '../../sdk/internal.js';
import { parseBundleManifest } from '../../sdk/internal.js';
import {
  BUNDLE_BLOB_DIR,
  BUNDLE_MANIFEST_FILE,
  BUNDLE_SIGNATURE_FILE,
  DEFAULT_BUNDLE_LIMITS,
  type BundleManifest,
} from '../../sdk/internal.js';
import { checkSignatureRecord, type SignatureRecord } from '../../sdk/internal.js';

/** An opened bundle directory. */
export interface BundleDir {
  dir: string;
  manifest: BundleManifest;
  manifestBytes: Buffer;
  manifestSha256: string;
  /** The detached signature, if the bundle was signed. */
  signature?: SignatureRecord;
  /** Path of blob `sha256` inside the bundle (not checked). */
  blobPath(sha256: string): string;
}

/**
 * Reads a regular file of a bundle, refusing links (opened with O_NOFOLLOW), devices and FIFOs, and
 * reading at most `maxBytes`.
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_BUNDLE_INVALID (over `maxBytes`)
 */
export async function readBundleFile(path: string, maxBytes = Number.MAX_SAFE_INTEGER): Promise<Buffer> {
  return readRegular(path, { maxBytes, tooLargeCode: 'E_BUNDLE_INVALID', label: 'bundle file', root: dirname(path) });
}

/**
 * Opens a bundle directory: manifest (parsed and checked) and signature (shape only; see
 * `verifyBundleDir` for trust).
 * @throws EdgeError E_FILE_NOT_FOUND, E_PACKAGE_INCOMPLETE, E_BUNDLE_INVALID, E_PATH_UNSAFE, E_SIGNATURE
 */
export async function openBundleDir(dir: string): Promise<BundleDir> {
  if (await lstat(join(dir, PACKAGE_INCOMPLETE_MARKER)).catch(() => undefined)) {
    throw new EdgeError('E_PACKAGE_INCOMPLETE', 'bundle directory was left half-written by an interrupted run', {
      file: dir,
      hint: 'run ringmoe-edge bundle again',
    });
  }
  const mfile = join(dir, BUNDLE_MANIFEST_FILE);
  const manifestBytes = await readBundleFile(mfile, DEFAULT_BUNDLE_LIMITS.manifestBytes).catch((err: EdgeError) => {
    if (err.code === 'E_FILE_NOT_FOUND')
      throw new EdgeError('E_FILE_NOT_FOUND', `not a bundle directory: no ${BUNDLE_MANIFEST_FILE}`, {
        file: dir,
        hint: 'make one with ringmoe-edge bundle <package> -o <dir>',
      });
    throw err;
  });
  const manifest = parseBundleManifest(manifestBytes, mfile);
  let signature: SignatureRecord | undefined;
  const sfile = join(dir, BUNDLE_SIGNATURE_FILE);
  if (await lstat(sfile).catch(() => undefined)) {
    const parsed = parseJsonBounded(
      await readBundleFile(sfile, 4096),
      { maxBytes: 4096, maxDepth: 4, maxStringLength: 4096 },
      { file: sfile, what: 'signature file', syntaxCode: 'E_SIGNATURE' },
    );
    signature = checkSignatureRecord(parsed, { file: sfile });
  }
  return {
    dir,
    manifest,
    manifestBytes,
    manifestSha256: sha256(manifestBytes),
    ...(signature ? { signature } : {}),
    blobPath: (h) => join(dir, BUNDLE_BLOB_DIR, h),
  };
}
