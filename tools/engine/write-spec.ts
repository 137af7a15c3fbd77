/**
 * Writes an engine build spec into a model package (engines/build-spec.json) and records it in the
 * package manifest (role `build-spec`), so a device builds its engines on first start
 * (sdk/runtime/engine-cache/spec-file.ts reads it there).
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { PACKAGE_MANIFEST_FILE, type FileRecord, type PackageManifest } from '../../sdk/internal.js';
import {
  BUILD_SPEC_FILE,
  BUILD_SPEC_FORMAT,
  BUILD_SPEC_FORMAT_VERSION,
  parseBuildSpec,
  type BuildSpec,
  type WrittenEngineSpec,
} from '../../sdk/internal.js';
import { readPackageManifestFile } from '../../sdk/internal.js';

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new EdgeError('E_IO', `cannot write: ${messageOf(err)}`, { file: path, cause: err });
  }
}

/** Reads a package's manifest. @throws EdgeError E_PACKAGE_MANIFEST */
export async function readManifest(packageDir: string): Promise<PackageManifest> {
  const file = join(packageDir, PACKAGE_MANIFEST_FILE);
  try {
    return (await readPackageManifestFile(file)).value as PackageManifest;
  } catch (err) {
    if (err instanceof EdgeError) throw err;
    throw new EdgeError('E_PACKAGE_MANIFEST', `cannot read the package manifest: ${messageOf(err)}`, {
      file,
      cause: err,
    });
  }
}

/**
 * Validates `engines` against the package, writes the spec and updates ringmoe.json.
 * @returns the resolved spec and the manifest record of the spec file
 * @throws EdgeError E_CONFIG (spec invalid, every issue listed), E_PACKAGE_MANIFEST, E_IO
 */
export async function writeBuildSpec(
  packageDir: string,
  engines: WrittenEngineSpec[],
): Promise<{ spec: BuildSpec; record: FileRecord }> {
  const manifest = await readManifest(packageDir);
  const written = { format: BUILD_SPEC_FORMAT, formatVersion: BUILD_SPEC_FORMAT_VERSION, engines };
  const spec = parseBuildSpec(written, join(packageDir, BUILD_SPEC_FILE), manifest);
  const text = `${JSON.stringify(spec, null, 2)}\n`;
  await writeAtomic(join(packageDir, BUILD_SPEC_FILE), text);
  const record: FileRecord = {
    sha256: createHash('sha256').update(text).digest('hex'),
    size: Buffer.byteLength(text),
    role: 'build-spec',
  };
  manifest.files[BUILD_SPEC_FILE] = record;
  await writeAtomic(join(packageDir, PACKAGE_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return { spec, record };
}
