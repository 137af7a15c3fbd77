/**
 * The rsmoe-tiny reference package, written once per test process (cached per seed), and the
 * real aerial frames the RS-MoE tests caption.
 */
import { join } from 'node:path';
import type { PackageManifest } from '../../sdk/package/package-manifest.js';
import type { Frame } from '../../sdk/sensors/frame.js';
import { rsmoeConfig } from '../../tools/rsmoe/config.js';
import { writeRsMoeReference } from '../../tools/rsmoe/reference.js';
import { tempDir } from './packages.js';

const cache = new Map<number, Promise<{ dir: string; manifest: PackageManifest }>>();

export function rsmoePackage(seed = 0): Promise<{ dir: string; manifest: PackageManifest }> {
  let p = cache.get(seed);
  if (!p) {
    const dir = join(tempDir('rsmoe'), 'package');
    p = writeRsMoeReference({ config: rsmoeConfig('rsmoe-tiny'), outDir: dir, seed }).then((manifest) => ({
      dir,
      manifest,
    }));
    cache.set(seed, p);
  }
  return p;
}

/** Real aerial photographs from examples/data/aerial. */
export function aerialFrame(name: 'aero1' | 'aero3', timestamp = 1_700_000_000_000): Frame {
  return { id: name, modality: 'optical', pixels: join('examples', 'data', 'aerial', `${name}.jpg`), timestamp };
}
