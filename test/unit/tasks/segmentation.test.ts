import test from 'ava';
import { decodeFrame } from '../../../sdk/sensors/codecs/decode.js';
import type { PreprocessedFrame } from '../../../sdk/sensors/geometry/layout.js';
import { preprocessFrame } from '../../../sdk/sensors/preprocess/preprocess.js';
import { decodeMaskRle } from '../../../sdk/tasks/mask-rle.js';
import { NO_DATA_CLASS_U8, segmentationResult } from '../../../sdk/tasks/segmentation.js';
import type { HostTensor } from '../../../sdk/core/host-tensor.js';
import { REAL, frameOf } from '../../fixtures/frames/index.js';

const K = 96; // land-cover codes 0..95

/** A "model" that returns one-hot logits of the true land-cover class of each input pixel. */
function oracleLogits(pre: PreprocessedFrame, truth: Uint8Array, w: number, h: number): HostTensor[] {
  const { width: iw, height: ih } = pre.layout.input;
  return pre.batches.map((b) => {
    const data = new Float32Array(b.shape[0] * K * ih * iw);
    b.tiles.forEach((ti, k) => {
      const tile = pre.layout.tiles[ti]!;
      for (let v = 0; v < ih; v++) {
        for (let u = 0; u < iw; u++) {
          const sx = Math.min(w - 1, Math.floor(tile.x + pre.layout.offsetX + (u + 0.5) * pre.layout.scaleX));
          const sy = Math.min(h - 1, Math.floor(tile.y + pre.layout.offsetY + (v + 0.5) * pre.layout.scaleY));
          data[((k * K + truth[sy * w + sx]!) * ih + v) * iw + u] = 6;
        }
      }
    });
    return { dtype: 'float32', shape: [b.shape[0], K, ih, iw], data };
  });
}

async function landcover() {
  const idx = await decodeFrame(frameOf(REAL.landcover, 'optical'), { expandPalette: false });
  return { truth: idx.raster.planes[0] as Uint8Array, w: idx.raster.width, h: idx.raster.height };
}

test('tiles → full-resolution class map equal to the real land-cover map; counts and areas in m² (3 km pixels)', async (t) => {
  const { truth, w, h } = await landcover();
  const pre = await preprocessFrame(frameOf(REAL.landcover, 'optical', { id: 'pr' }), {
    inputSize: 32,
    fit: 'tile',
    overlap: 8,
    batchSize: 3,
  });
  t.true(pre.layout.tiles.length > 3);
  const hist = new Array<number>(K).fill(0);
  for (const v of truth) hist[v]!++;
  for (const stitch of ['center', 'blend'] as const) {
    const r = segmentationResult(oracleLogits(pre, truth, w, h), pre, { stitch, includeRasters: true });
    t.deepEqual(Array.from(r.classMap!), Array.from(truth), stitch);
    t.deepEqual(
      r.classes.map((c) => c.pixels),
      hist,
    );
    t.is(r.areaUnit, 'm2');
    t.is(r.classes[11]!.area, hist[11]! * 9e6);
    // Puerto Rico in WGS 84, the ring gdalinfo -json prints as wgs84Extent for lc.tif (7 decimals).
    const gdal = [
      [-67.1440591, 19.1640274],
      [-67.5184207, 17.9289859],
      [-65.349753, 17.202624],
      [-64.9508578, 18.4326401],
      [-67.1440591, 19.1640274],
    ];
    r.footprint!.coordinates[0]!.forEach(([lon, lat], i) =>
      t.true(Math.abs(lon - gdal[i]![0]!) < 1e-6 && Math.abs(lat - gdal[i]![1]!) < 1e-6),
    );
    t.is(r.noDataPixels, 0);
    t.deepEqual(Array.from(decodeMaskRle(r.mask, 'uint8')), Array.from(truth));
  }
  const plain = segmentationResult(oracleLogits(pre, truth, w, h), pre);
  t.is(plain.classMap, undefined);
  t.deepEqual(JSON.parse(JSON.stringify(plain)), plain, 'plain JSON without includeRasters');
});

test('resize: the class map at source resolution agrees wherever the interpolated logits are unambiguous', async (t) => {
  const { truth, w, h } = await landcover();
  const pre = await preprocessFrame(frameOf(REAL.landcover, 'optical'), {
    inputSize: { width: 42, height: 23 },
    fit: 'resize',
  });
  const r = segmentationResult(oracleLogits(pre, truth, w, h), pre, { includeRasters: true });
  const map = r.classMap!;
  // Source pixel (x, y) interpolates input pixels floor/ceil of (x + 0.5)/2 - 0.5; when those read one class, the map must show it.
  let checked = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = (x + 0.5) / 2 - 0.5;
      const v = (y + 0.5) / 2 - 0.5;
      const us = [Math.max(0, Math.floor(u)), Math.min(41, Math.ceil(u))];
      const vs = [Math.max(0, Math.floor(v)), Math.min(22, Math.ceil(v))];
      const classes = new Set(
        us.flatMap((uu) => vs.map((vv) => truth[Math.floor((vv + 0.5) * 2) * w + Math.floor((uu + 0.5) * 2)]!)),
      );
      if (classes.size !== 1) continue;
      checked++;
      t.is(map[y * w + x], [...classes][0], `pixel ${x},${y}`);
    }
  }
  t.true(checked > w * h * 0.5);
});

test('no-data pixels are 255 in the map and counted apart', async (t) => {
  const { truth, w, h } = await landcover();
  const pre = await preprocessFrame(frameOf(REAL.landcover, 'optical'), { inputSize: 32, fit: 'tile', overlap: 8 });
  const mask = new Uint8Array(w * h);
  for (let i = 0; i < 200; i++) mask[i] = 1;
  const r = segmentationResult(
    oracleLogits(pre, truth, w, h),
    { layout: pre.layout, noDataMask: mask },
    { includeRasters: true },
  );
  t.is(r.noDataPixels, 200);
  t.is(r.classMap![0], NO_DATA_CLASS_U8);
  t.is(
    r.classes.reduce((a, c) => a + c.pixels, 0),
    w * h - 200,
  );
  t.true(Math.abs(r.classes.reduce((a, c) => a + c.fraction, 0) - 1) < 1e-12);
});

test('EXPECTED FAILURE - logits that break the contract', async (t) => {
  const pre = await preprocessFrame(frameOf(REAL.aero1, 'optical'), { inputSize: 16 });
  const e1 = t.throws(() =>
    segmentationResult({ dtype: 'float32', shape: [1, 3, 16], data: new Float32Array(48) }, pre),
  );
  t.is((e1 as { code?: string }).code, 'E_MODEL_OUTPUT');
  t.regex(e1!.message, /output seg_logits: has shape \[1, 3, 16\], expected rank 4/);
  const e2 = t.throws(() =>
    segmentationResult({ dtype: 'float32', shape: [1, 3, 16, 16], data: new Float32Array(768) }, pre, {
      labels: ['a', 'b'],
    }),
  );
  t.regex(e2!.message, /has 3 classes but 2 labels/);
  const e3 = t.throws(() =>
    segmentationResult({ dtype: 'float32', shape: [1, 2, 16, 16], data: new Float32Array(512) }, pre, {
      stitch: 'average' as never,
    }),
  );
  t.is((e3 as { code?: string }).code, 'E_INVALID_ARGUMENT');
});
