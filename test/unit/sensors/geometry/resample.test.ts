/**
 * The resample short cut: maps that put each output pixel on one source pixel (a frame already at
 * the input size, or a scale-1 crop) copy the planes instead of filtering them, with results bit
 * for bit equal to the filter's (the filter itself, resampleSeparable, is the oracle); and nearest
 * upsampling by an integer factor gives exact blocks.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { preprocessFrame } from '../../../../sdk/sensors/preprocess/preprocess.js';
import { MULTISPECTRAL_MEAN_255, MULTISPECTRAL_STD_255 } from '../../../../sdk/sensors/radiometry/radiometry.js';
import {
  axisTaps,
  copiesPlanes,
  resamplePlanes,
  resampleSeparable,
  type AxisMap,
  type Interpolation,
} from '../../../../sdk/sensors/geometry/resample.js';
import { Rng } from '../../../../tools/frames/seeded.js';
import { REAL, frameOf } from '../../../fixtures/frames/index.js';

const KINDS: Interpolation[] = ['nearest', 'bilinear', 'bicubic'];
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Planes of awkward values: signed zeros, subnormals, huge and tiny magnitudes, ordinary noise. */
function planes(channels: number, w: number, h: number, seed: number): Float32Array {
  const rng = new Rng(seed, 'resample');
  const special = [0, -0, 1e-45, -1e-45, 3.4e38, -3.4e38, 1e-30, 1, -1];
  const data = new Float32Array(channels * w * h);
  for (let i = 0; i < data.length; i++)
    data[i] = rng.uniform() < 0.2 ? special[Math.floor(rng.uniform() * special.length)]! : (rng.uniform() - 0.5) * 500;
  return data;
}

const axis = (srcLen: number, dstLen: number, offset = 0, scale = 1): AxisMap => ({ srcLen, dstLen, offset, scale });

test('identity size: the copy equals the filter bit for bit, for every kernel (signed zeros and subnormals included)', (t) => {
  const src = planes(4, 37, 23, 1);
  t.true(
    bits(src).some((b) => b === 0x80000000),
    'the input holds -0',
  );
  for (const kind of KINDS) {
    const fast = resamplePlanes(src, 4, axis(37, 37), axis(23, 23), kind);
    const full = resampleSeparable(src, 4, axis(37, 37), axis(23, 23), kind);
    t.deepEqual(bits(fast), bits(full), kind);
    t.not(fast, src, 'a new array, never the caller’s');
  }
  // The filter turns -0 into +0; so does the copy.
  t.false(bits(resamplePlanes(src, 4, axis(37, 37), axis(23, 23), 'bilinear')).some((b) => b === 0x80000000));
});

test('a scale-1 crop at whole-pixel offsets copies the window, equal to the filter', (t) => {
  const src = planes(3, 50, 40, 2);
  for (const kind of KINDS) {
    const maps: [AxisMap, AxisMap] = [axis(50, 32, 9), axis(40, 32, 8)];
    t.deepEqual(bits(resamplePlanes(src, 3, ...maps, kind)), bits(resampleSeparable(src, 3, ...maps, kind)), kind);
  }
});

test('which maps copy: identity and whole-pixel crops at scale 1, nothing else', (t) => {
  t.true(copiesPlanes(axis(192, 192), axis(192, 192)));
  t.true(copiesPlanes(axis(50, 32, 9), axis(40, 32, 8)));
  t.false(copiesPlanes(axis(30, 20, 0.5), axis(30, 20)));
  t.false(copiesPlanes(axis(30, 15, 0, 2), axis(30, 15, 0, 2)));
  t.false(copiesPlanes(axis(30, 30, 1), axis(30, 30)));
  t.false(copiesPlanes(axis(30, 30, -1), axis(30, 30)));
  t.false(copiesPlanes(axis(640, 192, 0, 640 / 192), axis(480, 192, 0, 2.5)));
});

