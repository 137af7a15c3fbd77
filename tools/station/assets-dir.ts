/**
 * Where the station's page lives: `tools/station/assets` of the package, found from this module
 * both in a source checkout (tools/station/) and in the built CLI (dist/cli/).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdgeError } from '../../sdk/internal.js';

/**
 * The assets directory.
 * @throws EdgeError E_FILE_NOT_FOUND when the package was installed without it
 */
export function stationAssetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'assets'), join(here, '..', '..', 'tools', 'station', 'assets')];
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!found)
    throw new EdgeError('E_FILE_NOT_FOUND', `the station page is missing (looked in ${candidates.join(', ')})`, {
      hint: 'reinstall ringmoe-edge; its package ships tools/station/assets',
    });
  return found;
}
