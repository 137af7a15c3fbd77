import test from 'ava';
import { decodeFrame } from '../../../../sdk/sensors/codecs/decode.js';
import { percentilesInPlace } from '../../../../sdk/sensors/radiometry/percentile.js';
import { preprocessFrame } from '../../../../sdk/sensors/preprocess/preprocess.js';
import {
  IMAGENET_MEAN_255,
  IMAGENET_STD_255,
  MULTISPECTRAL_MEAN_255,
  MULTISPECTRAL_STD_255,
} from '../../../../sdk/sensors/radiometry/radiometry.js';
import { sarL1Region } from '../../../../sdk/sensors/radiometry/sar-l1.js';
import { stretchRegion } from '../../../../sdk/sensors/radiometry/stretch.js';
import { createRng } from '../../../../sdk/sensors/synthetic/rng.js';
import { REAL, frameOf } from '../../../fixtures/frames/index.js';

/** numpy.percentile (linear) by full sort: the independent reference. */
function sortedPercentile(values: ArrayLike<number>, p: number): number {
  const v = Array.from(values).sort((a, b) => a - b);
  const h = (p / 100) * (v.length - 1);
  const lo = Math.floor(h);
  const hi = Math.min(v.length - 1, lo + 1);
  return v[lo]! + (h - lo) * (v[hi]! - v[lo]!);
}

/** The released cutting script's stretch, transcribed step by step (joint min-max → cvRound → histogram). */
function releasedReference(bands: number[][]): { out: number[][]; lows: number[]; highs: number[] } {
  const all = bands.flat();
  const min = all.reduce((a, v) => Math.min(a, v), Infinity);
  const max = all.reduce((a, v) => Math.max(a, v), -Infinity);
  const scale = max - min > Number.EPSILON ? 255 * (1 / (max - min)) : 0;
  const shift = -min * scale;
  const cvRound = (x: number) => {
    const f = Math.floor(x);
    const d = x - f;
    return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
  };
  const lows: number[] = [];
  const highs: number[] = [];
  const out = bands.map((band) => {
    const q = band.map((v) => Math.min(255, Math.max(0, cvRound(v * scale + shift))));
    const hist = new Array<number>(256).fill(0);
    for (const v of q) hist[v] = (hist[v] ?? 0) + 1;
    const n = q.length;
    let cum = 0;
    const cums = hist.map((h) => (cum += h));
    const small = cums.findIndex((c) => c > 0.001 * n);
    const high = cums.findIndex((c) => c > n - 0.001 * n);
    lows.push(small);
    highs.push(high);
    if (small === high) return q.map(() => 0);
    const ratio = 255.0 / (high - small);
    return q.map((v) => Math.trunc((Math.min(high, Math.max(small, v)) - small) * ratio));
  });
  return { out, lows, highs };
}

test('percentiles equal a full-sort reference (linear interpolation), incl. ties and tiny arrays', (t) => {
  const rng = createRng(5);
  for (const n of [1, 2, 3, 10, 999, 5000]) {
    const a = Float32Array.from({ length: n }, () => Math.round(rng.normal() * 20) / 4);
    const ps = [0, 0.1, 25, 50, 99.9, 100];
    const got = percentilesInPlace(a.slice(), ps);
    ps.forEach((p, i) => t.true(Math.abs(got[i]! - sortedPercentile(a, p)) < 1e-5, `n=${n} p=${p}`));
  }
  t.true(Number.isNaN(percentilesInPlace(new Float32Array(0), [50])[0]!));
});

test('released stretch on a real Landsat tile equals the transcribed released script, bit for bit', async (t) => {
  const d = await decodeFrame(frameOf(REAL.olinda, 'multispectral'));
  const w = d.raster.width;
  const region = { x: 100, y: 50, width: 192, height: 192 };
  const planes = [0, 1, 2, 3].map((b) => Float32Array.from(d.raster.planes[b]!));
  const { out, info } = stretchRegion(planes, w, region, undefined, 'released');
  const bands = planes.map((p) => {
    const v: number[] = [];
    for (let y = region.y; y < region.y + region.height; y++)
      for (let x = region.x; x < region.x + region.width; x++) v.push(p[y * w + x]!);
    return v;
  });
  const ref = releasedReference(bands);
  t.deepEqual(
    info.bands.map((b) => b.low),
    ref.lows,
  );
  t.deepEqual(
    info.bands.map((b) => b.high),
    ref.highs,
  );
  for (let b = 0; b < 4; b++) t.deepEqual(Array.from(out[b]!), ref.out[b]);
});

