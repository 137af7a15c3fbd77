/**
 * The stretch of integer samples by counting (stretch-integer.ts) and the preprocessing path that
 * uses it (integer-bands.ts): both must give what the float path gives — the same samples as
 * float32 planes through stretchRegion, and through preprocessFrame the same pixels handed over as
 * a float32 raw frame — value for value, on the real Landsat files and on generated extremes.
 */
import test from 'ava';
import { decodeFrame } from '../../../../sdk/sensors/codecs/decode.js';
import { integerSensorBands } from '../../../../sdk/sensors/bands/integer-bands.js';
import { resolveSensorConfig } from '../../../../sdk/sensors/bands/sensor-config.js';
import { checkFrameFields, type Frame } from '../../../../sdk/sensors/frame.js';
import { preprocessFrame } from '../../../../sdk/sensors/preprocess/preprocess.js';
import type { PreprocessOptions } from '../../../../sdk/sensors/preprocess/preprocess-options.js';
import type { IntegerPlane, PlaneArray } from '../../../../sdk/sensors/raster.js';
import type { Region } from '../../../../sdk/sensors/radiometry/percentile.js';
import { stretchIntegerRegion } from '../../../../sdk/sensors/radiometry/stretch-integer.js';
import { STRETCH_METHODS, stretchRegion } from '../../../../sdk/sensors/radiometry/stretch.js';
import { createRng } from '../../../../sdk/sensors/synthetic/rng.js';
import { GENERATED, REAL, SHARED_ONLY, frameOf } from '../../../fixtures/frames/index.js';
import { sharedData } from '../../../helpers/shared-data.js';

/** Both stretches of `planes` inside `region`; fails the test where a value or a parameter differs. */
function assertSameStretch(
  t: import('ava').ExecutionContext,
  planes: IntegerPlane[],
  width: number,
  region: Region,
  mask: Uint8Array | undefined,
  what: string,
): void {
  const floats = planes.map((p) => Float32Array.from(p));
  for (const method of STRETCH_METHODS) {
    const want = stretchRegion(floats, width, region, mask, method);
    const got = stretchIntegerRegion(planes, width, region, mask, method);
    const label = `${what}, ${method}, region ${JSON.stringify(region)}${mask ? ', masked' : ''}`;
    t.deepEqual(got.info, want.info, label);
    got.out.forEach((o, b) => {
      t.is(o.constructor, method === 'precise' ? Float32Array : Uint8Array, label);
      const same = o.length === want.out[b]!.length && o.every((v, i) => Object.is(v, want.out[b]![i]));
      t.true(same, `${label}, band ${b + 1}`);
    });
  }
}

/** A mask over a corner block and every 13th pixel. */
function someMask(width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i += 13) mask[i] = 1;
  for (let y = 0; y < height >> 2; y++) mask.fill(1, y * width, y * width + (width >> 2));
  return mask;
}

function regionsOf(width: number, height: number): Region[] {
  return [
    { x: 0, y: 0, width, height },
    { x: 7, y: 5, width: Math.min(40, width - 7), height: Math.min(31, height - 5) },
    { x: 0, y: height - 1, width, height: 1 },
    { x: 0, y: 0, width: Math.min(17, width), height: Math.min(9, height) },
  ];
}

async function assertSameOnFile(t: import('ava').ExecutionContext, frame: Frame, bands: number[]): Promise<void> {
  const d = await decodeFrame(frame);
  const { width, height } = d.raster;
  const planes = bands.map((b) => d.raster.planes[b]! as IntegerPlane);
  const mask = someMask(width, height);
  for (const region of regionsOf(width, height)) {
    assertSameStretch(t, planes, width, region, undefined, String(frame.pixels));
    assertSameStretch(t, planes, width, region, mask, String(frame.pixels));
  }
}

test('counting stretch equals the float stretch on the real Landsat-7 Olinda scene (uint8), every method, masked or not', async (t) => {
  await assertSameOnFile(t, frameOf(REAL.olinda, 'multispectral'), [0, 1, 2, 3]);
});

test('counting stretch equals the float stretch on the generated uint16 frame with a no-data block', async (t) => {
  await assertSameOnFile(t, frameOf(GENERATED.ms16, 'multispectral'), [0, 1, 2, 3]);
});

test('counting stretch equals the float stretch on the real Landsat-5 Ethiopia pair [../shared/data]', async (t) => {
  const paths = [SHARED_ONLY.ethiopia2000, SHARED_ONLY.ethiopia2010].map((p) => sharedData(p));
  if (paths.some((p) => !p)) {
    t.log('SKIPPED: the Landsat-5 Ethiopia stacks are not under ../shared/data');
    return t.pass();
  }
  for (const path of paths) await assertSameOnFile(t, frameOf(path!, 'multispectral'), [0, 1, 2, 3]);
});

