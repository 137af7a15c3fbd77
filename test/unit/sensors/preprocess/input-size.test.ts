/**
 * Frames already at the input size are normalised straight from their planes (applyAffineToCopy;
 * optical ones clamped in the same pass, opticalAtInputSize) instead of being copied by the
 * resampling first: the tensors are bit for bit those of the copy followed by applyAffine (signed
 * zeros, subnormals, repeated channels, no affine), and a plane with a non-finite sample is
 * refused so that the filter handles it as before.
 */
import test from 'ava';
import { decodeFrame } from '../../../../sdk/sensors/codecs/decode.js';
import { applySensorConfig } from '../../../../sdk/sensors/bands/sensor-bands.js';
import { resolveSensorConfig } from '../../../../sdk/sensors/bands/sensor-config.js';
import type { Frame } from '../../../../sdk/sensors/frame.js';
import { resamplePlanes, type AxisMap } from '../../../../sdk/sensors/geometry/resample.js';
import { preprocessFrame } from '../../../../sdk/sensors/preprocess/preprocess.js';
import {
  resolvePreprocessOptions,
  type PreprocessOptions,
} from '../../../../sdk/sensors/preprocess/preprocess-options.js';
import {
  applyAffine,
  applyAffineToCopy,
  opticalAtInputSize,
  regionBeforeAffine,
} from '../../../../sdk/sensors/radiometry/radiometry.js';
import type { SensorBands } from '../../../../sdk/sensors/bands/sensor-bands.js';
import { Rng } from '../../../../tools/frames/seeded.js';

const bits = (a: Float32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];
const whole = (n: number): AxisMap => ({ srcLen: n, dstLen: n, offset: 0, scale: 1 });

/** A plane of awkward values: signed zeros, subnormals, values outside 0–255, ordinary noise. */
function plane(n: number, rng: Rng): Float32Array {
  const special = [0, -0, 1e-45, -1e-45, -3, 255, 300, 1e-30];
  return Float32Array.from({ length: n }, () =>
    rng.uniform() < 0.3 ? special[Math.floor(rng.uniform() * special.length)]! : rng.uniform() * 255,
  );
}

test('applyAffineToCopy equals copying the planes whole and then applyAffine, bit for bit', (t) => {
  const rng = new Rng(3, 'affine-copy');
  const size = 29 * 17;
  const planes = [plane(size, rng), plane(size, rng), plane(size, rng)];
  const affines = [
    { mean: [123.7, 116.3, 103.5], std: [58.4, 57.1, 57.4] },
    // A mean of 0 keeps the sign of a zero: the copy's −0 → +0 must show.
    { mean: [0, 0, 0], std: [1, 2, 0.5] },
    undefined,
  ];
  for (const affine of affines) {
    for (const channel of [
      [0, 1, 2],
      [0, 0, 0],
      [2, 0],
    ]) {
      const copied = planes.map((p) => resamplePlanes(p, 1, whole(29), whole(17), 'bilinear'));
      const want = applyAffine(copied, channel, affine, size);
      const got = applyAffineToCopy(planes, channel, affine, size);
      t.deepEqual(bits(got!), bits(want), `${affine ? `mean ${affine.mean[0]}` : 'no affine'}, channels ${channel}`);
    }
  }
});

test('applyAffineToCopy refuses planes with a non-finite sample (the filter takes them)', (t) => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const p = new Float32Array(12).fill(1);
    p[7] = bad;
    t.is(applyAffineToCopy([new Float32Array(12), p], [0, 1], undefined, 12), undefined, String(bad));
  }
});

