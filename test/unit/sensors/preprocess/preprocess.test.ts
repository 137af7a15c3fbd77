import test from 'ava';
import { readFileSync } from 'node:fs';
import { preprocessPair } from '../../../../sdk/sensors/preprocess/pair.js';
import { preprocessFrame } from '../../../../sdk/sensors/preprocess/preprocess.js';
import { sharedData, testIf } from '../../../helpers/shared-data.js';
import { GENERATED, REAL, SHARED_ONLY, frameOf } from '../../../fixtures/frames/index.js';

test('Olinda in 192-pixel tiles: batches, layout and georeference ready for a multispectral entry', async (t) => {
  const pre = await preprocessFrame(
    frameOf(readFileSync(REAL.olinda), 'multispectral', { id: 'olinda', sensor: 'landsat7-etm' }),
    { inputSize: 192, fit: 'tile', batchSize: 4 },
  );
  const l = pre.layout;
  t.is(l.tiles.length, 9); // 349 and 352 each need three 192-tiles to share ≥ 48 pixels
  t.deepEqual(
    pre.batches.map((b) => b.shape),
    [
      [4, 4, 192, 192],
      [4, 4, 192, 192],
      [1, 4, 192, 192],
    ],
  );
  t.deepEqual(pre.batches[2]!.tiles, [8]);
  t.is(l.georef?.epsg, 31985);
  t.is(l.radiometry.regions.length, 9, 'tile statistics: one stretch per tile');
  t.true(pre.batches[0]!.data.every(Number.isFinite));
  t.deepEqual(JSON.parse(JSON.stringify(l)), l, 'the layout is plain JSON');
});

test('generated complex quad-pol GeoTIFF → 8-channel SAR-L1 input; with power prepended → 9', async (t) => {
  const pre = await preprocessFrame(frameOf(GENERATED.quadpol, 'sar-l1', { sensor: 'quadpol-slc' }), {
    inputSize: 32,
    fit: 'tile',
    overlap: 8,
  });
  t.is(pre.layout.input.channels, 8);
  t.true(pre.batches[0]!.data.every((v) => v >= -1 && v <= 1));
  const sl1 = pre.layout.radiometry.regions[0]!.sarL1!;
  t.is(sl1.scaling, 'span-clip');
  const p9 = await preprocessFrame(frameOf(GENERATED.quadpol, 'sar-l1'), { inputSize: 32, sarL1Power: 'prepend' });
  t.is(p9.batches[0]!.shape[1], 9);
});

test('timestamps may be ISO strings; frames from paths name the file in errors', async (t) => {
  const pre = await preprocessFrame(frameOf(REAL.aero3, 'optical', { timestamp: '2024-05-01T10:00:00Z' }), {
    inputSize: 32,
  });
  t.is(pre.layout.timestamp, '2024-05-01T10:00:00Z');
  const e = await t.throwsAsync(
    preprocessFrame(frameOf(REAL.aero3, 'multispectral', { id: 'cam' }), { inputSize: 32 }),
  );
  t.is((e as { file?: string }).file, REAL.aero3);
});

test('BAD CALL - options are checked at the edge and named', async (t) => {
  const f = frameOf(REAL.aero3, 'optical');
  const cases: [unknown, RegExp][] = [
    [undefined, /Expected an object with at least inputSize for options/],
    [{}, /for options.inputSize but received undefined/],
    [{ inputSize: 0 }, /Expected an integer between 1 and 16384 for options.inputSize but received 0/],
    [{ inputSize: 64, overlapp: 8 }, /unknown option options.overlapp; did you mean options.overlap\?/],
    [{ inputSize: 64, fit: 'tile', overlap: 64 }, /for options.overlap but received 64/],
    [{ inputSize: 64, batchSize: 0 }, /options.batchSize/],
    [{ inputSize: 64, fit: 'crop' }, /one of "resize", "resize-crop", "tile" for options.fit/],
    [
      { inputSize: 64, limits: { maxPixel: 1 } },
      /unknown option options.limits.maxPixel; did you mean options.limits.maxPixels\?/,
    ],
  ];
  for (const [options, re] of cases) {
    const e = await t.throwsAsync(preprocessFrame(f, options as never));
    t.is((e as { code?: string }).code, 'E_INVALID_ARGUMENT', String(re));
    t.regex(e!.message, re);
  }
});

