/**
 * A bundle and the package it carries must agree: the package manifest (ringmoe.json, one of the
 * bundle's files) lists exactly the bundle's other files with the same hashes and sizes, and the
 * entries, modalities and tasks the bundle announces are the package's. A device checks this as
 * soon as it has ringmoe.json, before fetching the rest, so a bundle cannot describe one model
 * and ship another.
 */
import { EdgeError } from '../../core/errors.js';
import { PACKAGE_MANIFEST_FILE, type PackageManifest } from '../../package/package-manifest.js';
import { checkManifest } from '../../package/manifest-check.js';
import type { BundleManifest } from './bundle-manifest.js';
import { parseJsonBounded } from '../../core/json-limits.js';
import { PACKAGE_MANIFEST_LIMITS } from '../../package/open-package.js';

/**
 * Parses the package manifest bytes of a bundle and checks it against the bundle manifest.
 * @throws EdgeError E_BUNDLE_INVALID, E_PATH_UNSAFE (from the package manifest's own checks)
 * @example
 * const pkg = checkBundleMatchesPackage(bundle, await store.readBlob(bundle.package.manifestSha256, limit));
 */
export function checkBundleMatchesPackage(bundle: BundleManifest, packageManifestBytes: Uint8Array): PackageManifest {
  const file = PACKAGE_MANIFEST_FILE;
  const parsed = parseJsonBounded(packageManifestBytes, PACKAGE_MANIFEST_LIMITS, {
    file,
    what: 'the bundled package manifest',
    syntaxCode: 'E_BUNDLE_INVALID',
  });
  let pkg: PackageManifest;
  try {
    pkg = checkManifest(parsed, file);
  } catch (err) {
    const e = err as EdgeError;
    throw new EdgeError(
      e.code === 'E_PATH_UNSAFE' ? 'E_PATH_UNSAFE' : 'E_BUNDLE_INVALID',
      `the bundled package manifest is invalid: ${e.message}`,
      { file },
    );
  }
  const problems: string[] = [];
  const listed = new Map(bundle.files.map((f) => [f.path, f]));
  for (const [path, rec] of Object.entries(pkg.files)) {
    const f = listed.get(path);
    if (!f) problems.push(`package file ${path} is not in the bundle`);
    else if (f.sha256 !== rec.sha256 || f.size !== rec.size)
      problems.push(`${path} differs between the bundle and the package manifest`);
  }
  for (const f of bundle.files) {
    if (f.path !== PACKAGE_MANIFEST_FILE && !(f.path in pkg.files))
      problems.push(`bundle file ${f.path} is not part of the package`);
  }
  if (pkg.name !== bundle.package.name)
    problems.push(`package name ${pkg.name} is not the bundle's ${bundle.package.name}`);
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
  if (
    !same(
      bundle.entries,
      pkg.entries.map((e) => e.name),
    )
  )
    problems.push('bundle entries differ from the package entries');
  if (
    !same(
      bundle.modalities,
      pkg.modalities.map((m) => m.id),
    )
  )
    problems.push('bundle modalities differ from the package modalities');
  const tasks = [...new Set(pkg.entries.flatMap((e) => e.tasks))];
  if (!same(bundle.tasks, tasks)) problems.push('bundle tasks differ from the package tasks');
  if (problems.length) {
    throw new EdgeError(
      'E_BUNDLE_INVALID',
      `bundle and package disagree: ${problems.slice(0, 6).join('; ')}${problems.length > 6 ? `; and ${problems.length - 6} more` : ''}`,
      { file },
    );
  }
  return pkg;
}
