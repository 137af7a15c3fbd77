/**
 * Structural validation of a parsed ringmoe.json: every problem is collected and reported at once,
 * each with the field it is in.
 */
import { EdgeError } from '../core/errors.js';
import { PACKAGE_FORMAT, PACKAGE_FORMAT_VERSION, type PackageManifest } from './package-manifest.js';
import { isModalityIdSyntax } from '../core/modalities.js';
import { preprocessingProblems } from './preprocessing-check.js';

const HEX64 = /^[0-9a-f]{64}$/;

/** True when `p` is a relative POSIX path that stays inside its root (no '..', no absolute, no backslash). */
export function isSafeRelativePath(p: unknown): p is string {
  if (typeof p !== 'string' || p.length === 0 || p.length > 1024) return false;
  if (p.startsWith('/') || p.includes('\\') || p.includes('\0') || /^[a-zA-Z]:/.test(p)) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/**
 * Checks the shape of a manifest.
 * @throws EdgeError E_PACKAGE_MANIFEST (or E_PATH_UNSAFE for a path escaping the package) listing every problem
 */
export function checkManifest(m: unknown, file: string): PackageManifest {
  const problems: string[] = [];
  let unsafe = false;
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!obj(m)) throw new EdgeError('E_PACKAGE_MANIFEST', 'manifest is not a JSON object', { file });
  if (m.format !== PACKAGE_FORMAT)
    problems.push(`format must be ${JSON.stringify(PACKAGE_FORMAT)} (got ${JSON.stringify(m.format)})`);
  if (m.formatVersion !== PACKAGE_FORMAT_VERSION) {
    problems.push(
      `formatVersion ${JSON.stringify(m.formatVersion)} is not supported by this SDK (it reads version ${PACKAGE_FORMAT_VERSION})`,
    );
  }
  if (typeof m.name !== 'string' || !m.name) problems.push('name must be a non-empty string');
  if (m.kind !== 'ringmoe' && m.kind !== 'imported' && m.kind !== 'rsmoe')
    problems.push(`kind must be "ringmoe", "imported" or "rsmoe" (got ${JSON.stringify(m.kind)})`);
  // The first field-specific problem names the error's field.
  let field: string | undefined;
  if (!obj(m.model)) problems.push('model must be an object');
  else if (!obj(m.model.params)) problems.push('model.params must be an object');
  const files = obj(m.files) ? m.files : undefined;
  if (!files) problems.push('files must be an object mapping paths to {sha256, size, role}');
  else {
    for (const [p, rec] of Object.entries(files)) {
      if (!isSafeRelativePath(p)) {
        unsafe = true;
        problems.push(`files[${JSON.stringify(p)}]: path must be relative and stay inside the package`);
      }
      if (!obj(rec)) {
        problems.push(`files[${JSON.stringify(p)}] must be an object`);
        continue;
      }
      if (typeof rec.sha256 !== 'string' || !HEX64.test(rec.sha256))
        problems.push(`files[${JSON.stringify(p)}].sha256 must be 64 lowercase hex digits`);
      if (!Number.isSafeInteger(rec.size) || (rec.size as number) < 0)
        problems.push(`files[${JSON.stringify(p)}].size must be a non-negative integer`);
    }
  }
  if (!Array.isArray(m.modalities)) problems.push('modalities must be an array');
  else
    m.modalities.forEach((x, i) => {
      if (!obj(x) || !isModalityIdSyntax(x.id) || !Number.isInteger(x.channels) || (x.channels as number) < 1)
        problems.push(`modalities[${i}] must be {id, channels>0}`);
    });
  if (!Array.isArray(m.entries) || m.entries.length === 0) problems.push('entries must be a non-empty array');
  else {
    const names = new Set<string>();
    m.entries.forEach((e, i) => {
      if (!obj(e)) return problems.push(`entries[${i}] must be an object`);
      if (typeof e.name !== 'string' || !e.name) problems.push(`entries[${i}].name must be a non-empty string`);
      else if (names.has(e.name)) problems.push(`entries[${i}].name ${e.name} is used twice`);
      else names.add(e.name);
      if (!isSafeRelativePath(e.graph)) {
        unsafe = unsafe || typeof e.graph === 'string';
        problems.push(`entries[${i}].graph must be a relative path inside the package`);
      } else if (files && !(e.graph in files)) problems.push(`entries[${i}].graph ${e.graph} is not listed in files`);
      if (!Array.isArray(e.inputs) || e.inputs.length === 0)
        problems.push(`entries[${i}].inputs must be a non-empty array`);
      if (!Array.isArray(e.outputs) || e.outputs.length === 0)
        problems.push(`entries[${i}].outputs must be a non-empty array`);
      if (!Array.isArray(e.weightFiles)) problems.push(`entries[${i}].weightFiles must be an array`);
      else
        e.weightFiles.forEach((w, j) => {
          if (!isSafeRelativePath(w)) {
            unsafe = true;
            problems.push(`entries[${i}].weightFiles[${j}] must be a relative path inside the package`);
          } else if (files && !(w in files))
            problems.push(`entries[${i}].weightFiles[${j}] ${w} is not listed in files`);
        });
    });
  }
  if (!Array.isArray(m.lineage)) problems.push('lineage must be an array');
  if (obj(m.model)) {
    const ids = Array.isArray(m.modalities) ? m.modalities.map((x) => (obj(x) ? String(x.id) : '')) : [];
    for (const p of preprocessingProblems(m.model.preprocessing, ids)) {
      field ??= p.field;
      problems.push(p.message);
    }
  }
  if (problems.length) {
    const more = problems.length > 8 ? `; and ${problems.length - 8} more` : '';
    throw new EdgeError(
      unsafe ? 'E_PATH_UNSAFE' : 'E_PACKAGE_MANIFEST',
      `invalid manifest: ${problems.slice(0, 8).join('; ')}${more}`,
      { file, ...(field && !unsafe ? { field } : {}) },
    );
  }
  return m as unknown as PackageManifest;
}