test('opticalAtInputSize equals clamping, copying and normalising step by step (±Infinity clamp to finite; NaN refused)', (t) => {
  const rng = new Rng(5, 'optical-input-size');
  const w = 31;
  const h = 9;
  const bandsOf = (planes: Float32Array[]): SensorBands => ({
    width: w,
    height: h,
    planes,
    noDataCount: 0,
    bandNames: ['red', 'green', 'blue'],
    sensorId: 'test',
    warnings: [],
  });
  const planes = [plane(w * h, rng), plane(w * h, rng), plane(w * h, rng)];
  planes[1]![5] = Infinity;
  planes[2]![8] = -Infinity;
  for (const normalise of [undefined, { mean: [0, 0, 0], std: [1, 3, 0.25] }]) {
    const o = resolvePreprocessOptions({ inputSize: { width: w, height: h }, ...(normalise ? { normalise } : {}) });
    const region = regionBeforeAffine(bandsOf(planes), 'optical', { x: 0, y: 0, width: w, height: h }, o);
    const copied = region.planes.map((p) => resamplePlanes(p, 1, whole(w), whole(h), o.interpolation));
    const want = applyAffine(copied, region.channel, region.affine, w * h);
    t.deepEqual(bits(opticalAtInputSize(bandsOf(planes), o)!), bits(want), normalise ? 'mean 0' : 'ImageNet');
  }
  const withNaN = planes.map((p) => p.slice());
  withNaN[0]![3] = NaN;
  t.is(
    opticalAtInputSize(bandsOf(withNaN), resolvePreprocessOptions({ inputSize: { width: w, height: h } })),
    undefined,
  );
});

/** The tensor of a frame at the input size through the resampling's copy, step by step. */
async function throughCopy(frame: Frame, options: PreprocessOptions): Promise<Float32Array> {
  const o = resolvePreprocessOptions(options);
  const decoded = await decodeFrame(frame, { limits: o.limits });
  const bands = applySensorConfig(decoded, resolveSensorConfig(frame.sensor, frame.modality, decoded.ref), decoded.ref);
  const region = regionBeforeAffine(bands, frame.modality, { x: 0, y: 0, width: o.width, height: o.height }, o);
  const copied = region.planes.map((p) => resamplePlanes(p, 1, whole(o.width), whole(o.height), o.interpolation));
  return applyAffine(copied, region.channel, region.affine, o.width * o.height);
}

test('frames at the input size give the tensor of the resampling copy (optical bytes and floats, SAR-L2)', async (t) => {
  const rng = new Rng(4, 'input-size');
  const w = 48;
  const h = 40;
  const frames: [string, Frame, PreprocessOptions][] = [
    [
      'optical RGB bytes, interleaved',
      {
        id: 'rgb',
        modality: 'optical',
        timestamp: 0,
        pixels: {
          data: Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rng.uniform() * 256)),
          width: w,
          height: h,
          bands: 3,
          dtype: 'uint8',
          layout: 'hwc',
        },
      },
      { inputSize: { width: w, height: h } },
    ],
    [
      'optical floats (a sensor scale of 1) with values outside 0–255, mean 0',
      {
        id: 'floats',
        modality: 'optical',
        timestamp: 0,
        sensor: { id: 'float-camera', modality: 'optical', scale: 1 },
        pixels: { data: plane(w * h * 3, rng), width: w, height: h, bands: 3, dtype: 'float32', layout: 'chw' },
      },
      { inputSize: { width: w, height: h }, normalise: { mean: [0, 0, 0], std: [1, 1, 1] } },
    ],
    [
      'SAR-L2 amplitude, one band for three channels',
      {
        id: 'sar',
        modality: 'sar-l2',
        timestamp: 0,
        pixels: {
          data: Float32Array.from({ length: w * h }, () => rng.uniform() * 0.8),
          width: w,
          height: h,
          bands: 1,
          dtype: 'float32',
          layout: 'chw',
        },
      },
      { inputSize: { width: w, height: h } },
    ],
  ];
  for (const [name, frame, options] of frames) {
    const want = await throughCopy(frame, options);
    const pre = await preprocessFrame(frame, options);
    t.deepEqual(bits(pre.batches[0]!.data), bits(want), name);
  }
});
