/**
 * Finds the ringmoe-edge package root from a module URL, so `targets/` is found the same way from
 * the TypeScript sources (run through tsx), from the built dist/ bundles and from an installed
 * node_modules copy: walk up until a package.json whose name is ringmoe-edge.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdgeError } from '../errors.js';

/** The npm package name that marks the root. */
export const PACKAGE_NAME = 'ringmoe-edge';

function isPackageRoot(dir: string): boolean {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/**
 * The directory holding ringmoe-edge's package.json, searched upwards from `fromUrl`.
 * @param fromUrl a `file:` URL of a module inside the package (defaults to this module)
 * @throws EdgeError E_FILE_NOT_FOUND when no ancestor is the package root
 * @example findPackageRoot(import.meta.url)
 */
export function findPackageRoot(fromUrl: string = import.meta.url): string {
  const start = dirname(fileURLToPath(fromUrl));
  for (let dir = start; ; dir = dirname(dir)) {
    if (isPackageRoot(dir)) return dir;
    if (dirname(dir) === dir) break;
  }
  throw new EdgeError('E_FILE_NOT_FOUND', `cannot find the ${PACKAGE_NAME} package root above ${start}`, {
    hint: 'set RINGMOE_TARGETS_DIR to the directory that holds the device target profiles',
  });
}
