/**
 * Opening a model package: the manifest is parsed and checked, then every file it lists is checked
 * for presence, size and (by default) sha256, so a damaged package is refused before a model runs.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, normalize, posix, resolve } from 'node:path';
import { EdgeError, messageOf } from '../core/errors.js';
import { parseJsonBounded, type JsonLimits } from '../core/json-limits.js';
import {
  PACKAGE_INCOMPLETE_MARKER,
  PACKAGE_MANIFEST_FILE,
  type EntryManifest,
  type PackageManifest,
} from './package-manifest.js';
import { checkNoLinkPath, lstatRegular, readRegular } from '../core/safe-fs.js';
import { readExternalDataLocations } from './onnx-info.js';
import { sha256, sha256File } from './hash.js';
import { checkManifest } from './manifest-check.js';

/** Limits on ringmoe.json: 16 MiB, nesting 32, strings of 64 KiB. */
export const PACKAGE_MANIFEST_LIMITS: JsonLimits = {
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 32,
  maxStringLength: 64 * 1024,
};

/**
 * Reads and parses a package manifest: a regular file (no link), within {@link PACKAGE_MANIFEST_LIMITS}.
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_JSON_TOO_LARGE, E_JSON_TOO_DEEP,
 *   E_JSON_STRING_TOO_LONG, E_PACKAGE_MANIFEST (not JSON)
 */
export async function readPackageManifestFile(manifestPath: string): Promise<{ bytes: Buffer; value: unknown }> {
  const bytes = await readRegular(manifestPath, {
    maxBytes: PACKAGE_MANIFEST_LIMITS.maxBytes,
    tooLargeCode: 'E_JSON_TOO_LARGE',
    label: PACKAGE_MANIFEST_FILE,
  });
  const value = parseJsonBounded(bytes, PACKAGE_MANIFEST_LIMITS, {
    file: manifestPath,
    what: 'package manifest',
    syntaxCode: 'E_PACKAGE_MANIFEST',
  });
  return { bytes, value };
}

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
    throw new EdgeError(
      err.code === 'ENOENT' ? 'E_FILE_NOT_FOUND' : 'E_IO',
      `not a package directory: ${messageOf(err)}`,
      { file: dir, cause: err },
    );
  });
  if (listing.includes(PACKAGE_INCOMPLETE_MARKER)) {
    throw new EdgeError(
      'E_PACKAGE_INCOMPLETE',
      'package directory was left half-written by an interrupted run; it is not a usable package',
      {
        file: dir,
        hint: 'delete it and run the command that writes it again',
      },
    );
  }
  if (!listing.includes(PACKAGE_MANIFEST_FILE)) {
    throw new EdgeError(
      listing.length > 0 ? 'E_PACKAGE_INCOMPLETE' : 'E_PACKAGE_MANIFEST',
      `no ${PACKAGE_MANIFEST_FILE} in the directory${listing.length > 0 ? ' (files without a manifest: an interrupted write?)' : ''}`,
      { file: dir },
    );
  }
  const { bytes, value } = await readPackageManifestFile(manifestPath);
  const manifest = checkManifest(value, manifestPath);
  const verify = options.verify ?? 'full';
  if (verify !== 'none') {
    const files = Object.entries(manifest.files);
    // Every file's links and size are checked at once (the lstat calls overlap in libuv's pool
    // instead of waiting on each other); the results are taken in manifest order, so the error
    // reported is the one a file-by-file walk reports. Hashing stays one file at a time.
    const checks = files.map(([rel, rec]) => settled(checkListedFile(root, rel, rec.size, manifestPath)));
    for (const [i, [rel, rec]] of files.entries()) {
      const check = await checks[i]!;
      if ('error' in check) throw check.error;
      const p = check.value;
      if (verify === 'full') {
        const h = await sha256File(p, { root, label: rel });
        if (h !== rec.sha256)
          throw new EdgeError(
            'E_PACKAGE_HASH_MISMATCH',
            `${rel} has sha256 ${h.slice(0, 16)}… but the manifest says ${rec.sha256.slice(0, 16)}… (corrupted or modified)`,
            { file: p },
          );
      }
    }
    await checkExternalDataListed(root, manifest, manifestPath);
  }
  const packageHash = sha256(bytes);
  return {
    dir: root,
    manifest,
    packageHash,
    entry(name) {
      const e = manifest.entries.find((x) => x.name === name);
      if (!e)
        throw new EdgeError(
          'E_INVALID_ARGUMENT',
          `package ${manifest.name} has no entry ${JSON.stringify(name)}; it has ${manifest.entries.map((x) => x.name).join(', ')}`,
          { field: 'entry' },
        );
      return e;
    },
    path(rel) {
      return join(root, rel);
    },
  };
}

/** A promise's outcome, never rejected (so promises awaited later raise no unhandled rejection meanwhile). */
function settled<T>(p: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/**
 * Checks that a listed file is there, reached without a link (not the file, not a directory on the
 * way such as a linked weights/), with the size the manifest records.
 * @returns the file's path
 * @throws EdgeError E_PATH_UNSAFE, E_PACKAGE_FILE_MISSING, E_PACKAGE_SIZE_MISMATCH
 */
async function checkListedFile(root: string, rel: string, size: number, manifestPath: string): Promise<string> {
  const p = await checkNoLinkPath(root, rel);
  const st = await lstatRegular(p, `${rel} (links are not allowed in packages)`);
  if (!st)
    throw new EdgeError('E_PACKAGE_FILE_MISSING', `${rel} is listed in the manifest but missing`, {
      file: manifestPath,
      field: `files["${rel}"]`,
    });
  if (st.size !== size) {
    throw new EdgeError(
      'E_PACKAGE_SIZE_MISMATCH',
      `${rel} has ${st.size} bytes but the manifest says ${size} (truncated or replaced?)`,
      { file: p },
    );
  }
  return p;
}

/**
 * Every external-data file a graph of the package names must be a file the manifest lists (and so
 * one whose size and hash were just checked): a runtime loads external data by itself, so an
 * unlisted file would run unverified.
 * @throws EdgeError E_PACKAGE_MANIFEST naming the graph and the unlisted file
 */
async function checkExternalDataListed(root: string, manifest: PackageManifest, manifestPath: string): Promise<void> {
  const graphs = [...new Set(manifest.entries.map((e) => e.graph))].filter((g) => g.toLowerCase().endsWith('.onnx'));
  for (const graph of graphs) {
    let locations: string[];
    try {
      locations = await readExternalDataLocations(join(root, graph), root);
    } catch (err) {
      // An unreadable graph is the runtime's error to report when it loads it; a link is ours.
      if (err instanceof EdgeError && err.code === 'E_PATH_UNSAFE') throw err;
      continue;
    }
    const dir = posix.dirname(graph);
    for (const loc of locations) {
      const rel = posix.normalize(posix.join(dir, normalize(loc).split('\\').join('/')));
      if (!(rel in manifest.files)) {
        throw new EdgeError(
          'E_PACKAGE_MANIFEST',
          `graph ${graph} loads external data from ${JSON.stringify(loc)}, which the manifest does not list (its hash would never be checked)`,
          {
            file: manifestPath,
            field: 'files',
            hint: 'rebuild the package so every weight file is listed',
          },
        );
      }
    }
  }
}

/** True when `dir` holds a complete package manifest (cheap check, no verification). */
export function looksLikePackage(dir: string): boolean {
  return existsSync(join(dir, PACKAGE_MANIFEST_FILE)) && !existsSync(join(dir, PACKAGE_INCOMPLETE_MARKER));
}
