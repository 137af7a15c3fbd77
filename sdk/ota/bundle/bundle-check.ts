/**
 * Structural checks of a bundle manifest, before any of its content is trusted or fetched:
 * size limits, JSON shape, semantic versions, path safety (no absolute paths, no `..`, no
 * backslashes), unique paths (also when case is folded, and no file that is also a folder).
 */
import { EdgeError } from '../../core/errors.js';
import { isModalityIdSyntax, TASKS } from '../../core/modalities.js';
import { PACKAGE_MANIFEST_FILE } from '../../package/package-manifest.js';
import { isSafeRelativePath } from '../../package/manifest-check.js';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  DEFAULT_BUNDLE_LIMITS,
  type BundleLimits,
  type BundleManifest,
} from './bundle-manifest.js';
import { chunkCount, MAX_HASH_CHUNK_BYTES, MIN_HASH_CHUNK_BYTES } from './chunk-hashes.js';
import { isSemVer } from './semver.js';
import { parseJsonBounded } from '../../core/json-limits.js';

const HEX64 = /^[0-9a-f]{64}$/;
/** Bundle names and target ids: one safe file-name-like word. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ROLES = new Set([
  'graph',
  'weights',
  'report',
  'engine',
  'build-spec',
  'calibration',
  'timing-cache',
  'labels',
  'other',
  'manifest',
]);

/**
 * Parses and checks manifest bytes.
 * @param file name used in error messages
 * @throws EdgeError E_BUNDLE_INVALID (too large, not JSON, wrong shape, duplicate or conflicting
 *   paths, limits), E_PATH_UNSAFE (a path that could leave the package directory)
 * @example
 * const manifest = parseBundleManifest(await readFile('bundle/bundle.json'), 'bundle/bundle.json');
 */
export function parseBundleManifest(
  bytes: Uint8Array,
  file = 'bundle.json',
  limits: BundleLimits = DEFAULT_BUNDLE_LIMITS,
): BundleManifest {
  if (bytes.length > limits.manifestBytes) {
    throw new EdgeError(
      'E_BUNDLE_INVALID',
      `bundle manifest is ${bytes.length} bytes; the limit is ${limits.manifestBytes}`,
      { file },
    );
  }
  const value = parseJsonBounded(
    bytes,
    { maxBytes: limits.manifestBytes, maxDepth: 16, maxStringLength: 64 * 1024 },
    { file, what: 'bundle manifest', syntaxCode: 'E_BUNDLE_INVALID' },
  );
  return checkBundleManifest(value, file, limits);
}

/**
 * Checks a parsed manifest; all shape problems are reported at once, path problems first.
 * @throws EdgeError E_BUNDLE_INVALID, E_PATH_UNSAFE
 */
export function checkBundleManifest(
  m: unknown,
  file = 'bundle.json',
  limits: BundleLimits = DEFAULT_BUNDLE_LIMITS,
): BundleManifest {
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!obj(m)) throw new EdgeError('E_BUNDLE_INVALID', 'bundle manifest is not a JSON object', { file });
  const problems: string[] = [];
  if (m.format !== BUNDLE_FORMAT) problems.push(`format must be "${BUNDLE_FORMAT}" (got ${JSON.stringify(m.format)})`);
  if (m.formatVersion !== BUNDLE_FORMAT_VERSION)
    problems.push(
      `formatVersion ${JSON.stringify(m.formatVersion)} is not supported (this SDK reads ${BUNDLE_FORMAT_VERSION})`,
    );
  if (typeof m.name !== 'string' || !NAME_PATTERN.test(m.name))
    problems.push('name must be 1-64 characters from [A-Za-z0-9._-]');
  if (!isSemVer(m.version)) problems.push(`version ${JSON.stringify(m.version)} is not a semantic version`);
  if (!isSemVer(m.minSdkVersion))
    problems.push(`minSdkVersion ${JSON.stringify(m.minSdkVersion)} is not a semantic version`);
  if (typeof m.target !== 'string' || !NAME_PATTERN.test(m.target)) problems.push('target must be a target id');
  const stringList = (key: string, ok: (s: unknown) => boolean) => {
    const v = m[key];
    if (!Array.isArray(v) || v.length > 256 || !v.every(ok) || new Set(v).size !== v.length)
      problems.push(`${key} must be a list of distinct valid ids`);
  };
  stringList('modalities', isModalityIdSyntax);
  stringList('tasks', (t) => (TASKS as readonly unknown[]).includes(t));
  stringList('entries', (e) => typeof e === 'string' && NAME_PATTERN.test(e));
  if (
    !obj(m.package) ||
    typeof m.package.name !== 'string' ||
    !m.package.name ||
    typeof m.package.manifestSha256 !== 'string' ||
    !HEX64.test(m.package.manifestSha256)
  ) {
    problems.push('package must be {name, manifestSha256}');
  }
  if (typeof m.createdAt !== 'string' || Number.isNaN(Date.parse(m.createdAt)))
    problems.push('createdAt must be an ISO-8601 time');
  if (m.notes !== undefined && (typeof m.notes !== 'string' || m.notes.length > 4096))
    problems.push('notes must be a string of at most 4096 characters');
  if (!Array.isArray(m.files) || m.files.length === 0) {
    problems.push('files must be a non-empty list');
  } else {
    checkFiles(m.files, m, file, limits, problems);
  }
  if (problems.length) {
    const more = problems.length > 8 ? `; and ${problems.length - 8} more` : '';
    throw new EdgeError('E_BUNDLE_INVALID', `invalid bundle manifest: ${problems.slice(0, 8).join('; ')}${more}`, {
      file,
    });
  }
  return m as unknown as BundleManifest;
}

