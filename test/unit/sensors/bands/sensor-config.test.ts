import test from 'ava';
import { readFileSync } from 'node:fs';
import { decodeFrame } from '../../../../sdk/sensors/codecs/decode.js';
import { landsatScaling, parseLandsatMtl, withLandsatScaling } from '../../../../sdk/sensors/radiometry/landsat-mtl.js';
import { SENSOR_PRESETS } from '../../../../sdk/sensors/bands/presets.js';
import { applySensorConfig } from '../../../../sdk/sensors/bands/sensor-bands.js';
import { resolveSensorConfig } from '../../../../sdk/sensors/bands/sensor-config.js';
import { preprocessFrame } from '../../../../sdk/sensors/preprocess/preprocess.js';
import { sharedData, testIf } from '../../../helpers/shared-data.js';
import { GENERATED, REAL, SHARED_ONLY, frameOf } from '../../../fixtures/frames/index.js';

const ref = { id: 't' };

test('landsat7-etm selects ETM+ bands 1-4 (B, G, R, NIR) of the 6-band Olinda stack, in order', async (t) => {
  const d = await decodeFrame(frameOf(REAL.olinda, 'multispectral'));
  const bands = applySensorConfig(d, resolveSensorConfig('landsat7-etm', 'multispectral', ref), ref);
  t.is(bands.planes.length, 4);
  t.deepEqual(bands.bandNames, ['blue', 'green', 'red', 'nir']);
  for (let b = 0; b < 4; b++) t.is(bands.planes[b]![777], d.raster.planes[b]![777]);
  const custom = applySensorConfig(
    d,
    { id: 'swir-nir-red-green', modality: 'multispectral', bands: [5, 4, 3, 2] },
    ref,
  );
  t.is(custom.planes[0]![777], d.raster.planes[4]![777]);
  t.is(custom.planes[3]![777], d.raster.planes[1]![777]);
});

test('scale and offset give physical values; no-data compares in source units', async (t) => {
  const d = await decodeFrame(frameOf(GENERATED.ms16, 'multispectral'));
  const bands = applySensorConfig(
    d,
    { id: 'refl', modality: 'multispectral', scale: [2e-5, 2e-5, 2e-5, 2e-5], offset: -0.1 },
    ref,
  );
  const i = 20 * 48 + 30;
  t.true(Math.abs(bands.planes[2]![i]! - (d.raster.planes[2]![i]! * 2e-5 - 0.1)) < 1e-6);
  // GDAL_NODATA 0 in the 8×8 corner: masked even though 0·scale + offset ≠ 0.
  t.is(bands.noDataCount, 64);
  t.is(bands.noDataMask![0], 1);
  t.is(bands.planes[0]![0], 0);
});

test('optical frames take 1 band as gray (replicated) and 16-bit with a scale', async (t) => {
  const gray = await preprocessFrame(frameOf(REAL.aeroGray, 'optical'), { inputSize: 16 });
  const g = gray.batches[0]!.data;
  t.is(gray.layout.input.channels, 3);
  t.true(Math.abs(g[5]! * 58.395 + 123.675 - (g[256 + 5]! * 57.12 + 116.28)) < 1e-3);
  const ok = await preprocessFrame(
    frameOf(GENERATED.gray16Png, 'optical', { sensor: { id: 'cam16', modality: 'optical', scale: 1 / 257 } }),
    { inputSize: 8 },
  );
  t.is(ok.layout.sensorId, 'cam16');
});

test('NaN declared as no-data is masked; other NaN/Inf are refused', async (t) => {
  const pre = await preprocessFrame(frameOf(GENERATED.floatNan, 'sar-l2'), { inputSize: 8 });
  t.true(Math.abs(pre.layout.noData.fraction - Math.ceil((32 * 24) / 7) / (32 * 24)) < 1e-9);
  const data = new Float32Array(16).fill(1);
  data[5] = Infinity;
  const e = await t.throwsAsync(
    preprocessFrame(
      frameOf({ data, width: 4, height: 4, bands: 1, dtype: 'float32', layout: 'chw' }, 'sar-l2', { id: 'inf' }),
      { inputSize: 4 },
    ),
  );
  t.is((e as { code?: string }).code, 'E_FRAME_INVALID');
  t.regex(e!.message, /frame "inf": band 1 has an infinite sample at x=1, y=1/);
});

