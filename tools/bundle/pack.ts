/**
 * `bundle`: turns a model package into a bundle directory. Planning is separate from writing:
 * {@link bundlePlan} reads and verifies the package and computes the manifest (printable with
 * `--dry-run`); {@link applyBundlePlan} writes it.
 *
 * ```
 * <bundle>/bundle.json        the manifest (written last)
 * <bundle>/bundle.sig         its signature (ringmoe-edge sign)
 * <bundle>/blobs/<sha256>     every distinct file of the package, named by content
 * ```
 */
import { createHash } from 'node:crypto';
import { link, lstat, mkdir, open, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { PACKAGE_INCOMPLETE_MARKER, PACKAGE_MANIFEST_FILE } from '../../sdk/internal.js';
import { VERSION } from '../../sdk/internal.js';
import { openPackage, readPackageManifestFile } from '../../sdk/internal.js';
import { openRegular } from '../../sdk/internal.js';
import { chunkBytesFor, chunkHashesOfFile } from '../../sdk/internal.js';
import { sha256 } from '../../sdk/internal.js';
import { checkBundleManifest, NAME_PATTERN } from '../../sdk/internal.js';
import {
  BUNDLE_BLOB_DIR,
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  BUNDLE_MANIFEST_FILE,
  type BundleFile,
  type BundleManifest,
} from '../../sdk/internal.js';
import { fsyncPath, writeFileDurable } from '../../sdk/internal.js';
import { parseSemVer } from '../../sdk/internal.js';
import { invalidOption } from '../../sdk/internal.js';
import { loadTarget } from '../../sdk/internal.js';
import { assertBuildableOn } from '../planner/lowering.js';

/** Options of {@link bundlePlan}. */
export interface BundleOptions {
  /** The (pruned, compiled) package directory. */
  packageDir: string;
  /** Semantic version of this release. */
  version: string;
  /** Device target it is built for: an id or alias of a profile in targets/, or a profile file path. */
  target: string;
  /** Bundle name (default: the package name). */
  name?: string;
  /** Lowest SDK that can run it (default: this SDK's version). */
  minSdkVersion?: string;
  notes?: string;
  /** Fixed creation time (reproducible bundles); default now. */
  createdAt?: string;
}

/** What {@link applyBundlePlan} will write. */
export interface BundlePlan {
  manifest: BundleManifest;
  /** Exact bytes of bundle.json (what is signed). */
  manifestBytes: Buffer;
  /** sha256 of {@link BundlePlan.manifestBytes}: the bundle's identity. */
  manifestSha256: string;
  packageDir: string;
  /** Distinct blobs with the package file each is copied from. */
  blobs: { sha256: string; size: number; from: string }[];
}

/**
 * Opens and fully verifies the package, then computes the bundle manifest.
 * @throws EdgeError E_INVALID_ARGUMENT (version, target, name), E_UNKNOWN_TARGET, E_TARGET_PROFILE,
 *   E_TARGET_MISMATCH (the package records another target), E_PACKAGE_* and E_PATH_UNSAFE (damaged
 *   package, links)
 * @example
 * const plan = await bundlePlan({ packageDir: 'pkg/optical', version: '2.0.0', target: 'jetson-orin-nano-8gb' });
 */
export async function bundlePlan(o: BundleOptions): Promise<BundlePlan> {
  parseSemVer(o.version, '--release');
  const minSdk = o.minSdkVersion ?? VERSION;
  parseSemVer(minSdk, '--min-sdk');
  const target = await resolveTargetId(o.target);
  const pkg = await openPackage(o.packageDir, { verify: 'full' });
  const m = pkg.manifest;
  const name = o.name ?? m.name;
  if (!NAME_PATTERN.test(name)) throw invalidOption('--name', 'a bundle name ([A-Za-z0-9._-], 1-64 characters)', name);
  const recorded = m.extensions?.target;
  if (typeof recorded === 'string' && recorded !== target) {
    throw new EdgeError('E_TARGET_MISMATCH', `package was built for target ${recorded}, not ${target}`, {
      file: o.packageDir,
      field: 'extensions.target',
    });
  }
  // A bundle the device cannot build engines from must not be signed and shipped.
  const line =
    typeof recorded === 'object' && recorded !== null
      ? ((recorded as { tensorrt?: string | null }).tensorrt ?? null)
      : null;
  await assertBuildableOn(pkg.dir, m, await loadTarget(o.target), { tensorrt: line, step: 'bundle' });
  const { bytes: manifestBytes } = await readPackageManifestFile(join(pkg.dir, PACKAGE_MANIFEST_FILE));
  if (sha256(manifestBytes) !== pkg.packageHash)
    throw new EdgeError('E_PACKAGE_HASH_MISMATCH', 'the package manifest changed while it was read', {
      file: join(pkg.dir, PACKAGE_MANIFEST_FILE),
    });
  const listed: BundleFile[] = [
    { path: PACKAGE_MANIFEST_FILE, sha256: pkg.packageHash, size: manifestBytes.length, role: 'manifest' },
    ...Object.entries(m.files)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, rec]) => ({ path, sha256: rec.sha256, size: rec.size, role: rec.role })),
  ];
  // Per-chunk hashes: devices verify each chunk received over MQTT against the signed manifest.
  const chunkBytes = chunkBytesFor(listed.reduce((s, f) => s + f.size, 0));
  const files: BundleFile[] = [];
  for (const f of listed) {
    files.push({ ...f, chunks: await chunkHashesOfFile(pkg.path(f.path), chunkBytes) });
  }
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    name,
    version: o.version,
    target,
    modalities: m.modalities.map((x) => x.id),
    tasks: [...new Set(m.entries.flatMap((e) => e.tasks))],
    entries: m.entries.map((e) => e.name),
    minSdkVersion: minSdk,
    package: { name: m.name, manifestSha256: pkg.packageHash },
    files,
    totalSize: files.reduce((s, f) => s + f.size, 0),
    chunkBytes,
    createdAt: o.createdAt ?? new Date().toISOString(),
    ...(o.notes !== undefined ? { notes: o.notes } : {}),
  };
  checkBundleManifest(manifest, BUNDLE_MANIFEST_FILE);
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  const blobs = new Map<string, { sha256: string; size: number; from: string }>();
  for (const f of files)
    if (!blobs.has(f.sha256)) blobs.set(f.sha256, { sha256: f.sha256, size: f.size, from: pkg.path(f.path) });
  return {
    manifest,
    manifestBytes: bytes,
    manifestSha256: sha256(bytes),
    packageDir: pkg.dir,
    blobs: [...blobs.values()],
  };
}

