import test from 'ava';
import { decodeFrame } from '../../../sdk/sensors/codecs/decode.js';
import type { PreprocessedFrame } from '../../../sdk/sensors/geometry/layout.js';
import { preprocessPair } from '../../../sdk/sensors/preprocess/pair.js';
import { preprocessFrame } from '../../../sdk/sensors/preprocess/preprocess.js';
import { MULTISPECTRAL_MEAN_255, MULTISPECTRAL_STD_255 } from '../../../sdk/sensors/radiometry/radiometry.js';
import type { HostTensor } from '../../../sdk/core/host-tensor.js';
import { CHANGE_NO_DATA, changeResult } from '../../../sdk/tasks/change.js';
import { depthResult } from '../../../sdk/tasks/depth.js';
import { decodeMaskRle } from '../../../sdk/tasks/mask-rle.js';
import { sharedData, testIf } from '../../helpers/shared-data.js';
import { REAL, SHARED_ONLY, frameOf } from '../../fixtures/frames/index.js';

/** Cuts a source-resolution map into the frame's input tiles (edge pixels repeated): a "model" returning known values. */
function tilesOf(pre: PreprocessedFrame, map: Float32Array): HostTensor {
  const { width: iw, height: ih } = pre.layout.input;
  const { width: w, height: h } = pre.layout.source;
  const n = pre.layout.tiles.length;
  const data = new Float32Array(n * ih * iw);
  pre.layout.tiles.forEach((t, k) => {
    for (let v = 0; v < ih; v++)
      for (let u = 0; u < iw; u++)
        data[(k * ih + v) * iw + u] = map[Math.min(h - 1, t.y + v) * w + Math.min(w - 1, t.x + u)]!;
  });
  return { dtype: 'float32', shape: [n, 1, ih, iw], data };
}

test('change: a known changed rectangle gives its pixel count and area (Landsat grid, 28.5 m)', async (t) => {
  const pre = await preprocessFrame(
    frameOf(REAL.olinda, 'multispectral', { id: 'olinda-t0', sensor: 'landsat7-etm' }),
    { inputSize: 64, fit: 'tile', overlap: 16 },
  );
  const { width: w, height: h } = pre.layout.source;
  const prob = new Float32Array(w * h).fill(0.2);
  for (let y = 100; y < 180; y++) for (let x = 50; x < 250; x++) prob[y * w + x] = 0.9;
  for (const stitch of ['blend', 'center'] as const) {
    const r = changeResult(tilesOf(pre, prob), pre, { threshold: 0.5, stitch, includeRasters: true });
    t.is(r.changedPixels, 80 * 200);
    t.is(r.validPixels, w * h);
    t.true(Math.abs(r.changedArea - 80 * 200 * 28.5 * 28.5) < 1e-3);
    t.is(r.areaUnit, 'm2');
    t.is(r.crs, 'EPSG:31985');
    t.deepEqual(Array.from(decodeMaskRle(r.mask, 'uint8')), Array.from(r.changeMask!));
  }
  t.is(
    changeResult(tilesOf(pre, prob), pre, { threshold: 0.9 }).changedPixels,
    80 * 200,
    'at the threshold counts as changed',
  );
  const mask = new Uint8Array(w * h);
  mask.fill(1, 0, w * 110);
  const masked = changeResult(tilesOf(pre, prob), { layout: pre.layout, noDataMask: mask }, { includeRasters: true });
  t.is(masked.changedPixels, 70 * 200);
  t.is(masked.changeMask![0], CHANGE_NO_DATA);
});

test('depth: statistics of a real DEM through an identity "depth model" equal a direct computation', async (t) => {
  const dem = await decodeFrame(frameOf(REAL.olindaDem, 'sar-l2'));
  const values = dem.raster.planes[0] as Float32Array;
  const sensor = { id: 'dem', modality: 'sar-l2' as const, noData: -1 };
  const pre = await preprocessFrame(frameOf(REAL.olindaDem, 'sar-l2', { sensor }), {
    inputSize: 32,
    fit: 'tile',
    overlap: 8,
  });
  const valid = Array.from(values)
    .filter((v) => v !== -1)
    .sort((a, b) => a - b);
  t.true(valid.length < values.length, 'the DEM has no-data (-1) pixels');
  const depth = Float32Array.from(values, (v) => Math.max(0, v));
  const r = depthResult(tilesOf(pre, depth), pre, { percentiles: [0, 50, 90, 100], includeRasters: true });
  t.is(r.stats.validPixels, valid.length);
  t.deepEqual({ min: r.stats.min, max: r.stats.max }, { min: valid[0], max: valid.at(-1) });
  const mean = valid.reduce((a, b) => a + b, 0) / valid.length;
  t.true(Math.abs(r.stats.mean - mean) < 1e-6);
  const h = 0.9 * (valid.length - 1);
  const p90 = valid[Math.floor(h)]! + (h - Math.floor(h)) * (valid[Math.ceil(h)]! - valid[Math.floor(h)]!);
  t.true(Math.abs(r.stats.percentiles.p90! - p90) < 1e-4);
  t.true(Number.isNaN(r.depth![values.indexOf(-1)]!));
  t.deepEqual(Object.keys(r.stats.percentiles), ['p0', 'p50', 'p90', 'p100']);
});

