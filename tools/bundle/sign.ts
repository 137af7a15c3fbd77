/**
 * `sign`: writes bundle.sig, the Ed25519 signature of bundle.json's exact bytes.
 */
import { join } from 'node:path';
import { BUNDLE_SIGNATURE_FILE } from '../../sdk/internal.js';
import { writeFileDurable } from '../../sdk/internal.js';
import { signDocument, type SignatureRecord } from '../../sdk/internal.js';
import { openBundleDir } from './bundle-dir.js';
import { loadPrivateKey } from './keys.js';

/**
 * Signs the bundle in `dir` with the private key at `keyPath` (replacing any signature).
 * @throws EdgeError E_FILE_NOT_FOUND, E_BUNDLE_INVALID, E_SIGNATURE
 * @example
 * const sig = await signBundleDir('out/bundle-2.0.0', 'keys/release.key');
 */
export async function signBundleDir(
  dir: string,
  keyPath: string,
): Promise<SignatureRecord & { manifestSha256: string }> {
  const bundle = await openBundleDir(dir);
  const key = await loadPrivateKey(keyPath);
  const sig = signDocument('bundle', bundle.manifestBytes, key);
  await writeFileDurable(join(dir, BUNDLE_SIGNATURE_FILE), `${JSON.stringify(sig, null, 2)}\n`);
  return { ...sig, manifestSha256: bundle.manifestSha256 };
}
