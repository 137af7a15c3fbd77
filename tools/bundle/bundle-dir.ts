/**
 * Reading a bundle directory (what `bundle` wrote): manifest bytes, signature, and blob paths —
 * refusing links and anything but regular files, so a bundle on removable media cannot point
 * outside itself.
 */
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgeError, messageOf } from '../../sdk/core/errors.js';
import { PACKAGE_INCOMPLETE_MARKER } from '../../sdk/core/package-manifest.js';
import { sha256 } from '../../sdk/package/hash.js';
import { parseBundleManifest } from '../../sdk/ota/bundle-check.js';
import { BUNDLE_BLOB_DIR, BUNDLE_MANIFEST_FILE, BUNDLE_SIGNATURE_FILE, DEFAULT_BUNDLE_LIMITS, type BundleManifest } from '../../sdk/ota/bundle-manifest.js';
import { checkSignatureRecord, type SignatureRecord } from '../../sdk/ota/signature.js';

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
 * Reads a regular file of a bundle, refusing links.
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE
 */
export async function readBundleFile(path: string, maxBytes = Infinity): Promise<Buffer> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) throw new EdgeError('E_FILE_NOT_FOUND', 'no such file in the bundle', { file: path });
  if (!st.isFile()) throw new EdgeError('E_PATH_UNSAFE', 'bundle files must be regular files (links are refused)', { file: path });
  if (st.size > maxBytes) throw new EdgeError('E_BUNDLE_INVALID', `file is ${st.size} bytes; the limit is ${maxBytes}`, { file: path });
  return readFile(path);
}

/**
 * Opens a bundle directory: manifest (parsed and checked) and signature (shape only; see
 * `verifyBundleDir` for trust).
 * @throws EdgeError E_FILE_NOT_FOUND, E_PACKAGE_INCOMPLETE, E_BUNDLE_INVALID, E_PATH_UNSAFE, E_SIGNATURE
 */
export async function openBundleDir(dir: string): Promise<BundleDir> {
  if (await lstat(join(dir, PACKAGE_INCOMPLETE_MARKER)).catch(() => undefined)) {
    throw new EdgeError('E_PACKAGE_INCOMPLETE', 'bundle directory was left half-written by an interrupted run', { file: dir, hint: 'run ringmoe-edge bundle again' });
  }
  const mfile = join(dir, BUNDLE_MANIFEST_FILE);
  const manifestBytes = await readBundleFile(mfile, DEFAULT_BUNDLE_LIMITS.manifestBytes).catch((err: EdgeError) => {
    if (err.code === 'E_FILE_NOT_FOUND') throw new EdgeError('E_FILE_NOT_FOUND', `not a bundle directory: no ${BUNDLE_MANIFEST_FILE}`, { file: dir, hint: 'make one with ringmoe-edge bundle <package> -o <dir>' });
    throw err;
  });
  const manifest = parseBundleManifest(manifestBytes, mfile);
  let signature: SignatureRecord | undefined;
  const sfile = join(dir, BUNDLE_SIGNATURE_FILE);
  if (await lstat(sfile).catch(() => undefined)) {
    const text = (await readBundleFile(sfile, 4096)).toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new EdgeError('E_SIGNATURE', `signature file is not JSON: ${messageOf(err)}`, { file: sfile });
    }
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
