/**
 * The optimised post-processing (block argmax of upsampled logits, row-wise resampling, radix
 * percentiles) against the straightforward per-pixel code it replaced: identical class maps, dense
 * maps and percentiles on real frame layouts and on logits built to hit every branch (smooth fields
 * decided per block, noise, exact ties, more than 255 classes).
 */
import test from 'ava';
import type { PreprocessedFrame } from '../../../sdk/sensors/geometry/layout.js';
import { percentilesInPlace } from '../../../sdk/sensors/radiometry/percentile.js';
import { preprocessFrame } from '../../../sdk/sensors/preprocess/preprocess.js';
import type { PreprocessOptions } from '../../../sdk/sensors/preprocess/preprocess-options.js';
import { denseToSource } from '../../../sdk/tasks/dense-map.js';
import { percentiles } from '../../../sdk/tasks/order-statistics.js';
import { segmentationResult } from '../../../sdk/tasks/segmentation.js';
import { Rng } from '../../../tools/frames/seeded.js';
import { REAL, frameOf } from '../../fixtures/frames/index.js';
import { referenceClassMap, referenceDenseMap } from './fixtures/reference-postprocess.js';

type Kind = 'noise' | 'smooth' | 'ties' | 'near';

/** Logits for every tile of a frame: N×K×oh×ow. */
function logits(n: number, k: number, oh: number, ow: number, kind: Kind, seed: number): Float32Array {
  const rng = new Rng(seed, `${kind}-${k}`);
  const data = new Float32Array(n * k * oh * ow);
  const phase = Array.from({ length: k }, () => [rng.uniform() * 6, rng.uniform() * 6, 0.05 + rng.uniform() * 0.3]);
  for (let t = 0; t < n; t++) {
    for (let c = 0; c < k; c++) {
      const [px, py, f] = phase[c]!;
      for (let v = 0; v < oh; v++) {
        for (let u = 0; u < ow; u++) {
          const i = ((t * k + c) * oh + v) * ow + u;
          if (kind === 'noise') data[i] = rng.uniform() * 8 - 4;
          else if (kind === 'smooth') data[i] = 4 * Math.sin(px! + u * f!) * Math.cos(py! + v * f!) + c * 0.01;
          // Few distinct values: many exact ties between classes and between neighbouring cells.
          else if (kind === 'ties') data[i] = Math.round(rng.uniform() * 3) / 2;
          // Classes a float32 ulp or two apart: leads far above the rounding margin, but only just.
          else data[i] = 1 + Math.round(rng.uniform() * 2) * 2 ** -23;
        }
      }
    }
  }
  return data;
}

const LAYOUTS: [string, string, PreprocessOptions][] = [
  ['resize at the source size (identity sampling) 84×46', REAL.landcover, { inputSize: { width: 84, height: 46 } }],
  ['resize 640×480 → 64', REAL.aero1, { inputSize: 64 }],
  ['resize-crop 640×480 → 48×40', REAL.aero1, { inputSize: { width: 48, height: 40 }, fit: 'resize-crop' }],
  [
    'resize 84×46 → 128×96 (outputs sampled down to the source)',
    REAL.landcover,
    { inputSize: { width: 128, height: 96 } },
  ],
  ['tile 349×352 → 96', REAL.olinda, { inputSize: 96, fit: 'tile', overlap: 24 }],
];

async function layoutOf(file: string, o: PreprocessOptions): Promise<PreprocessedFrame> {
  const modality = file === REAL.olinda ? 'multispectral' : 'optical';
  return preprocessFrame(frameOf(file, modality, modality === 'multispectral' ? { sensor: 'landsat7-etm' } : {}), o);
}