test('counting stretch equals the float stretch at the edges of every integer type: extremes, flat bands, nothing valid', (t) => {
  const rng = createRng(17);
  const w = 37;
  const h = 23;
  const n = w * h;
  const fill = <T extends IntegerPlane>(p: T, lo: number, hi: number): T => {
    for (let i = 0; i < n; i++) p[i] = lo + Math.floor(rng.next() * (hi - lo + 1));
    p[0] = lo;
    p[n - 1] = hi;
    return p;
  };
  const cases: Array<[string, IntegerPlane[]]> = [
    ['int8 full range', [fill(new Int8Array(n), -128, 127), fill(new Int8Array(n), -5, 3)]],
    ['int16 full range', [fill(new Int16Array(n), -32768, 32767), fill(new Int16Array(n), 100, 140)]],
    ['uint16 full range', [fill(new Uint16Array(n), 0, 65535), fill(new Uint16Array(n), 4000, 4100)]],
    ['uint16 outliers', [fill(new Uint16Array(n), 300, 900).fill(60000, 5, 8), fill(new Uint16Array(n), 0, 2)]],
    ['uint8 flat band', [new Uint8Array(n).fill(42), fill(new Uint8Array(n), 0, 255)]],
    ['uint8 all flat', [new Uint8Array(n).fill(9), new Uint8Array(n).fill(9)]],
  ];
  for (const [what, planes] of cases) {
    for (const region of regionsOf(w, h)) {
      assertSameStretch(t, planes, w, region, undefined, what);
      assertSameStretch(t, planes, w, region, someMask(w, h), what);
    }
  }
  const all = new Uint8Array(n).fill(1);
  assertSameStretch(t, cases[0]![1], w, { x: 0, y: 0, width: w, height: h }, all, 'nothing valid');
});

/** The decoded samples of `frame` as a float32 raw frame: what the float path reads. */
async function asFloatFrame(frame: Frame): Promise<Frame> {
  const d = await decodeFrame(frame);
  const { width, height, planes } = d.raster;
  const n = width * height;
  const data = new Float32Array(n * planes.length);
  planes.forEach((p: PlaneArray, b) => data.set(p, b * n));
  return {
    ...frame,
    pixels: {
      data,
      width,
      height,
      bands: planes.length,
      dtype: 'float32',
      layout: 'chw',
      ...(d.noData !== undefined ? { noData: d.noData } : {}),
    },
  };
}

const OPTIONS: PreprocessOptions[] = [
  { inputSize: 192 },
  { inputSize: 192, interpolation: 'bicubic' },
  { inputSize: 64, interpolation: 'nearest', stretch: 'precise' },
  { inputSize: 224, fit: 'resize-crop', stretch: 'none' },
  { inputSize: 96, fit: 'tile', overlap: 16 },
  { inputSize: 96, fit: 'tile', statistics: 'frame', stretch: 'precise' },
];

const FILES: Array<{ name: string; frame: () => Frame | undefined }> = [
  { name: 'Landsat-7 Olinda', frame: () => frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' }) },
  { name: 'generated uint16 with no data', frame: () => frameOf(GENERATED.ms16, 'multispectral') },
  {
    name: 'Landsat-5 Ethiopia 2010 [../shared/data]',
    frame: () => {
      const p = sharedData(SHARED_ONLY.ethiopia2010);
      return p ? frameOf(p, 'multispectral', { sensor: 'landsat5-tm' }) : undefined;
    },
  },
  {
    name: 'ENVISAT ASAR PNG, SAR-L2 [../shared/data]',
    frame: () => {
      const p = sharedData(SHARED_ONLY.asar);
      return p ? frameOf(p, 'sar-l2') : undefined;
    },
  },
];

for (const c of FILES) {
  test(`preprocessFrame of integer samples equals the float path bit for bit: ${c.name}`, async (t) => {
    const frame = c.frame();
    if (!frame) {
      t.log('SKIPPED: ../shared/data is absent');
      return t.pass();
    }
    const ref = checkFrameFields(frame);
    const decoded = await decodeFrame(frame);
    t.truthy(
      integerSensorBands(decoded, resolveSensorConfig(frame.sensor, frame.modality, ref), ref),
      'takes the counting path',
    );
    const floatFrame = await asFloatFrame(frame);
    for (const options of OPTIONS) {
      const got = await preprocessFrame(frame, options);
      const want = await preprocessFrame(floatFrame, options);
      const label = JSON.stringify(options);
      t.deepEqual(got.batches, want.batches, label);
      t.deepEqual(got.layout.radiometry, want.layout.radiometry, label);
      t.deepEqual(got.layout.noData, want.layout.noData, label);
      t.deepEqual(got.noDataMask, want.noDataMask, label);
    }
  });
}

test('integer bands are the decoder planes themselves, and only where the float path would only copy them', async (t) => {
  const frame = frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' });
  const ref = checkFrameFields(frame);
  const decoded = await decodeFrame(frame);
  const config = resolveSensorConfig(frame.sensor, frame.modality, ref);
  const bands = integerSensorBands(decoded, config, ref)!;
  t.true(bands.integerPlanes[0] === decoded.raster.planes[0], 'not copied');
  t.deepEqual(bands.bandNames, ['blue', 'green', 'red', 'nir']);
  const scaled = { id: 'x', modality: 'multispectral' as const, bands: [1, 2, 3, 4], scale: [1, 1, 2, 1] };
  t.is(integerSensorBands(decoded, scaled, ref), undefined, 'a scale changes the values');
  const offset = { id: 'x', modality: 'multispectral' as const, bands: [1, 2, 3, 4], offset: 1 };
  t.is(integerSensorBands(decoded, offset, ref), undefined, 'an offset changes the values');
  const gray = await decodeFrame(frameOf(REAL.aeroGray, 'sar-l2'));
  const intensity = { id: 'i', modality: 'sar-l2' as const, sarL2Quantity: 'intensity' as const };
  t.is(integerSensorBands(gray, intensity, ref), undefined, 'intensity is converted to amplitude');
  const optical = resolveSensorConfig(undefined, 'optical', ref);
  t.is(integerSensorBands(await decodeFrame(frameOf(REAL.aero1, 'optical')), optical, ref), undefined);
  const dem = await decodeFrame(frameOf(REAL.olindaDem, 'sar-l2'));
  t.is(integerSensorBands(dem, resolveSensorConfig(undefined, 'sar-l2', ref), ref), undefined, 'float32 samples');
});
