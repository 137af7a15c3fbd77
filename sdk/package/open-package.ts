/**
 * Opening a model package: the manifest is parsed and checked, then every file it lists is checked
 * for presence, size and (by default) sha256, so a damaged package is refused before a model runs.
 */
import { existsSync } from 'node:fs';
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EdgeError, messageOf } from '../core/errors.js';
import { PACKAGE_INCOMPLETE_MARKER, PACKAGE_MANIFEST_FILE, type EntryManifest, type PackageManifest } from '../core/package-manifest.js';
import { sha256, sha256File } from './hash.js';
import { checkManifest } from './manifest-check.js';

export interface OpenPackageOptions {
  /** `full` (default) hashes every file; `size` checks presence and sizes only; `none` trusts the manifest. */
  verify?: 'full' | 'size' | 'none';
}

/** An opened, verified package. */
export interface ModelPackage {
  /** Absolute package directory. */
  readonly dir: string;
  readonly manifest: PackageManifest;
  /** sha256 of ringmoe.json's bytes: the package's identity (lineage, statistics, caches refer to it). */
  readonly packageHash: string;
  /** The entry named `name`. @throws EdgeError E_INVALID_ARGUMENT listing the entries */
  entry(name: string): EntryManifest;
  /** Absolute path of a package file. */
  path(rel: string): string;
}

/**
 * Opens and verifies the package in `dir`.
 * @throws EdgeError E_FILE_NOT_FOUND, E_PACKAGE_INCOMPLETE, E_PACKAGE_MANIFEST, E_PATH_UNSAFE,
 *   E_PACKAGE_FILE_MISSING, E_PACKAGE_SIZE_MISMATCH, E_PACKAGE_HASH_MISMATCH
 */
export async function openPackage(dir: string, options: OpenPackageOptions = {}): Promise<ModelPackage> {
  const root = resolve(dir);
  const manifestPath = join(root, PACKAGE_MANIFEST_FILE);
  const listing = await readdir(root).catch((err: NodeJS.ErrnoException) => {
    throw new EdgeError(err.code === 'ENOENT' ? 'E_FILE_NOT_FOUND' : 'E_IO', `not a package directory: ${messageOf(err)}`, { file: dir, cause: err });
  });
  if (listing.includes(PACKAGE_INCOMPLETE_MARKER)) {
    throw new EdgeError('E_PACKAGE_INCOMPLETE', 'package directory was left half-written by an interrupted run; it is not a usable package', {
      file: dir,
      hint: 'delete it and run the command that writes it again',
    });
  }
  if (!listing.includes(PACKAGE_MANIFEST_FILE)) {
    throw new EdgeError(listing.length > 0 ? 'E_PACKAGE_INCOMPLETE' : 'E_PACKAGE_MANIFEST', `no ${PACKAGE_MANIFEST_FILE} in the directory${listing.length > 0 ? ' (files without a manifest: an interrupted write?)' : ''}`, { file: dir });
  }
  const bytes = await readFile(manifestPath);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new EdgeError('E_PACKAGE_MANIFEST', `manifest is not valid JSON: ${messageOf(err)}`, { file: manifestPath, cause: err });
  }
  const manifest = checkManifest(parsed, manifestPath);
  const verify = options.verify ?? 'full';
  if (verify !== 'none') {
    for (const [rel, rec] of Object.entries(manifest.files)) {
      const p = join(root, rel);
      const st = await lstat(p).catch(() => undefined);
      if (!st) throw new EdgeError('E_PACKAGE_FILE_MISSING', `${rel} is listed in the manifest but missing`, { file: manifestPath, field: `files["${rel}"]` });
      if (!st.isFile()) throw new EdgeError('E_PATH_UNSAFE', `${rel} is not a regular file (links are not allowed in packages)`, { file: p });
      if (st.size !== rec.size) {
        throw new EdgeError('E_PACKAGE_SIZE_MISMATCH', `${rel} has ${st.size} bytes but the manifest says ${rec.size} (truncated or replaced?)`, { file: p });
      }
      if (verify === 'full') {
        const h = await sha256File(p);
        if (h !== rec.sha256) throw new EdgeError('E_PACKAGE_HASH_MISMATCH', `${rel} has sha256 ${h.slice(0, 16)}… but the manifest says ${rec.sha256.slice(0, 16)}… (corrupted or modified)`, { file: p });
      }
    }
  }
  const packageHash = sha256(bytes);
  return {
    dir: root,
    manifest,
    packageHash,
    entry(name) {
      const e = manifest.entries.find((x) => x.name === name);
      if (!e) throw new EdgeError('E_INVALID_ARGUMENT', `package ${manifest.name} has no entry ${JSON.stringify(name)}; it has ${manifest.entries.map((x) => x.name).join(', ')}`, { field: 'entry' });
      return e;
    },
    path(rel) {
      return join(root, rel);
    },
  };
}

/** True when `dir` holds a complete package manifest (cheap check, no verification). */
export function looksLikePackage(dir: string): boolean {
  return existsSync(join(dir, PACKAGE_MANIFEST_FILE)) && !existsSync(join(dir, PACKAGE_INCOMPLETE_MARKER));
}