for (const [name, file, o] of LAYOUTS) {
  test(`segmentation class map equals the per-pixel argmax: ${name}`, async (t) => {
    const pre = await layoutOf(file, o);
    const n = pre.layout.tiles.length;
    const { width: iw, height: ih } = pre.layout.input;
    // Outputs at input resolution, and (upsampled in post-processing) at a quarter of it.
    const sizes: [number, number][] = [
      [ih, iw],
      [Math.ceil(ih / 4), Math.ceil(iw / 4)],
    ];
    let compared = 0;
    for (const [oh, ow] of sizes) {
      for (const kind of ['noise', 'smooth', 'ties', 'near'] as Kind[]) {
        for (const k of [1, 8, 300]) {
          // More than 255 classes (a Uint16Array map) once per layout: the reference is slow there.
          if (k === 300 && (kind !== 'smooth' || oh !== ih)) continue;
          const data = logits(n, k, oh, ow, kind, 7);
          for (const stitch of pre.layout.fit === 'tile' ? (['center', 'blend'] as const) : (['center'] as const)) {
            const got = segmentationResult({ dtype: 'float32', shape: [n, k, oh, ow], data }, pre, {
              stitch,
              includeRasters: true,
            }).classMap!;
            const want = referenceClassMap(pre.layout, data, k, oh, ow, stitch);
            if (pre.noDataMask)
              for (let i = 0; i < want.length; i++) if (pre.noDataMask[i]) want[i] = k > 255 ? 65535 : 255;
            t.is(got.constructor, want.constructor);
            let diff = 0;
            for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) diff++;
            t.is(diff, 0, `${oh}×${ow} ${kind} k=${k} ${stitch}: ${diff} pixels differ`);
            compared++;
          }
        }
      }
    }
    t.true(compared >= 10);
  });

  test(`dense map (depth, change) equals the per-pixel resampling: ${name}`, async (t) => {
    const pre = await layoutOf(file, o);
    const n = pre.layout.tiles.length;
    const { width: iw, height: ih } = pre.layout.input;
    for (const [oh, ow] of [
      [ih, iw],
      [Math.ceil(ih / 2), Math.ceil(iw / 3)],
    ] as [number, number][]) {
      const data = logits(n, 1, oh, ow, 'smooth', 3).map((v) => Math.abs(v) * 10);
      for (const stitch of ['blend', 'center'] as const) {
        const got = denseToSource(
          'depth',
          { dtype: 'float32', shape: [n, 1, oh, ow], data },
          pre,
          [0, Infinity],
          stitch,
        );
        const want = referenceDenseMap(pre.layout, data, oh, ow, stitch);
        let diff = 0;
        let validDiff = 0;
        let valid = 0;
        for (let i = 0; i < want.data.length; i++) {
          if (!Object.is(got.data[i], Math.min(Infinity, Math.max(0, want.data[i]!)))) diff++;
          const v = pre.noDataMask?.[i] ? 0 : want.covered[i]!;
          if (got.valid[i] !== v) validDiff++;
          valid += v;
        }
        t.is(got.data.length, want.data.length);
        t.is(diff, 0, `${oh}×${ow} ${stitch}: ${diff} values differ`);
        t.is(validDiff, 0, `${oh}×${ow} ${stitch}: validity of ${validDiff} pixels differs`);
        t.is(got.validPixels, valid);
      }
    }
  });
}

test('radix percentiles equal quickselect percentiles (negatives, duplicates, zeros, tiny and large arrays)', (t) => {
  const rng = new Rng(11, 'percentiles');
  const ps = [0, 1, 5, 25, 33.3, 50, 75, 95, 99, 99.9, 100];
  const cases: Float32Array[] = [
    Float32Array.of(3),
    Float32Array.of(2, 1),
    Float32Array.of(0, -0, 0, -1, 1),
    Float32Array.from({ length: 1000 }, () => Math.round(rng.uniform() * 10)),
    Float32Array.from({ length: 307_200 }, () => (rng.uniform() - 0.3) * 1e4),
    Float32Array.from({ length: 50_000 }, () => rng.uniform() * 1e-30),
    Float32Array.from({ length: 4096 }, (_, i) => (i % 2 ? Infinity : -Infinity)),
    Float32Array.from({ length: 100_000 }, () => 5),
  ];
  for (const values of cases) {
    const copy = values.slice();
    const got = percentiles(values, ps);
    t.deepEqual(values, copy, 'input untouched');
    const want = percentilesInPlace(values.slice(), ps);
    // -0 and +0 are equal for a comparison-based selection: compare as numbers.
    t.deepEqual(
      got.map((v) => v + 0),
      want.map((v) => v + 0),
      `n=${values.length}`,
    );
  }
  t.deepEqual(percentiles(new Float32Array(0), [50]).map(Number.isNaN), [true]);
});