const CHUNK_HEX = /^[0-9a-f]{32}$/;

function checkFiles(
  files: unknown[],
  m: Record<string, unknown>,
  file: string,
  limits: BundleLimits,
  problems: string[],
): void {
  if (files.length > limits.files)
    throw new EdgeError('E_BUNDLE_INVALID', `bundle lists ${files.length} files; the limit is ${limits.files}`, {
      file,
      field: 'files',
    });
  // Path safety first: an unsafe path is an attack, not a typo, and gets its own code.
  files.forEach((f, i) => {
    const p = (f as { path?: unknown } | null)?.path;
    if (typeof p === 'string' && p.length > limits.pathLength) {
      throw new EdgeError('E_BUNDLE_INVALID', `path is ${p.length} characters; the limit is ${limits.pathLength}`, {
        file,
        field: `files[${i}].path`,
      });
    }
    if (!isSafeRelativePath(p) || /[\u0000-\u001f]/.test(p)) {
      throw new EdgeError(
        'E_PATH_UNSAFE',
        `path ${JSON.stringify(p)} is not a relative path inside the package (absolute paths, '..', '.', empty segments, backslashes and control characters are refused)`,
        { file, field: `files[${i}].path` },
      );
    }
  });
  const exact = new Set<string>();
  const folded = new Map<string, string>();
  let total = 0;
  files.forEach((f, i) => {
    const r = f as Record<string, unknown>;
    const p = r.path as string;
    if (exact.has(p))
      throw new EdgeError('E_BUNDLE_INVALID', `path ${p} is listed twice`, { file, field: `files[${i}].path` });
    const lower = p.toLowerCase();
    const clash = folded.get(lower);
    if (clash !== undefined)
      throw new EdgeError(
        'E_BUNDLE_INVALID',
        `paths ${clash} and ${p} differ only in case (they would collide on case-insensitive storage)`,
        { file, field: `files[${i}].path` },
      );
    exact.add(p);
    folded.set(lower, p);
    if (typeof r.sha256 !== 'string' || !HEX64.test(r.sha256))
      problems.push(`files[${i}].sha256 must be 64 lowercase hex digits`);
    if (!Number.isSafeInteger(r.size) || (r.size as number) < 0)
      problems.push(`files[${i}].size must be a non-negative integer`);
    else total += r.size as number;
    if (!ROLES.has(r.role as string)) problems.push(`files[${i}].role ${JSON.stringify(r.role)} is not a known role`);
    const cb = m.chunkBytes as number | undefined;
    if (r.chunks !== undefined) {
      const want = cb !== undefined && Number.isSafeInteger(r.size) ? chunkCount(r.size as number, cb) : -1;
      if (
        !Array.isArray(r.chunks) ||
        r.chunks.length !== want ||
        !r.chunks.every((h) => typeof h === 'string' && CHUNK_HEX.test(h))
      ) {
        problems.push(
          `files[${i}].chunks must list ${want < 0 ? 'its' : want} chunk hashes (32 lowercase hex digits each) of chunkBytes each`,
        );
      }
    }
  });
  if (m.chunkBytes !== undefined) {
    const cb = m.chunkBytes as number;
    if (!Number.isSafeInteger(cb) || cb < MIN_HASH_CHUNK_BYTES || cb > MAX_HASH_CHUNK_BYTES || (cb & (cb - 1)) !== 0) {
      problems.push(`chunkBytes must be a power of two from ${MIN_HASH_CHUNK_BYTES} to ${MAX_HASH_CHUNK_BYTES}`);
    }
  }
  for (const p of exact) {
    const parts = p.split('/');
    for (let k = 1; k < parts.length; k++) {
      const prefix = parts.slice(0, k).join('/');
      if (exact.has(prefix))
        throw new EdgeError('E_BUNDLE_INVALID', `${prefix} is listed as a file and also as the folder of ${p}`, {
          file,
          field: 'files',
        });
    }
  }
  if (total > limits.totalBytes)
    throw new EdgeError(
      'E_BUNDLE_INVALID',
      `bundle holds ${total} bytes; this device accepts at most ${limits.totalBytes}`,
      { file, field: 'files' },
    );
  if (m.totalSize !== total)
    problems.push(`totalSize ${JSON.stringify(m.totalSize)} is not the sum of the file sizes (${total})`);
  const manifestFile = (files as Record<string, unknown>[]).find((f) => f.path === PACKAGE_MANIFEST_FILE);
  const pkg = m.package as { manifestSha256?: unknown } | undefined;
  if (!manifestFile) problems.push(`files must include the package manifest ${PACKAGE_MANIFEST_FILE}`);
  else if (pkg && manifestFile.sha256 !== pkg.manifestSha256)
    problems.push(`package.manifestSha256 is not the sha256 listed for ${PACKAGE_MANIFEST_FILE}`);
}
