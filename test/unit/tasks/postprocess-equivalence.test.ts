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
import { depthResult } from '../../../sdk/tasks/depth.js';
import { percentiles } from '../../../sdk/tasks/order-statistics.js';
import { segmentationResult } from '../../../sdk/tasks/segmentation.js';
import { Rng } from '../../../tools/frames/seeded.js';
import { REAL, frameOf } from '../../fixtures/frames/index.js';
import { referenceClassMap, referenceDenseMap, referencePercentiles } from './fixtures/reference-postprocess.js';

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

  test(`depth statistics equal the straightforward computation, with and without no-data: ${name}`, async (t) => {
    const pre = await layoutOf(file, o);
    const n = pre.layout.tiles.length;
    const { width: iw, height: ih } = pre.layout.input;
    const { width, height } = pre.layout.source;
    // No data in a band across the frame, on top of the frame's own.
    const band = Uint8Array.from({ length: width * height }, (_, i) =>
      pre.noDataMask?.[i] || (i % width) * 3 < width ? 1 : 0,
    );
    const ps = [0, 5, 25, 50, 75, 95, 100];
    for (const [oh, ow] of [
      [ih, iw],
      [Math.ceil(ih / 2), Math.ceil(iw / 3)],
    ] as [number, number][]) {
      const data = logits(n, 1, oh, ow, 'smooth', 5).map((v) => Math.abs(v) * 10);
      for (const mask of [pre.noDataMask, band]) {
        const got = depthResult(
          { dtype: 'float32', shape: [n, 1, oh, ow], data },
          { layout: pre.layout, ...(mask ? { noDataMask: mask } : {}) },
          { percentiles: ps, includeRasters: true },
        );
        const ref = referenceDenseMap(pre.layout, data, oh, ow, 'blend');
        const values: number[] = [];
        const valid = new Uint8Array(ref.data.length);
        for (let i = 0; i < ref.data.length; i++) {
          if (!ref.covered[i] || mask?.[i]) continue;
          valid[i] = 1;
          values.push(Math.max(0, ref.data[i]!));
        }
        const sum = values.reduce((a, b) => a + b, 0);
        const mean = sum / values.length;
        const sq = values.reduce((a, v) => a + (v - mean) ** 2, 0);
        const pv = referencePercentiles(Float32Array.from(values), ps);
        t.deepEqual(got.stats, {
          validPixels: values.length,
          min: values.reduce((a, b) => Math.min(a, b), Infinity),
          max: values.reduce((a, b) => Math.max(a, b), -Infinity),
          mean,
          std: Math.sqrt(sq / values.length),
          percentiles: Object.fromEntries(ps.map((p, i) => [`p${p}`, pv[i]!])),
        });
        let at = 0;
        let rasterDiff = 0;
        for (let i = 0; i < valid.length; i++) {
          const v = got.depth![i]!;
          if (valid[i] ? !Object.is(v, values[at++]) : !Number.isNaN(v)) rasterDiff++;
        }
        t.is(rasterDiff, 0, `${oh}×${ow}: ${rasterDiff} raster values differ`);
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

test('radix percentiles equal sorted ranks, over every value or only the valid ones (NaN, ±0, ±Infinity, subnormals, masks)', (t) => {
  const rng = new Rng(12, 'percentiles-masked');
  const ps = [0, 2.5, 5, 25, 50, 50, 75, 95, 100];
  const bitsOf = (u: number) => new Float32Array(new Uint32Array([u]).buffer)[0]!;
  const special = [NaN, bitsOf(0xffc00000), -0, 0, Infinity, -Infinity, bitsOf(1), bitsOf(0x80000001), 3.5e38, -3.5e38];
  const cases: [string, Float32Array][] = [
    ['uniform', Float32Array.from({ length: 20_000 }, () => (rng.uniform() - 0.5) * 100)],
    [
      'special values only',
      Float32Array.from({ length: 5_000 }, () => special[Math.floor(rng.uniform() * special.length)]!),
    ],
    ['mostly one bucket', Float32Array.from({ length: 30_000 }, () => 1 + Math.floor(rng.uniform() * 4) * 2 ** -23)],
    ['NaN among values', Float32Array.from({ length: 4_000 }, (_, i) => (i % 7 === 0 ? NaN : rng.uniform() * 10))],
    ['zeros of both signs', Float32Array.from({ length: 3_000 }, (_, i) => (i % 2 ? -0 : 0))],
    ['one value', Float32Array.of(-0)],
  ];
  for (const [name, values] of cases) {
    const copy = values.slice();
    const masks: [string, Uint8Array | undefined][] = [
      ['no mask', undefined],
      ['random mask', Uint8Array.from(values, () => (rng.uniform() < 0.6 ? 1 : 0))],
      ['mask of values > 1 (not 0 or 1)', Uint8Array.from(values, (_, i) => (i % 3) * 2)],
      ['one valid', Uint8Array.from(values, (_, i) => (i === values.length >> 1 ? 1 : 0))],
      ['none valid', new Uint8Array(values.length)],
    ];
    for (const [m, valid] of masks) {
      const got = percentiles(values, ps, valid);
      const want = referencePercentiles(values, ps, valid);
      t.true(
        got.every((v, i) => Object.is(v, want[i])),
        `${name}, ${m}: ${got.join(' ')} vs ${want.join(' ')}`,
      );
    }
    t.deepEqual(values, copy, `${name}: input untouched`);
  }
  // A view into a larger buffer reads only its own values.
  const buffer = Float32Array.from({ length: 1000 }, (_, i) => i);
  const view = buffer.subarray(100, 200);
  t.deepEqual(percentiles(view, [0, 50, 100]), referencePercentiles(view.slice(), [0, 50, 100]));
});