test('precise stretch maps the 0.1/99.9 percentiles (computed by sorting) to 0 and 255, masked pixels excluded', (t) => {
  const rng = createRng(9);
  const w = 64;
  const h = 48;
  const p = Float32Array.from({ length: w * h }, () => 1000 + rng.gamma(2) * 300);
  const mask = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i += 5) {
    mask[i] = 1;
    p[i] = 65535; // would dominate the high percentile if it were counted
  }
  const { out, info } = stretchRegion([p], w, { x: 0, y: 0, width: w, height: h }, mask, 'precise');
  const valid = Array.from(p).filter((_, i) => !mask[i]);
  const lo = sortedPercentile(valid, 0.1);
  const hi = sortedPercentile(valid, 99.9);
  t.true(Math.abs(info.bands[0]!.low - lo) < 1e-3);
  t.true(Math.abs(info.bands[0]!.high - hi) < 1e-3);
  for (let i = 1; i < w * h; i += 97) {
    if (mask[i]) continue;
    const want = Math.min(255, Math.max(0, ((p[i]! - lo) / (hi - lo)) * 255));
    t.true(Math.abs(out[0]![i]! - want) < 1e-3);
  }
  t.is(out[0]![0], 0);
});

test('optical: (v − ImageNet mean·255) / (std·255) per channel', async (t) => {
  const rgb = new Uint8Array([255, 128, 0]);
  const pre = await preprocessFrame(
    frameOf({ data: rgb, width: 1, height: 1, bands: 3, dtype: 'uint8', layout: 'hwc' }, 'optical'),
    { inputSize: 1 },
  );
  const d = pre.batches[0]!.data;
  [255, 128, 0].forEach((v, c) => t.true(Math.abs(d[c]! - (v - IMAGENET_MEAN_255[c]!) / IMAGENET_STD_255[c]!) < 1e-5));
});

test('sar-l2: one stretched band replicated into 3 channels with ImageNet mean/std; multispectral uses its own 4', async (t) => {
  const sar = await preprocessFrame(frameOf(REAL.aeroGray, 'sar-l2'), { inputSize: 64 });
  const s = sar.batches[0]!.data;
  const plane = 64 * 64;
  for (const i of [0, 1000, 4095]) {
    const v = [0, 1, 2].map((c) => s[c * plane + i]! * IMAGENET_STD_255[c]! + IMAGENET_MEAN_255[c]!);
    t.true(Math.abs(v[0]! - v[1]!) < 1e-3 && Math.abs(v[1]! - v[2]!) < 1e-3);
  }
  const ms = await preprocessFrame(frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' }), {
    inputSize: 32,
    stretch: 'released',
    interpolation: 'nearest',
  });
  const m = ms.batches[0]!.data;
  const p2 = 32 * 32;
  for (let c = 0; c < 4; c++) {
    for (const i of [0, 500]) {
      const back = m[c * p2 + i]! * MULTISPECTRAL_STD_255[c]! + MULTISPECTRAL_MEAN_255[c]!;
      t.true(Math.abs(back - Math.round(back)) < 1e-3, 'released stretch gives integers in the 8-bit domain');
      t.true(back >= -1e-3 && back <= 255 + 1e-3);
    }
  }
});

test('sar-l1 span-clip: pixels with span ≤ 1 pass unchanged, brighter ones are scaled to span 1 with ratios kept', (t) => {
  const planes = Array.from({ length: 8 }, () => new Float32Array(3));
  // pixel 0: span 0.5; pixel 1: span 9 (a bright target); pixel 2: no data
  const v0 = [0.3, 0.1, 0.2, -0.1, 0.2, 0.1, 0.4, 0.3];
  const v1 = [2, 1, 0.5, 0.5, 0.5, 0.5, -1.5, 1.15];
  v0.forEach((v, c) => (planes[c]![0] = v));
  v1.forEach((v, c) => (planes[c]![1] = v));
  const span1 = v1.reduce((a, v) => a + v * v, 0);
  const mask = new Uint8Array([0, 0, 1]);
  const { out, info } = sarL1Region(planes, 3, { x: 0, y: 0, width: 3, height: 1 }, mask, 'span-clip', 'prepend');
  t.is(out.length, 9);
  v0.forEach((v, c) => t.true(Math.abs(out[c + 1]![0]! - v) < 1e-6));
  const k = 1 / Math.sqrt(span1);
  v1.forEach((v, c) => t.true(Math.abs(out[c + 1]![1]! - v * k) < 1e-6));
  const newSpan = out.slice(1).reduce((a, p) => a + p[1]! ** 2, 0);
  t.true(Math.abs(newSpan - 1) < 1e-5);
  // P clipped to 1 then min-max over valid pixels: 0.5 → 0, 1 → 1; no data → 0.
  t.deepEqual(Array.from(out[0]!), [0, 1, 0]);
  t.is(info.clippedPixels, 1);
  t.is(info.validPixels, 2);
  const raw = sarL1Region(planes, 3, { x: 0, y: 0, width: 3, height: 1 }, mask, 'raw', 'none');
  t.is(raw.out.length, 8);
  t.true(Math.abs(raw.out[0]![1]! - 2) < 1e-6);
});

