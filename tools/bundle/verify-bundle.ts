/**
 * `verify`: everything a device checks, on a bundle directory at the workstation: manifest shape
 * and limits, path safety, the signature against a trust file or public key, every blob's
 * presence, type, size and sha256, and that the bundled package manifest matches the bundle.
 */
import { lstat } from 'node:fs/promises';
import { relative } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';
import { VERSION } from '../../sdk/internal.js';
import { sha256File } from '../../sdk/internal.js';
import { checkNoLinkPath } from '../../sdk/internal.js';
import { checkBundleMatchesPackage } from '../../sdk/internal.js';
import { compareSemVer } from '../../sdk/internal.js';
import { TrustStore } from '../../sdk/internal.js';
import { checkTarget } from '../../sdk/internal.js';
import { openBundleDir, readBundleFile, type BundleDir } from './bundle-dir.js';
import { loadPublicKey } from './keys.js';
import { resolveTargetId } from './pack.js';

/** Options of {@link verifyBundleDir}: one of `trust` or `publicKey` is required. */
export interface VerifyBundleOptions {
  /** Trust file (as devices load it). */
  trust?: string;
  /** A single public key (PEM) trusted for bundles. */
  publicKey?: string;
  /** Device target the bundle must be for. */
  target?: string;
}

/** What {@link verifyBundleDir} checked. */
export interface VerifyBundleReport {
  dir: string;
  name: string;
  version: string;
  target: string;
  manifestSha256: string;
  keyId: string;
  files: number;
  blobs: number;
  totalSize: number;
  /** Notes that do not make the bundle invalid (e.g. it needs a newer SDK than this tool's). */
  warnings: string[];
}

/**
 * Verifies a bundle directory; the first problem throws.
 * @throws EdgeError E_INVALID_ARGUMENT (no trust given), E_SIGNATURE, E_UNTRUSTED_KEY,
 *   E_BUNDLE_INVALID, E_PATH_UNSAFE, E_BLOB_MISSING, E_BLOB_HASH, E_TARGET_MISMATCH, E_UNKNOWN_TARGET
 * @example
 * const report = await verifyBundleDir('out/bundle-2.0.0', { trust: 'device/trust.json' });
 */
export async function verifyBundleDir(dir: string, o: VerifyBundleOptions): Promise<VerifyBundleReport> {
  if (!o.trust && !o.publicKey)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      'verify needs --trust <trust.json> or --pub <key.pub> to check the signature against',
      { field: '--trust' },
    );
  const trust = o.trust
    ? await TrustStore.load(o.trust)
    : TrustStore.fromKeys([{ publicKey: (await loadPublicKey(o.publicKey!)).pem, roles: ['bundle'] }]);
  const b = await openBundleDir(dir);
  if (!b.signature)
    throw new EdgeError('E_SIGNATURE', 'bundle is not signed (no bundle.sig)', {
      file: dir,
      hint: 'ringmoe-edge sign <bundle> --key <key>',
    });
  const keyId = trust.verify('bundle', b.manifestBytes, b.signature, { file: `${dir}/bundle.sig` });
  if (o.target !== undefined)
    checkTarget(b.manifest.target, { fleet: '-', device: '-', target: await resolveTargetId(o.target) });
  const blobs = await checkBundleBlobs(b);
  checkBundleMatchesPackage(b.manifest, await readBundleFile(b.blobPath(b.manifest.package.manifestSha256)));
  const warnings: string[] = [];
  if (compareSemVer(b.manifest.minSdkVersion, VERSION) > 0)
    warnings.push(`needs SDK ${b.manifest.minSdkVersion}; this tool is ${VERSION}`);
  return {
    dir,
    name: b.manifest.name,
    version: b.manifest.version,
    target: b.manifest.target,
    manifestSha256: b.manifestSha256,
    keyId,
    files: b.manifest.files.length,
    blobs,
    totalSize: b.manifest.totalSize,
    warnings,
  };
}

/**
 * Checks that every blob of an opened bundle is present, a regular file, and matches its size and
 * sha256. Returns the number of distinct blobs.
 * @throws EdgeError E_BLOB_MISSING, E_PATH_UNSAFE, E_BLOB_HASH
 */
export async function checkBundleBlobs(b: BundleDir): Promise<number> {
  const seen = new Set<string>();
  for (const f of b.manifest.files) {
    if (seen.has(f.sha256)) continue;
    seen.add(f.sha256);
    const p = await checkNoLinkPath(b.dir, relative(b.dir, b.blobPath(f.sha256)), `blob for ${f.path}`);
    const st = await lstat(p).catch(() => undefined);
    if (!st) throw new EdgeError('E_BLOB_MISSING', `blob for ${f.path} is missing`, { file: p });
    if (!st.isFile())
      throw new EdgeError('E_PATH_UNSAFE', `blob for ${f.path} is not a regular file (links are refused)`, { file: p });
    if (st.size !== f.size)
      throw new EdgeError(
        'E_BLOB_HASH',
        `blob for ${f.path} has ${st.size} bytes, the manifest says ${f.size} (truncated or padded)`,
        { file: p },
      );
    if ((await sha256File(p, { root: b.dir, label: `blob for ${f.path}` })) !== f.sha256)
      throw new EdgeError('E_BLOB_HASH', `blob for ${f.path} does not match its sha256 (corrupted or tampered)`, {
        file: p,
      });
  }
  return seen.size;
}
