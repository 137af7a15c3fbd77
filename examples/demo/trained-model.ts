/**
 * The demo's first step: the trained Statlog Landsat classifier (models/ringmoe-statlog-ms/package), when it
 * is there. Evaluates it on the Statlog test split (when ../shared/data is beside the checkout) and
 * maps the land cover of the Landsat-7 Olinda scene in examples/data with it, writing a PNG.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { createRuntime, type SensorConfig } from '../../sdk/index.js';
import { looksLikePackage } from '../../sdk/package/open-package.js';
import { PATCH_UNCLASSIFIED, patchLandCover, type PatchLandCover } from '../../sdk/runtime/patch-landcover.js';
import { confusionTable } from '../../tools/cli/commands/evaluate.js';
import { type CommandIO } from '../../tools/cli/io.js';
import { table } from '../../tools/format/table.js';
import { DATASETS } from '../../tools/evaluate/datasets.js';
import { evaluateClassifier } from '../../tools/evaluate/evaluate.js';
import { readStatlogCsv } from '../../tools/evaluate/statlog.js';
import { data } from './frames.js';

/** Source pixels of the Olinda scene the demo maps: its central 174×174 (58×58 patches). */
const OLINDA_CENTRE = { x: 87, y: 89, width: 174, height: 174 };

/**
 * ETM+ bands in the places of the four Landsat MSS bands the model was trained on: ETM+ 2
 * (0.52–0.60 µm) for MSS green, 3 (0.63–0.69) for red, 4 (0.77–0.90) for both near-infrared bands
 * (MSS 0.7–0.8 and 0.8–1.1 µm; ETM+ has one NIR band there).
 */
export const ETM_AS_MSS: SensorConfig = {
  id: 'landsat7-etm-as-mss',
  description: 'Landsat-7 ETM+ bands 2, 3, 4, 4 in place of Landsat MSS green, red, NIR, NIR',
  modality: 'multispectral',
  bands: [2, 3, 4, 4],
  bandNames: ['etm2-green', 'etm3-red', 'etm4-nir', 'etm4-nir'],
  expectedBands: 6,
};

/** The input the model was trained on (docs/evaluate.md): DN as they are, each pixel an 8×8 block. */
const TRAINED_PREPROCESSING = { stretch: 'none', interpolation: 'nearest', fit: 'resize' } as const;

/** Class colours of the land-cover PNG (RGB), by class name; other names get grey levels. */
const COLOURS: Record<string, [number, number, number]> = {
  'red soil': [196, 78, 52],
  'cotton crop': [245, 222, 120],
  'grey soil': [170, 170, 160],
  'damp grey soil': [115, 125, 140],
  'vegetation stubble': [120, 170, 70],
  'very damp grey soil': [55, 75, 120],
};

/**
 * Runs the step.
 * @param root repository root
 * @param outDir where the land-cover PNG goes
 * @param say prints a line
 * @param io progress bars
 * @returns false when the package is absent (the step was skipped)
 */