test('EXPECTED FAILURE - negative depth, probabilities above 1, bad options', async (t) => {
  const pre = await preprocessFrame(frameOf(REAL.aero1, 'optical'), { inputSize: 16 });
  const neg = { dtype: 'float32' as const, shape: [1, 1, 16, 16], data: new Float32Array(256).fill(3) };
  neg.data[10] = -2;
  const e1 = t.throws(() => depthResult(neg, pre));
  t.regex(e1!.message, /output depth: value 10 is -2, outside the documented range \[0, Infinity\]/);
  const hi = { dtype: 'float32' as const, shape: [1, 1, 16, 16], data: new Float32Array(256).fill(1.2) };
  t.is((t.throws(() => changeResult(hi, pre)) as { code?: string }).code, 'E_MODEL_OUTPUT');
  const ok = { dtype: 'float32' as const, shape: [1, 1, 16, 16], data: new Float32Array(256) };
  t.is((t.throws(() => changeResult(ok, pre, { threshold: -1 })) as { code?: string }).code, 'E_INVALID_ARGUMENT');
  t.is((t.throws(() => depthResult(ok, pre, { percentiles: [101] })) as { code?: string }).code, 'E_INVALID_ARGUMENT');
  const two = { dtype: 'float32' as const, shape: [1, 2, 16, 16], data: new Float32Array(512) };
  t.regex(t.throws(() => depthResult(two, pre))!.message, /expected dimension 1 to be 1/);
});

testIf(sharedData(SHARED_ONLY.ethiopia2000) !== undefined && sharedData(SHARED_ONLY.ethiopia2010) !== undefined, test)(
  'Landsat-5 Ethiopia 2000 → 2010: change from an NDVI-difference "model" on the preprocessed pair [../shared/data]',
  async (t) => {
    const [p0, p1] = await preprocessPair(
      frameOf(sharedData(SHARED_ONLY.ethiopia2000)!, 'multispectral', { id: 't0', sensor: 'landsat5-tm' }),
      frameOf(sharedData(SHARED_ONLY.ethiopia2010)!, 'multispectral', { id: 't1', sensor: 'landsat5-tm' }),
      { inputSize: 64, fit: 'tile', overlap: 16, statistics: 'frame' },
    );
    // NDVI from the red and NIR channels back in the 8-bit domain; change probability from |ΔNDVI|.
    const outs = p0.batches.map((b0, bi) => {
      const b1 = p1.batches[bi]!;
      const [n, , ih, iw] = b0.shape;
      const plane = ih * iw;
      const data = new Float32Array(n * plane);
      const ndvi = (d: Float32Array, k: number, i: number) => {
        const red = d[(k * 4 + 2) * plane + i]! * MULTISPECTRAL_STD_255[2]! + MULTISPECTRAL_MEAN_255[2]!;
        const nir = d[(k * 4 + 3) * plane + i]! * MULTISPECTRAL_STD_255[3]! + MULTISPECTRAL_MEAN_255[3]!;
        return (nir - red) / (nir + red + 1e-6);
      };
      for (let k = 0; k < n; k++)
        for (let i = 0; i < plane; i++)
          data[k * plane + i] = Math.min(1, Math.abs(ndvi(b1.data, k, i) - ndvi(b0.data, k, i)) * 2);
      return { dtype: 'float32' as const, shape: [n, 1, ih, iw], data };
    });
    const r = changeResult(outs, p0, { threshold: 0.3 });
    t.is(r.width, 101);
    t.is(r.areaUnit, 'm2');
    t.true(r.changedFraction > 0 && r.changedFraction < 1, `changed ${(r.changedFraction * 100).toFixed(1)} %`);
    t.is(r.changedArea, r.changedPixels * 900);
    t.log(`changed: ${r.changedPixels} px = ${(r.changedArea / 1e4).toFixed(1)} ha of ${r.validPixels} valid px`);
  },
);
