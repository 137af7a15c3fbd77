/**
 * The graph part of an engine-cache key: sha256 over the ONNX file's sha256 and the sha256 of every
 * external-data file it uses, so a weights-only update (same graph file, new expert weights) still
 * invalidates the engine.
 */
import { createHash } from 'node:crypto';
import { dirname, join, posix } from 'node:path';
import { EdgeError, messageOf } from '../../core/errors.js';
import type { PackageManifest } from '../../package/package-manifest.js';
import { sha256File } from '../../package/hash.js';
import { readOnnxInfo, type OnnxInfo } from '../../package/onnx-info.js';

/** One file that feeds the graph: the ONNX itself or an external-data file. */
export interface GraphFileHash {
  /** Path relative to the package root (or to the ONNX's directory for bare graphs). */
  path: string;
  sha256: string;
}

/** Combines the ONNX hash and the external-data hashes (order-independent for the data files). */
export function combineGraphHash(onnx: GraphFileHash, externalData: readonly GraphFileHash[]): string {
  const h = createHash('sha256');
  h.update(`onnx ${onnx.sha256}\n`);
  for (const f of [...externalData].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)))
    h.update(`data ${f.path} ${f.sha256}\n`);
  return h.digest('hex');
}

/**
 * Graph hash of a package entry from its manifest: no file is read, the manifest's hashes are trusted
 * (the package verifier checks them against the files).
 * @throws EdgeError E_PACKAGE_MANIFEST when the entry or a hash is missing
 */
export function graphHashFromManifest(manifest: PackageManifest, entryName: string): string {
  const entry = manifest.entries.find((e) => e.name === entryName);
  if (!entry) {
    throw new EdgeError(
      'E_PACKAGE_MANIFEST',
      `package has no entry ${JSON.stringify(entryName)}; entries: ${manifest.entries.map((e) => e.name).join(', ')}`,
      {
        field: 'entries',
      },
    );
  }
  const record = (path: string, field: string): GraphFileHash => {
    const f = manifest.files[path];
    if (!f)
      throw new EdgeError('E_PACKAGE_MANIFEST', `${path} is used by entry ${entry.name} but not listed in files`, {
        field,
      });
    return { path, sha256: f.sha256 };
  };
  return combineGraphHash(
    record(entry.graph, `entries[${entry.name}].graph`),
    entry.weightFiles.map((w) => record(w, `entries[${entry.name}].weightFiles`)),
  );
}

/** sha256 of a regular file, streamed; links are refused (see core/safe-fs.ts). */
export { sha256File } from '../../package/hash.js';

/**
 * Graph hash of a bare ONNX file: hashes the file and every external-data file its initializers name.
 * @throws EdgeError E_FILE_NOT_FOUND, E_ONNX_PARSE, E_EXTERNAL_DATA
 */
export async function graphHashFromFiles(
  onnxPath: string,
  info?: OnnxInfo,
): Promise<{ sha256: string; files: GraphFileHash[] }> {
  const parsed = info ?? (await readOnnxInfo(onnxPath));
  const onnx: GraphFileHash = {
    path: posix.basename(onnxPath),
    sha256: createHash('sha256').update(parsed.bytes).digest('hex'),
  };
  const data: GraphFileHash[] = [];
  for (const loc of parsed.externalData) {
    if (loc.startsWith('/') || loc.split(/[\\/]/).includes('..')) {
      throw new EdgeError(
        'E_EXTERNAL_DATA',
        `external data location ${JSON.stringify(loc)} escapes the graph's directory`,
        { file: onnxPath },
      );
    }
    try {
      data.push({ path: loc, sha256: await sha256File(join(dirname(onnxPath), loc), { root: dirname(onnxPath) }) });
    } catch (err) {
      throw new EdgeError('E_EXTERNAL_DATA', `external data file ${loc} is unreadable: ${messageOf(err)}`, {
        file: onnxPath,
      });
    }
  }
  return { sha256: combineGraphHash(onnx, data), files: [onnx, ...data] };
}