test('no-data pixels are 0 in the 8-bit domain and excluded from the statistics', async (t) => {
  const w = 20;
  const h = 10;
  const data = Uint16Array.from({ length: w * h }, (_, i) => 100 + (i % 50));
  for (let i = 0; i < w * 3; i++) data[i] = 0;
  const pre = await preprocessFrame(
    frameOf({ data, width: w, height: h, bands: 1, dtype: 'uint16', layout: 'chw' }, 'sar-l2', {
      sensor: 'sar-l2-amplitude',
    }),
    { inputSize: { width: w, height: h }, stretch: 'precise', interpolation: 'nearest' },
  );
  t.is(pre.layout.noData.fraction, 0.3);
  t.true(pre.layout.noData.flagged);
  t.regex(pre.warnings.join('\n'), /30\.0 % of the frame is no data/);
  const d = pre.batches[0]!.data;
  t.true(Math.abs(d[0]! - (0 - IMAGENET_MEAN_255[0]!) / IMAGENET_STD_255[0]!) < 1e-5);
  const stats = pre.layout.radiometry.regions[0]!.stretch!;
  t.is(stats.validPixels, w * h - w * 3);
  t.true(stats.bands[0]!.low >= 100);
});

test('stretch none on the real Landsat-7 scene: (DN − mean) / std per band, no statistics, equal to the raw DN', async (t) => {
  const d = await decodeFrame(frameOf(REAL.olinda, 'multispectral'));
  const w = d.raster.width;
  const h = d.raster.height;
  // At the source size resize copies, so the tensor is the normalised scene itself.
  const pre = await preprocessFrame(frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' }), {
    inputSize: { width: w, height: h },
    stretch: 'none',
  });
  const m = pre.batches[0]!.data;
  const plane = w * h;
  t.is(pre.layout.radiometry.regions[0]!.stretch!.method, 'none');
  for (let c = 0; c < 4; c++) {
    const dn = d.raster.planes[c]!;
    for (let i = 0; i < plane; i += 37)
      t.true(
        Math.abs(m[c * plane + i]! - (dn[i]! - MULTISPECTRAL_MEAN_255[c]!) / MULTISPECTRAL_STD_255[c]!) < 1e-5,
        `band ${c + 1} pixel ${i}`,
      );
  }
  // The released stretch of the same scene does change the values: the two are different inputs.
  const rel = await preprocessFrame(frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' }), {
    inputSize: { width: w, height: h },
    stretch: 'released',
  });
  t.notDeepEqual(Array.from(rel.batches[0]!.data.subarray(0, 500)), Array.from(m.subarray(0, 500)));
});

test('stretch none clips after the sensor scale/offset to 0..255 and keeps masked pixels at 0; sar-l2 replicates the clipped band', async (t) => {
  const d = await decodeFrame(frameOf(REAL.olinda, 'multispectral'));
  const w = d.raster.width;
  const region = { x: 10, y: 20, width: 40, height: 30 };
  const planes = [0, 1, 2, 3].map((b) => Float32Array.from(d.raster.planes[b]!, (v) => v * 5 - 200));
  const mask = new Uint8Array(w * d.raster.height);
  mask[20 * w + 10] = 1;
  const { out, info } = stretchRegion(planes, w, region, mask, 'none');
  t.is(info.validPixels, 40 * 30 - 1);
  t.deepEqual(info.bands[0], { low: 0, high: 255 });
  let clippedHigh = 0;
  let clippedLow = 0;
  for (let y = 0; y < 30; y++) {
    for (let x = 0; x < 40; x++) {
      const src = planes[3]![(20 + y) * w + 10 + x]!;
      const got = out[3]![y * 40 + x]!;
      if (x === 0 && y === 0) t.is(got, 0);
      else t.is(got, Math.min(255, Math.max(0, src)));
      if (src > 255) clippedHigh++;
      if (src < 0) clippedLow++;
    }
  }
  t.true(clippedHigh + clippedLow > 0, 'the scaled scene has values outside 0..255 to clip');
  // Through preprocessFrame with a sensor scale: the DN × 2 of the scene, clipped.
  const sensor = { id: 'etm-x2', modality: 'multispectral' as const, bands: [1, 2, 3, 4], scale: 2 };
  const pre = await preprocessFrame(frameOf(REAL.olinda, 'multispectral', { sensor }), {
    inputSize: { width: w, height: d.raster.height },
    stretch: 'none',
  });
  const plane = w * d.raster.height;
  for (let i = 0; i < plane; i += 101) {
    const want = Math.min(255, d.raster.planes[0]![i]! * 2);
    t.true(Math.abs(pre.batches[0]!.data[i]! * MULTISPECTRAL_STD_255[0]! + MULTISPECTRAL_MEAN_255[0]! - want) < 1e-3);
  }
  const sar = await preprocessFrame(frameOf(REAL.aeroGray, 'sar-l2'), { inputSize: 512, stretch: 'none' });
  const gray = await decodeFrame(frameOf(REAL.aeroGray, 'sar-l2'));
  const s = sar.batches[0]!.data;
  for (const i of [0, 777, 512 * 512 - 1]) {
    for (let c = 0; c < 3; c++)
      t.true(
        Math.abs(s[c * 512 * 512 + i]! * IMAGENET_STD_255[c]! + IMAGENET_MEAN_255[c]! - gray.raster.planes[0]![i]!) <
          1e-3,
      );
  }
});
