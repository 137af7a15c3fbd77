/**
 * Writes a model package directory. The directory carries a `.incomplete` marker from the first
 * byte until the manifest is in place, and the manifest (with every file's sha256 and size) is
 * written last, atomically: an interrupted run can never be mistaken for a good package. Files
 * written through the writer (graphs, JSON, weight files, hashed copies) are hashed as they are
 * written; only files that reached the directory by other means are read back to be hashed.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import {
  PACKAGE_FORMAT,
  PACKAGE_FORMAT_VERSION,
  PACKAGE_INCOMPLETE_MARKER,
  PACKAGE_MANIFEST_FILE,
  type FileDigest,
  type FileRecord,
  type FileRole,
  type PackageManifest,
} from '../../sdk/internal.js';
import { sha256, sha256File } from '../../sdk/internal.js';
import { toBinary, ModelProtoSchema, type ModelProto } from '../onnx/proto.js';
import { WeightStore } from './weight-store.js';

export interface PackageWriterOptions {
  /** Replace an existing directory (default: refuse with E_OUTPUT_EXISTS). */
  force?: boolean;
}

/** The manifest minus what the writer fills in. */
export type ManifestDraft = Omit<PackageManifest, 'format' | 'formatVersion' | 'files'>;

/** Role of a file from its path. */
export function roleOf(path: string): FileRole {
  if (path.endsWith('.onnx')) return 'graph';
  if (path.startsWith('weights/')) return 'weights';
  if (path.startsWith('reports/')) return 'report';
  if (path.startsWith('engines/') && path.endsWith('.plan')) return 'engine';
  if (path.startsWith('build/') && path.endsWith('.json')) return 'build-spec';
  if (path.endsWith('.calib') || path.endsWith('.cache')) return 'calibration';
  if (path.endsWith('.timing')) return 'timing-cache';
  return 'other';
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(root, p)));
    else if (e.isFile()) out.push(relative(root, p).split(sep).join('/'));
    else
      throw new EdgeError(
        'E_PATH_UNSAFE',
        `package directories hold only files and folders; ${relative(root, p)} is neither`,
        { file: p },
      );
  }
  return out.sort();
}

/**
 * sha256 and size of every file of a package directory but the manifest and the marker.
 * @param written digests of files hashed while they were written; one is used only while the file
 *   on disk still has its size (a file changed since is hashed from disk)
 */
export async function hashPackageFiles(
  root: string,
  roles: Record<string, FileRole> = {},
  written: ReadonlyMap<string, FileDigest> = new Map(),
): Promise<Record<string, FileRecord>> {
  const files: Record<string, FileRecord> = {};
  for (const rel of await listFiles(root)) {
    if (rel === PACKAGE_MANIFEST_FILE || rel === PACKAGE_INCOMPLETE_MARKER) continue;
    const p = join(root, rel);
    const size = (await stat(p)).size;
    const known = written.get(rel);
    const hash = known && known.size === size ? known.sha256 : await sha256File(p);
    files[rel] = { sha256: hash, size, role: roles[rel] ?? roleOf(rel) };
  }
  return files;
}

export class PackageWriter {
  readonly weights: WeightStore;
  private readonly roles: Record<string, FileRole> = {};
  /** Digests of the files written (or copied) through the writer, from the bytes written. */
  private readonly written = new Map<string, FileDigest>();

  private constructor(readonly dir: string) {
    this.weights = new WeightStore(dir);
  }

  /**
   * Creates (or with `force` replaces) `dir` and marks it incomplete.
   * @throws EdgeError E_OUTPUT_EXISTS when `dir` exists, is not empty and `force` is not set
   */
  static async create(dir: string, options: PackageWriterOptions = {}): Promise<PackageWriter> {
    const existing = await readdir(dir).catch(() => undefined);
    if (existing && existing.length > 0) {
      if (!options.force) {
        throw new EdgeError('E_OUTPUT_EXISTS', 'output directory exists and is not empty', {
          file: dir,
          hint: 'choose another -o, or pass --force to replace it',
        });
      }
      await rm(dir, { recursive: true, force: true });
    }
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, PACKAGE_INCOMPLETE_MARKER),
      `written by ringmoe-edge; removed when the package is complete\n`,
    );
    return new PackageWriter(dir);
  }

  /** Writes an ONNX graph (whose initializers reference this package's weight files). */
  async writeGraph(rel: string, model: ModelProto): Promise<number> {
    const bytes = toBinary(ModelProtoSchema, model);
    await writeFile(join(this.dir, rel), bytes);
    this.roles[rel] = 'graph';
    this.written.set(rel, { sha256: sha256(bytes), size: bytes.length });
    return bytes.length;
  }

  /** Writes a JSON file (pretty, stable key order as given). */
  async writeJson(rel: string, value: unknown, role: FileRole): Promise<void> {
    const p = join(this.dir, rel);
    await mkdir(join(p, '..'), { recursive: true });
    const bytes = Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
    await writeFile(p, bytes);
    this.roles[rel] = role;
    this.written.set(rel, { sha256: sha256(bytes), size: bytes.length });
  }

  /** Registers a file written by other means (e.g. a streamed copy) under a role; finalize hashes it from disk. */
  setRole(rel: string, role: FileRole): void {
    this.roles[rel] = role;
  }

  /**
   * Registers a file written by other means with the digest of the bytes that were written (e.g.
   * from copyRegularHashed), so finalize need not read it back.
   */
  addWritten(rel: string, role: FileRole, digest: FileDigest): void {
    this.roles[rel] = role;
    this.written.set(rel, { sha256: digest.sha256, size: digest.size });
  }

  /**
   * Closes the weight files, hashes every file, writes ringmoe.json atomically, syncs and removes
   * the marker. Returns the final manifest.
   */
  async finalize(draft: ManifestDraft): Promise<PackageManifest> {
    try {
      this.weights.close();
      const written = new Map([...this.written, ...this.weights.writtenFiles()]);
      const files = await hashPackageFiles(this.dir, this.roles, written);
      const manifest: PackageManifest = {
        format: PACKAGE_FORMAT,
        formatVersion: PACKAGE_FORMAT_VERSION,
        ...draft,
        files,
      };
      const tmp = join(this.dir, `${PACKAGE_MANIFEST_FILE}.tmp`);
      await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
      syncPath(tmp);
      await rename(tmp, join(this.dir, PACKAGE_MANIFEST_FILE));
      syncPath(this.dir);
      await rm(join(this.dir, PACKAGE_INCOMPLETE_MARKER));
      syncPath(this.dir);
      return manifest;
    } catch (err) {
      if (err instanceof EdgeError) throw err;
      throw new EdgeError('E_IO', `finishing the package failed: ${messageOf(err)}`, { file: this.dir, cause: err });
    }
  }

  /** Abandons the package: closes files and leaves the marker (the directory stays recognisably incomplete). */
  abort(): void {
    try {
      this.weights.close();
    } catch {
      // closing after a failed write can fail again; the marker already says what matters
    }
  }
}

/** fsync a file or directory by path. */
export function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