export async function trainedModelStep(
  root: string,
  outDir: string,
  say: (s?: string) => void,
  io: CommandIO,
): Promise<boolean> {
  const pkg = join(root, 'models', 'ringmoe-statlog-ms', 'package');
  if (!existsSync(pkg) || !looksLikePackage(pkg)) {
    say(
      '1/6 trained  skipped: models/ringmoe-statlog-ms/package is not in this checkout (it is made by `ringmoe-edge convert` from the',
    );
    say('             PyTorch Statlog recipe in training/)');
    return false;
  }
  say(
    '1/6 trained  models/ringmoe-statlog-ms/package: a RingMoE-shaped classifier trained on the Statlog Landsat patches',
  );
  say('             (3×3 pixels × 4 Landsat MSS bands, one Australian scene, 6 soil/crop classes)');
  const csv = join(process.env.RINGMOE_SHARED_DATA ?? join(root, '..', 'shared', 'data'), DATASETS.statlog);
  if (!existsSync(csv)) {
    say('    evaluation skipped: the Statlog CSV (../shared/data beside the checkout) is not here');
  } else {
    const ds = await readStatlogCsv(csv, 'test');
    const progress = io.progress('    Statlog test split', ds.samples.length, 'samples');
    const r = await evaluateClassifier(
      pkg,
      { name: 'statlog', samples: ds.samples, patch: ds.patch },
      { preprocess: TRAINED_PREPROCESSING, onProgress: (d, t) => (d % 100 === 0 || d === t) && progress.update(d, t) },
    );
    progress.stop();
    say(
      `    Statlog test split (last 2,000 rows, not seen in training): accuracy ${(100 * r.metrics.accuracy).toFixed(1)} % (${r.metrics.correct} of ${r.metrics.total}), ${r.framesPerSecond.toFixed(0)} patches/s on ${r.backend}`,
    );
    say(indent(confusionTable(r.labels, r.confusion)));
  }
  const runtime = await createRuntime({
    package: pkg,
    preprocess: TRAINED_PREPROCESSING,
    workers: 0,
    batch: { max: 64, deadlineMs: 0 },
    tasks: { classification: { topK: 1 }, segmentation: false, detection: false, depth: false },
  });
  let lc: PatchLandCover;
  try {
    const frame = {
      id: 'olinda',
      modality: 'multispectral',
      timestamp: Date.now(),
      pixels: data('landsat7-olinda/L7_ETMs.tif'),
      sensor: ETM_AS_MSS,
    } as const;
    const progress = io.progress('    Olinda 3×3 patches', 1, 'patches');
    // The central quarter of the 349×352 scene (Olinda and its coast) keeps the demo quick; the SDK maps any region.
    lc = await patchLandCover(runtime, frame, {
      patch: 3,
      region: OLINDA_CENTRE,
      onProgress: (d, t) => (d % 200 === 0 || d === t) && progress.update(d, t),
    });
    progress.stop();
  } finally {
    await runtime.close();
  }
  say(
    `    land cover of the centre of the Landsat-7 ETM+ Olinda scene (Brazil), ${lc.width}×${lc.height} patches of 3×3 pixels (${lc.crs ?? 'no CRS'}):`,
  );
  say('    fed ETM+ bands 2, 3, 4, 4 as MSS green, red, NIR, NIR, in DN without a stretch, as the model was trained;');
  say('    ETM+ is not MSS (other sensor gains) and Olinda is not the training region: every patch gets the nearest');
  say('    of the six Statlog soil/crop classes, so city, sea and forest come out as whichever of those they resemble');
  const km2 = (m2: number) => (m2 / 1e6).toFixed(2);
  const rows = [...lc.classes]
    .sort((a, b) => b.fraction - a.fraction)
    .map((c) => [
      c.label,
      `${(100 * c.fraction).toFixed(1)} %`,
      lc.areaUnit === 'm2' ? `${km2(c.area)} km²` : `${c.area} px`,
    ]);
  say(indent(table(['class', 'share', 'area'], rows)));
  mkdirSync(outDir, { recursive: true });
  const png = join(outDir, 'olinda-landcover.png');
  await writeClassPng(lc, png);
  say(`    land-cover map: ${png.startsWith(`${root}/`) ? png.slice(root.length + 1) : png}`);
  say(
    `    (class colours: ${lc.labels.map((l) => `${l} ${hex(colourOf(l, lc.labels))}`).join(', ')}; black: not classified)`,
  );
  return true;
}

function colourOf(label: string, labels: string[]): [number, number, number] {
  const g = 40 + Math.round((200 * labels.indexOf(label)) / Math.max(1, labels.length));
  return COLOURS[label] ?? [g, g, g];
}

const hex = (c: [number, number, number]) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

/** The class map as an RGB PNG at source resolution (each patch a block); unclassified patches black. */
async function writeClassPng(lc: PatchLandCover, file: string): Promise<void> {
  const rgb = Buffer.alloc(lc.width * lc.height * 3);
  const palette = lc.labels.map((l) => colourOf(l, lc.labels));
  lc.classMap.forEach((c, i) => {
    if (c !== PATCH_UNCLASSIFIED) rgb.set(palette[c]!, i * 3);
  });
  await sharp(rgb, { raw: { width: lc.width, height: lc.height, channels: 3 } })
    .resize(lc.width * lc.patch, lc.height * lc.patch, { kernel: 'nearest' })
    .png()
    .toFile(file);
}

function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n');
}