test('EXPECTED FAILURE - band counts and sample types that do not fit the modality', async (t) => {
  const cases: [Parameters<typeof frameOf>, RegExp][] = [
    [
      [REAL.olinda, 'multispectral', { sensor: 'landsat5-tm' }],
      /sensor landsat5-tm expects 7 bands but the frame has 6/,
    ],
    [[REAL.aero1, 'multispectral'], /which of the frame's 3 bands is which is not known/],
    [[GENERATED.gray16Png, 'optical'], /optical frames must be 8-bit but the frame is uint16/],
    [[REAL.olinda, 'sar-l1'], /sar-l1 \(re, im\) band pairs must be float or signed integers but are uint8/],
    [[GENERATED.quadpol, 'multispectral'], /multispectral frames must be real-valued but the frame is complex64/],
    [[REAL.olinda, 'optical', { sensor: 'quadpol-slc' }], /sensor quadpol-slc feeds sar-l1 but the frame is optical/],
    [
      [REAL.olinda, 'optical', { sensor: 'landsat9' }],
      /unknown sensor preset "landsat9"; known: landsat4-tm, landsat5-tm/,
    ],
    [
      [REAL.olinda, 'optical', { sensor: { id: 'x', modality: 'optical', bands: [1, 2] } as never }],
      /frame.sensor.bands must select 3 band\(s\) for optical/,
    ],
    [
      [REAL.olinda, 'optical', { sensor: { id: 'x', modality: 'optical', sclae: 2 } as never }],
      /frame.sensor.sclae is not a sensor configuration field/,
    ],
  ];
  for (const [args, re] of cases) {
    const e = await t.throwsAsync(preprocessFrame(frameOf(...args), { inputSize: 16 }));
    t.is((e as { code?: string }).code, 'E_FRAME_INVALID', String(re));
    t.regex(e!.message, re);
  }
});

test('every preset is a valid configuration', (t) => {
  for (const [id, preset] of Object.entries(SENSOR_PRESETS)) {
    t.is(preset.id, id);
    t.is(resolveSensorConfig(id, preset.modality, ref), preset);
  }
});

test('MTL parsing: REFLECTANCE_MULT/ADD and the sun-angle correction (inline file)', (t) => {
  const mtl =
    'GROUP = L1_METADATA_FILE\n  SUN_ELEVATION = 30.0\n  REFLECTANCE_MULT_BAND_1 = 2.0E-03\n  REFLECTANCE_ADD_BAND_1 = -0.1\n  SPACECRAFT_ID = "LANDSAT_7"\nEND_GROUP = L1_METADATA_FILE\n';
  t.is(parseLandsatMtl(mtl).SPACECRAFT_ID, 'LANDSAT_7');
  const s = landsatScaling(mtl, [1]);
  t.is(s.quantity, 'toa-reflectance');
  t.true(Math.abs(s.scale[0]! - 4e-3) < 1e-12); // sin 30° = 0.5
  t.true(Math.abs(s.offset[0]! + 0.2) < 1e-12);
  const e = t.throws(() => landsatScaling(mtl, [2]));
  t.is((e as { code?: string }).code, 'E_CONFIG');
});

testIf(sharedData(SHARED_ONLY.ethiopia2000Mtl) !== undefined, test)(
  'Landsat-5 Ethiopia MTL files: reflectance (2000) and radiance-only (2010) scaling [../shared/data]',
  (t) => {
    const m2000 = readFileSync(sharedData(SHARED_ONLY.ethiopia2000Mtl)!, 'utf8');
    const s = landsatScaling(m2000, [1, 2, 3, 4]);
    t.is(s.quantity, 'toa-reflectance');
    const sin = Math.sin((53.14715018 * Math.PI) / 180);
    t.true(Math.abs(s.scale[0]! - 1.2203e-3 / sin) < 1e-12);
    t.true(Math.abs(s.offset[3]! - -0.007155 / sin) < 1e-12);
    const m2010 = readFileSync(sharedData(SHARED_ONLY.ethiopia2010Mtl)!, 'utf8');
    const r = landsatScaling(m2010, [1, 2, 3, 4]);
    t.is(r.quantity, 'radiance');
    t.deepEqual(r.scale, [0.766, 1.448, 1.044, 0.876]);
    const cfg = withLandsatScaling(SENSOR_PRESETS['landsat5-tm']!, m2000);
    t.is(cfg.id, 'landsat5-tm+toa-reflectance');
  },
);

testIf(sharedData(SHARED_ONLY.ethiopia2000) !== undefined, test)(
  'Landsat-5 TM 7-band stack with its preset: GDAL_NODATA 255 is masked [../shared/data]',
  async (t) => {
    const path = sharedData(SHARED_ONLY.ethiopia2000)!;
    const d = await decodeFrame(frameOf(path, 'multispectral'));
    t.is(d.noData, 255);
    const bands = applySensorConfig(d, resolveSensorConfig('landsat5-tm', 'multispectral', ref), ref);
    let expected = 0;
    for (let i = 0; i < 101 * 101; i++) if ([0, 1, 2, 3].some((b) => d.raster.planes[b]![i] === 255)) expected++;
    t.is(bands.noDataCount, expected);
  },
);
