/**
 * A seeded package shaped like the trained Statlog Landsat classifier (models/ringmoe-statlog-ms):
 * one multispectral entry, 24×24 input, patch 4, two stages, the six Statlog class names. Its
 * weights are seeded, not trained: predictions are chance-level, the plumbing is real.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModalityPreprocessing, PackageManifest } from '../../sdk/package/package-manifest.js';
import { resolveConfig } from '../../tools/ringmoe/config.js';
import { writeReferencePackage } from '../../tools/ringmoe/reference.js';
import { tempDir } from './packages.js';

/** Statlog Landsat class names (standard class order 1, 2, 3, 4, 5, 7). */
export const STATLOG_LABELS = [
  'red soil',
  'cotton crop',
  'grey soil',
  'damp grey soil',
  'vegetation stubble',
  'very damp grey soil',
];

/** What the trained package declares: MSS DN as they are, each pixel an 8×8 block. */
export const STATLOG_PREPROCESSING: ModalityPreprocessing = {
  stretch: 'none',
  interpolation: 'nearest',
  fit: 'resize',
};

const cache = new Map<string, Promise<{ dir: string; manifest: PackageManifest }>>();

/**
 * The package, written once per test process and options.
 * @param o.preprocessing what `model.preprocessing.multispectral` declares (default
 *   {@link STATLOG_PREPROCESSING}; `null` declares nothing)
 * @param o.labels classification labels (default the six Statlog classes)
 */
export function statlogLikePackage(
  o: { preprocessing?: ModalityPreprocessing | null; labels?: string[] } = {},
): Promise<{ dir: string; manifest: PackageManifest }> {
  const key = JSON.stringify(o);
  let p = cache.get(key);
  if (!p) {
    const dir = join(tempDir('statlog'), 'package');
    const config = resolveConfig({
      base: 'ringmoe-tiny',
      name: 'ringmoe-statlog-ms-seeded',
      modalities: ['multispectral'],
      fusion: [],
      change: [],
      inputSize: { height: 24, width: 24 },
      patchSize: 4,
      embedDim: 32,
      depths: [2, 2],
      heads: [2, 4],
      window: 3,
      mlpRatio: 4,
      taskHeads: { classification: { labels: o.labels ?? STATLOG_LABELS } },
    });
    p = writeReferencePackage({ config, outDir: dir, seed: 3 }).then(() => {
      // The manifest file is not among the hashed files: adding the declaration keeps the package valid.
      const file = join(dir, 'ringmoe.json');
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as PackageManifest;
      const declared = o.preprocessing === undefined ? STATLOG_PREPROCESSING : o.preprocessing;
      if (declared) manifest.model.preprocessing = { multispectral: declared };
      writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
      return { dir, manifest };
    });
    cache.set(key, p);
  }
  return p;
}