/**
 * Writes the bundle directory: blobs first, bundle.json last (atomically); the directory carries
 * `.incomplete` until then.
 * @throws EdgeError E_OUTPUT_EXISTS (unless `force`), E_IO
 */
export async function applyBundlePlan(plan: BundlePlan, outDir: string, o: { force?: boolean } = {}): Promise<void> {
  const existing = await readdir(outDir).catch(() => undefined);
  if (existing && existing.length) {
    if (!o.force)
      throw new EdgeError('E_OUTPUT_EXISTS', 'bundle directory exists and is not empty', {
        file: outDir,
        hint: 'choose another -o, or pass --force',
      });
    await rm(outDir, { recursive: true, force: true });
  }
  try {
    await mkdir(join(outDir, BUNDLE_BLOB_DIR), { recursive: true });
    await writeFile(join(outDir, PACKAGE_INCOMPLETE_MARKER), 'written by ringmoe-edge bundle; removed when complete\n');
    for (const b of plan.blobs) await placeBlob(plan.packageDir, b, join(outDir, BUNDLE_BLOB_DIR, b.sha256));
    fsyncPath(join(outDir, BUNDLE_BLOB_DIR));
    await writeFileDurable(join(outDir, BUNDLE_MANIFEST_FILE), plan.manifestBytes);
    await rm(join(outDir, PACKAGE_INCOMPLETE_MARKER));
    fsyncPath(outDir);
  } catch (err) {
    if (err instanceof EdgeError) throw err;
    throw new EdgeError('E_IO', `writing the bundle failed: ${messageOf(err)}`, { file: outDir, cause: err });
  }
}

/**
 * Puts one blob into the bundle. The package file is opened without following links (none in its
 * path below the package either) and hashed again: what was verified at planning time may have been
 * swapped since. A hard link is kept only when it is the very file that was opened and checked;
 * otherwise the bytes are copied from that open file.
 * @throws EdgeError E_PATH_UNSAFE (a link), E_PACKAGE_HASH_MISMATCH (changed since planning), E_IO
 */
async function placeBlob(
  packageDir: string,
  b: { sha256: string; size: number; from: string },
  dest: string,
): Promise<void> {
  const label = relative(packageDir, b.from);
  const src = await openRegular(b.from, { root: packageDir, label });
  try {
    const srcStat = await src.stat();
    const linked = await link(b.from, dest).then(
      async () => {
        const st = await lstat(dest);
        if (st.isFile() && st.ino === srcStat.ino && st.dev === srcStat.dev) return true;
        await rm(dest, { force: true });
        return false;
      },
      () => false,
    );
    const out = linked ? undefined : await open(dest, 'wx');
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    let size = 0;
    try {
      for (;;) {
        const { bytesRead } = await src.read(buf, 0, buf.length, size);
        if (bytesRead === 0) break;
        hash.update(buf.subarray(0, bytesRead));
        if (out) await out.write(buf, 0, bytesRead, size);
        size += bytesRead;
      }
      if (out) await out.sync();
    } finally {
      await out?.close();
    }
    if (size !== b.size || hash.digest('hex') !== b.sha256) {
      await rm(dest, { force: true });
      throw new EdgeError('E_PACKAGE_HASH_MISMATCH', `${label} changed after the bundle was planned`, { file: b.from });
    }
  } finally {
    await src.close().catch(() => undefined);
  }
}

/**
 * The canonical id of a target given as an id, an alias or a profile path (targets/ profiles).
 * @throws EdgeError E_INVALID_ARGUMENT, E_UNKNOWN_TARGET (naming the closest known one), E_TARGET_PROFILE
 */
export async function resolveTargetId(target: string): Promise<string> {
  const pathLike = typeof target === 'string' && (target.includes('/') || target.endsWith('.json'));
  if (typeof target !== 'string' || (!pathLike && !NAME_PATTERN.test(target)))
    throw invalidOption('--target', 'a target id, alias or profile path', target);
  const profile = await loadTarget(target);
  if (!NAME_PATTERN.test(profile.id))
    throw new EdgeError(
      'E_TARGET_PROFILE',
      `target id ${JSON.stringify(profile.id)} cannot name a bundle target ([A-Za-z0-9._-], 1-64 characters)`,
      { file: profile.file, field: 'id' },
    );
  return profile.id;
}
