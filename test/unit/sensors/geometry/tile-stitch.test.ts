import test from 'ava';
import { preprocessFrame } from '../../../../sdk/sensors/preprocess/preprocess.js';
import type { PreprocessedFrame } from '../../../../sdk/sensors/geometry/layout.js';
import { rasterToPixels } from '../../../../sdk/sensors/raster.js';
import { stitchDense } from '../../../../sdk/sensors/geometry/stitch.js';
import { inputGeoref } from '../../../../sdk/sensors/geometry/layout.js';
import { pixelToMap } from '../../../../sdk/sensors/geometry/georef.js';
import { generateQuadPolScene } from '../../../../sdk/sensors/synthetic/sar-quadpol.js';
import { axisOrigins, planTiles } from '../../../../sdk/sensors/geometry/tiling.js';
import { REAL, frameOf } from '../../../fixtures/frames/index.js';

/** All tiles' tensors concatenated in tile order: what an identity "model" returns. */
function identityOutputs(pre: PreprocessedFrame): Float32Array {
  const per = pre.batches[0]!.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(pre.layout.tiles.length * per);
  for (const b of pre.batches) b.tiles.forEach((t, k) => out.set(b.data.subarray(k * per, (k + 1) * per), t * per));
  return out;
}

test('tile origins: first at 0, last at the edge, neighbours share at least the overlap', (t) => {
  for (const [len, tile, overlap] of [
    [349, 192, 48],
    [1000, 64, 16],
    [193, 192, 0],
    [192, 192, 48],
    [50, 64, 16],
    [4096, 256, 32],
  ] as const) {
    const o = axisOrigins(len, tile, overlap);
    t.is(o[0], 0);
    t.is(o[o.length - 1], Math.max(0, len - tile));
    for (let k = 1; k < o.length; k++) {
      t.true(o[k]! > o[k - 1]!);
      t.true(o[k - 1]! + tile - o[k]! >= overlap, `len ${len}: overlap ${o[k - 1]! + tile - o[k]!}`);
    }
  }
});

test('tile cores partition the scene: every pixel in exactly one core, inside its tile', (t) => {
  for (const [w, h, ts, ov] of [
    [349, 352, 192, 48],
    [101, 101, 64, 16],
    [40, 30, 64, 16],
    [500, 257, 128, 40],
  ] as const) {
    const tiles = planTiles(w, h, ts, ts, ov);
    const hits = new Uint8Array(w * h);
    for (const tile of tiles) {
      const [x0, y0, x1, y1] = tile.core;
      t.true(x0 >= tile.x && y0 >= tile.y && x1 <= tile.x + tile.width && y1 <= tile.y + tile.height);
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) hits[y * w + x]!++;
    }
    t.true(
      hits.every((v) => v === 1),
      `${w}×${h}`,
    );
  }
});

test('identity model, tiles with frame statistics: centre-crop stitching reproduces the frame exactly (Olinda, 4 ch)', async (t) => {
  const frame = frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' });
  const tiled = await preprocessFrame(frame, {
    inputSize: 96,
    fit: 'tile',
    overlap: 24,
    statistics: 'frame',
    batchSize: 5,
  });
  const whole = await preprocessFrame(frame, { inputSize: { width: 349, height: 352 }, fit: 'resize' });
  t.true(tiled.layout.tiles.length > 4);
  t.is(tiled.batches[0]!.shape[0], 5);
  const expected = whole.batches[0]!.data;
  for (const mode of ['center', 'blend'] as const) {
    const m = stitchDense(tiled.layout, identityOutputs(tiled), 4, 96, 96, mode);
    t.is(m.data.length, expected.length);
    let diff = 0;
    for (let i = 0; i < expected.length; i++) diff = Math.max(diff, Math.abs(m.data[i]! - expected[i]!));
    t.is(diff, 0, `${mode}: max difference ${diff}`);
  }
});

test('identity model on a generated SAR-L1 scene (8 ch, padded edge tiles) stitches back exactly', async (t) => {
  const scene = generateQuadPolScene({ width: 150, height: 50, seed: 3 });
  const frame = frameOf(rasterToPixels(scene.raster), 'sar-l1', { sensor: 'quadpol-slc' });
  const tiled = await preprocessFrame(frame, { inputSize: 64, fit: 'tile', overlap: 8, statistics: 'frame' });
  const whole = await preprocessFrame(frame, { inputSize: { width: 150, height: 50 }, fit: 'resize' });
  const m = stitchDense(tiled.layout, identityOutputs(tiled), 8, 64, 64, 'blend');
  t.deepEqual(Array.from(m.data), Array.from(whole.batches[0]!.data));
});

test('resize: outputs map back to source pixels (a linear ramp survives resize and back)', async (t) => {
  const w = 300;
  const h = 200;
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = x + 2 * y;
  const pre = await preprocessFrame(
    frameOf({ data, width: w, height: h, bands: 1, dtype: 'float32', layout: 'chw' }, 'sar-l2'),
    { inputSize: 64, fit: 'resize', interpolation: 'bilinear' },
  );
  t.is(pre.layout.scaleX, w / 64);
  // A "model" whose one output channel is the source x coordinate of each input pixel centre.
  const out = new Float32Array(64 * 64);
  for (let v = 0; v < 64; v++) for (let u = 0; u < 64; u++) out[v * 64 + u] = (u + 0.5) * pre.layout.scaleX;
  const m = stitchDense(pre.layout, out, 1, 64, 64);
  for (const [x, y] of [
    [10, 10],
    [150, 100],
    [280, 190],
  ] as const)
    t.true(Math.abs(m.data[y * w + x]! - (x + 0.5)) < 1e-3);
  t.true(m.covered.every((c) => c === 1));
});

test('resize-crop: the classifier crop (Resize 256 → CenterCrop 224) geometry on a 640×480 photo', async (t) => {
  const pre = await preprocessFrame(frameOf(REAL.aero1, 'optical'), { inputSize: 224, fit: 'resize-crop' });
  const l = pre.layout;
  // Shorter side 480 → 256: resized 341×256 (aspect kept); crop 224 centred: offsets 58/16 resized pixels.
  t.true(Math.abs(l.scaleY - 480 / 256) < 1e-12);
  t.true(Math.abs(l.scaleX - 640 / 341) < 1e-12);
  t.true(Math.abs(l.offsetX - Math.round((341 - 224) / 2) * l.scaleX) < 1e-9);
  t.true(Math.abs(l.offsetY - 16 * l.scaleY) < 1e-9);
  const m = stitchDense(l, new Float32Array(224 * 224).fill(1), 1, 224, 224);
  t.is(m.covered[0], 0, 'the corner was cropped away');
  t.is(m.covered[240 * 640 + 320], 1);
});

test('each model input has its own georeference: tile and resized grids land on the source map coordinates', async (t) => {
  const frame = frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' });
  const tiled = await preprocessFrame(frame, { inputSize: 96, fit: 'tile', overlap: 24 });
  const src = tiled.layout.georef!;
  const tile = tiled.layout.tiles[5]!;
  t.deepEqual(pixelToMap(inputGeoref(tiled.layout, tile)!, 10, 20), pixelToMap(src, tile.x + 10, tile.y + 20));
  const resized = await preprocessFrame(frame, { inputSize: 64, fit: 'resize' });
  const g = inputGeoref(resized.layout, resized.layout.tiles[0]!)!;
  const [x, y] = pixelToMap(g, 64, 64);
  const [ex, ey] = pixelToMap(src, 349, 352);
  t.true(Math.abs(x - ex) < 1e-6 && Math.abs(y - ey) < 1e-6);
});