test('EXPECTED FAILURE - malformed frame fields are E_FRAME_INVALID naming the field', async (t) => {
  const cases: [unknown, RegExp][] = [
    [null, /expected a frame object but received null/],
    [{ modality: 'optical', timestamp: 0, pixels: 'x' }, /frame "\(no id\)": frame.id must be a non-empty string/],
    [{ id: 'a', modality: 'Optical', timestamp: 0, pixels: 'x' }, /frame.modality must be a modality id/],
    [
      { id: 'a', modality: 'optical', timestamp: 'yesterday', pixels: 'x' },
      /frame.timestamp must be epoch milliseconds or an ISO-8601 string/,
    ],
    [{ id: 'a', modality: 'optical', timestamp: 0, pixels: 42 }, /frame.pixels must be a Buffer\/Uint8Array/],
    [
      { id: 'a', modality: 'hyperspectral', timestamp: 0, pixels: new Uint8Array(3) },
      /modality "hyperspectral" has no preprocessing here/,
    ],
    [
      {
        id: 'a',
        modality: 'optical',
        timestamp: 0,
        pixels: { data: new Uint8Array(4), width: 0, height: 2, bands: 1, dtype: 'uint8', layout: 'chw' },
      },
      /frame.pixels.width must be a positive integer/,
    ],
  ];
  for (const [frame, re] of cases) {
    const e = await t.throwsAsync(preprocessFrame(frame as never, { inputSize: 8 }));
    t.is((e as { code?: string }).code, 'E_FRAME_INVALID', String(re));
    t.regex(e!.message, re);
  }
});

test('EXPECTED FAILURE - a pair that is not co-registered', async (t) => {
  const e = await t.throwsAsync(
    preprocessPair(
      frameOf(REAL.olinda, 'multispectral', { id: 'a', sensor: 'landsat7-etm' }),
      frameOf(REAL.aero1, 'multispectral', {
        id: 'b',
        sensor: { id: 'rgb-as-ms', modality: 'multispectral', bands: [1, 2, 3, 3] },
      }),
      { inputSize: 64, fit: 'tile' },
    ),
  );
  t.is((e as { code?: string }).code, 'E_FRAME_INVALID');
  t.regex(e!.message, /frames "a" and "b" are not co-registered: 349×352 vs 640×480/);
});

testIf(sharedData(SHARED_ONLY.ethiopia2000) !== undefined && sharedData(SHARED_ONLY.ethiopia2010) !== undefined, test)(
  'Landsat-5 Ethiopia 2000/2010 pair: aligned tiles for a change entry [../shared/data]',
  async (t) => {
    const a = frameOf(sharedData(SHARED_ONLY.ethiopia2000)!, 'multispectral', { id: 't0', sensor: 'landsat5-tm' });
    const b = frameOf(sharedData(SHARED_ONLY.ethiopia2010)!, 'multispectral', { id: 't1', sensor: 'landsat5-tm' });
    const [p0, p1] = await preprocessPair(a, b, { inputSize: 64, fit: 'tile', overlap: 16 });
    t.is(p0.layout.tiles.length, 4);
    t.deepEqual(
      p0.batches.map((x) => x.shape),
      p1.batches.map((x) => x.shape),
    );
    t.is(p0.layout.georef?.epsg, 32637);
  },
);

testIf(sharedData(SHARED_ONLY.asar) !== undefined, test)(
  'ENVISAT ASAR PNG as a SAR-L2 frame [../shared/data]',
  async (t) => {
    const pre = await preprocessFrame(
      frameOf(sharedData(SHARED_ONLY.asar)!, 'sar-l2', { sensor: 'sar-l2-amplitude' }),
      { inputSize: 192, fit: 'tile' },
    );
    t.is(pre.layout.input.channels, 3);
    t.is(pre.layout.source.width, 470);
    t.true(pre.layout.radiometry.regions.every((r) => r.stretch!.bands[0]!.high > r.stretch!.bands[0]!.low));
  },
);