test('maps that are not one to one (fractional offset, scale ≠ 1, window past the edge) still filter', (t) => {
  const src = planes(2, 30, 30, 3);
  const cases: [AxisMap, AxisMap][] = [
    [axis(30, 20, 0.5), axis(30, 20, 0)],
    [axis(30, 15, 0, 2), axis(30, 15, 0, 2)],
    [axis(30, 30, 1), axis(30, 30)],
  ];
  for (const [mx, my] of cases)
    t.deepEqual(bits(resamplePlanes(src, 2, mx, my, 'bilinear')), bits(resampleSeparable(src, 2, mx, my, 'bilinear')));
});

test('non-finite samples take the filter (0 × ∞ spreads NaN to neighbours there); results stay equal', (t) => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    const src = planes(3, 16, 16, 4);
    src[5 * 16 + 7] = bad;
    for (const kind of KINDS) {
      const fast = resamplePlanes(src, 3, axis(16, 16), axis(16, 16), kind);
      const full = resampleSeparable(src, 3, axis(16, 16), axis(16, 16), kind);
      t.deepEqual(bits(fast), bits(full), `${bad} ${kind}`);
    }
  }
});

test('frames at the input size: resize (now a copy) and a single tile give the same tensor', async (t) => {
  // A raw 192×192 RGB window of a real aerial photo, and the Olinda Landsat scene at its own size.
  const { data } = await sharp(REAL.aero1)
    .extract({ left: 100, top: 60, width: 192, height: 192 })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = {
    id: 'raw',
    modality: 'optical',
    timestamp: 0,
    pixels: {
      data: new Uint8Array(data),
      width: 192,
      height: 192,
      bands: 3,
      dtype: 'uint8' as const,
      layout: 'hwc' as const,
    },
  };
  const olinda = frameOf(readFileSync(REAL.olinda), 'multispectral', { id: 'olinda', sensor: 'landsat7-etm' });
  for (const [frame, inputSize] of [
    [raw, 192],
    [olinda, { width: 349, height: 352 }],
  ] as const) {
    const resized = await preprocessFrame(frame, { inputSize, fit: 'resize' });
    const tiled = await preprocessFrame(frame, { inputSize, fit: 'tile', statistics: 'frame' });
    t.is(tiled.layout.tiles.length, 1);
    t.deepEqual(resized.batches[0]!.shape, tiled.batches[0]!.shape);
    t.deepEqual(bits(resized.batches[0]!.data), bits(tiled.batches[0]!.data), frame.id);
  }
});

test('nearest resize of a 3×3 raw multispectral patch to 24×24 gives exact 8×8 blocks (the trained Statlog input)', async (t) => {
  // A Statlog-like patch: 3×3 pixels × 4 bands, pixel-major (HWC), every sample distinct.
  const hwc = Uint8Array.from({ length: 36 }, (_, i) => 40 + i * 5);
  const frame = frameOf({ data: hwc, width: 3, height: 3, bands: 4, dtype: 'uint8', layout: 'hwc' }, 'multispectral');
  const pre = await preprocessFrame(frame, { inputSize: 24, interpolation: 'nearest', stretch: 'none' });
  t.deepEqual(pre.batches[0]!.shape, [1, 4, 24, 24]);
  const d = pre.batches[0]!.data;
  for (let c = 0; c < 4; c++) {
    for (let y = 0; y < 24; y++) {
      for (let x = 0; x < 24; x++) {
        const src = hwc[(Math.floor(y / 8) * 3 + Math.floor(x / 8)) * 4 + c]!;
        t.is(
          d[c * 576 + y * 24 + x],
          Math.fround((src - MULTISPECTRAL_MEAN_255[c]!) / MULTISPECTRAL_STD_255[c]!),
          `c${c} y${y} x${x}`,
        );
      }
    }
  }
  // The taps alone, for every integer factor up to 16: source pixel i covers output pixels [i·k, (i + 1)·k).
  for (let k = 1; k <= 16; k++) {
    const taps = axisTaps({ srcLen: 3, dstLen: 3 * k, offset: 0, scale: 1 / k }, 'nearest');
    t.deepEqual(
      Array.from(taps.start),
      Array.from({ length: 3 * k }, (_, u) => Math.floor(u / k)),
      `factor ${k}`,
    );
  }
});
