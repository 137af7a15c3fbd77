/**
 * Band identity by meaning on real pixels. Landsat-8/9 and Sentinel-2 files are not available here, so
 * their stacks are GENERATED layouts built from the real Landsat-7 Olinda bands (blue, green, red, NIR,
 * SWIR 1, SWIR 2 put where an OLI/TIRS or MSI stack has them; the bands Landsat-7 lacks are copies
 * of a neighbour). The Landsat-5 stack and its MTL file are real (../shared/data).
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalBand, selectByMeaning } from '../../../../sdk/sensors/bands/band-names.js';
import { decodeFrame } from '../../../../sdk/sensors/codecs/decode.js';
import { encodeGeoTiff } from '../../../../sdk/sensors/codecs/geotiff-encode.js';
import { preprocessPair } from '../../../../sdk/sensors/preprocess/pair.js';
import { preprocessFrame } from '../../../../sdk/sensors/preprocess/preprocess.js';
import { SENSOR_PRESETS } from '../../../../sdk/sensors/bands/presets.js';
import type { Raster } from '../../../../sdk/sensors/raster.js';
import { findSensorMetadata } from '../../../../sdk/sensors/bands/sensor-metadata.js';
import { sharedData, testIf } from '../../../helpers/shared-data.js';
import { REAL, SHARED_ONLY, frameOf } from '../../../fixtures/frames/index.js';

const olinda = await decodeFrame(frameOf(REAL.olinda, 'multispectral'));
const [B, G, R, N, S1, S2] = olinda.raster.planes as Uint8Array[] as [
  Uint8Array,
  Uint8Array,
  Uint8Array,
  Uint8Array,
  Uint8Array,
  Uint8Array,
];
const dir = mkdtempSync(join(tmpdir(), 'band-meaning-'));

/** A GeoTIFF of Olinda's pixels in another band order, on Olinda's grid. */
function stack(name: string, planes: Uint8Array[], descriptions?: string[], sub?: string): string {
  // Each stack in its own folder unless it shares one with metadata on purpose.
  const folder = join(dir, sub ?? name.replace(/\.tif$/, ''));
  mkdirSync(folder, { recursive: true });
  const raster: Raster = {
    width: olinda.raster.width,
    height: olinda.raster.height,
    dtype: 'uint8',
    complex: false,
    planes,
  };
  const file = join(folder, name);
  writeFileSync(
    file,
    encodeGeoTiff(raster, { georef: olinda.georef!, ...(descriptions ? { bandDescriptions: descriptions } : {}) }),
  );
  return file;
}

// Landsat-8/9 OLI/TIRS bands 1-7 and 9-11: coastal aerosol first (GENERATED layout, real pixels).
const OLI_TIRS = [B, B, G, R, N, S1, S2, S2, S1, S1];
const size = { inputSize: 64, fit: 'tile' as const, overlap: 16 };

test('a Landsat-8 OLI/TIRS 10-band stack without a sensor is refused, naming the presets and --bands', async (t) => {
  const file = stack('oli-tirs.tif', OLI_TIRS);
  const e = await t.throwsAsync(preprocessFrame(frameOf(file, 'multispectral', { id: 'l8' }), size));
  t.is((e as { code?: string }).code, 'E_FRAME_INVALID');
  t.regex(e!.message, /which of the frame's 10 bands is which is not known/);
  t.regex(e!.message, /presets with 10 bands: landsat8-oli-tirs, landsat9-oli-tirs, sentinel2-10m-20m/);
  t.regex(e!.message, /--bands 2,3,4,5/);
});

test('landsat8-oli-tirs feeds stack bands 2, 3, 4, 5 — the NIR channel is NIR, not red', async (t) => {
  t.deepEqual(SENSOR_PRESETS['landsat8-oli-tirs']!.bands, [2, 3, 4, 5]);
  const file = stack('oli-tirs.tif', OLI_TIRS);
  const l8 = await preprocessFrame(frameOf(file, 'multispectral', { sensor: 'landsat8-oli-tirs' }), size);
  const l7 = await preprocessFrame(frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' }), size);
  t.deepEqual(l8.layout.bandNames, ['blue', 'green', 'red', 'nir']);
  // Same pixels in a different stack: the model sees exactly what the Landsat-7 frame gives it.
  t.deepEqual(
    l8.batches.map((b) => b.data),
    l7.batches.map((b) => b.data),
  );
  // What the positional default used to feed (bands 1-4: coastal, blue, green, red) differs.
  const positional = await preprocessFrame(
    frameOf(file, 'multispectral', { sensor: { id: 'first-four', modality: 'multispectral', bands: [1, 2, 3, 4] } }),
    size,
  );
  t.notDeepEqual(positional.batches[0]!.data, l7.batches[0]!.data);
});

test('GDAL band descriptions say which band is which (names, STAC common names, Sentinel-2 wavelengths)', async (t) => {
  const named = stack('oli-named.tif', OLI_TIRS, [
    'Coastal aerosol',
    'Blue',
    'Green',
    'Red',
    'Near Infrared',
    'SWIR 1',
    'SWIR 2',
    'Cirrus',
    'Thermal Infrared 1',
    'Thermal Infrared 2',
  ]);
  const d = await decodeFrame(frameOf(named, 'multispectral'));
  t.is(d.bandDescriptions![4], 'Near Infrared');
  const ref = await preprocessFrame(frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' }), size);
  const pre = await preprocessFrame(frameOf(named, 'multispectral'), size);
  t.deepEqual(
    pre.batches.map((b) => b.data),
    ref.batches.map((b) => b.data),
  );
  t.deepEqual(pre.warnings, []);
  // Sentinel-2 L2A, 12 bands as GDAL's SENTINEL2 driver describes them: NIR is B8 (band 8), not B8A.
  const s2Names = [
    'B1, central wavelength 443 nm',
    'B2, central wavelength 490 nm',
    'B3, central wavelength 560 nm',
    'B4, central wavelength 665 nm',
    'B5, central wavelength 705 nm',
    'B6, central wavelength 740 nm',
    'B7, central wavelength 783 nm',
    'B8, central wavelength 842 nm',
    'B8A, central wavelength 865 nm',
    'B9, central wavelength 945 nm',
    'B11, central wavelength 1610 nm',
    'B12, central wavelength 2190 nm',
  ];
  const s2 = stack('s2-l2a.tif', [B, B, G, R, N, N, N, N, S1, S1, S1, S2], s2Names);
  const s2pre = await preprocessFrame(frameOf(s2, 'multispectral'), size);
  t.deepEqual(
    s2pre.batches.map((b) => b.data),
    ref.batches.map((b) => b.data),
  );
  const stac = stack('stac.tif', [G, R, N, B], ['green', 'red', 'nir08', 'blue']);
  t.deepEqual(
    (await preprocessFrame(frameOf(stac, 'multispectral'), size)).batches.map((b) => b.data),
    ref.batches.map((b) => b.data),
  );
});

test('EXPECTED FAILURE - a preset that contradicts the file, and described bands without NIR', async (t) => {
  const six = stack('six.tif', [B, B, G, R, N, S1], ['Coastal aerosol', 'Blue', 'Green', 'Red', 'NIR', 'SWIR 1']);
  const e = await t.throwsAsync(preprocessFrame(frameOf(six, 'multispectral', { sensor: 'landsat7-etm' }), size));
  t.is((e as { code?: string }).code, 'E_FRAME_INVALID');
  t.regex(
    e!.message,
    /sensor landsat7-etm says band 1 is blue but the file describes it as "Coastal aerosol" \(coastal\)/,
  );
  const noNir = stack('rgb-swir.tif', [B, G, R, S1, S2], ['Blue', 'Green', 'Red', 'SWIR 1', 'SWIR 2']);
  const e2 = await t.throwsAsync(preprocessFrame(frameOf(noNir, 'multispectral'), size));
  t.regex(
    e2!.message,
    /the file's band descriptions name the bands 1=blue 2=green 3=red 4=swir1 5=swir2: no nir or nir-narrow/,
  );
});

test('band codes need the sensor: SR_B2 is blue on OLI and green on TM; a Landsat MTL beside the file settles it', async (t) => {
  t.is(canonicalBand('SR_B2', 'landsat-oli'), 'blue');
  t.is(canonicalBand('SR_B2', 'landsat-tm'), 'green');
  t.is(canonicalBand('SR_B2'), undefined);
  t.is(canonicalBand('B02'), 'blue'); // zero-padded codes are Sentinel-2's
  t.is(canonicalBand('B8A'), 'nir-narrow');
  const codes = ['SR_B1', 'SR_B2', 'SR_B3', 'SR_B4', 'SR_B5', 'SR_B6', 'SR_B7'];
  const alone = stack('LC08_L2SP_214066_20130417_20200912_02_T1_SR.tif', OLI_TIRS.slice(0, 7), codes, 'no-mtl');
  const e = await t.throwsAsync(preprocessFrame(frameOf(alone, 'multispectral'), size));
  t.regex(e!.message, /which of the frame's 7 bands is which is not known/);
  // A minimal MTL in the Collection-2 form beside the stack (generated text, real field names).
  const file = stack('LC08_L2SP_214066_20130417_20200912_02_T1_SR.tif', OLI_TIRS.slice(0, 7), codes, 'with-mtl');
  writeFileSync(
    join(dir, 'with-mtl', 'LC08_L2SP_214066_20130417_20200912_02_T1_MTL.txt'),
    'GROUP = LANDSAT_METADATA_FILE\n  GROUP = IMAGE_ATTRIBUTES\n    SPACECRAFT_ID = "LANDSAT_8"\n    SENSOR_ID = "OLI_TIRS"\n  END_GROUP = IMAGE_ATTRIBUTES\nEND_GROUP = LANDSAT_METADATA_FILE\nEND\n',
  );
  const pre = await preprocessFrame(frameOf(file, 'multispectral'), size);
  const ref = await preprocessFrame(frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' }), size);
  t.deepEqual(
    pre.batches.map((b) => b.data),
    ref.batches.map((b) => b.data),
  );
  t.deepEqual(pre.layout.bandNames, ['blue', 'green', 'red', 'nir']);
});

test('Sentinel-2 20 m stack beside MTD_MSIL2A.xml: preset sentinel2-20m, NIR is B8A', async (t) => {
  const file = stack('T25MFU_20m.tif', [B, G, R, N, N, N, N, S1, S2], undefined, 's2-safe');
  writeFileSync(
    join(dir, 's2-safe', 'MTD_MSIL2A.xml'),
    '<?xml version="1.0"?>\n<n1:Level-2A_User_Product><General_Info><Product_Info><Datatake><SPACECRAFT_NAME>Sentinel-2B</SPACECRAFT_NAME></Datatake></Product_Info></General_Info></n1:Level-2A_User_Product>\n',
  );
  const pre = await preprocessFrame(frameOf(file, 'multispectral'), size);
  t.is(pre.layout.sensorId, 'sentinel2-20m');
  t.deepEqual(pre.layout.bandNames, ['blue', 'green', 'red', 'nir-narrow']);
  t.regex(
    pre.warnings.join('\n'),
    /Sentinel-2B MSI L2A \(MTD_MSIL2A\.xml\) metadata beside the frame: preset sentinel2-20m/,
  );
});

test('a 4-band frame without a sensor is read as B, G, R, NIR and says so', async (t) => {
  const file = stack('bgrn.tif', [B, G, R, N]);
  const pre = await preprocessFrame(frameOf(file, 'multispectral'), size);
  t.deepEqual(pre.layout.bandNames, ['blue', 'green', 'red', 'nir']);
  t.regex(pre.warnings.join('\n'), /band meaning not given: the 4 bands are read as blue, green, red, NIR/);
});

test('change detection across sensors: Landsat-7 ETM+ and Landsat-8 OLI/TIRS pair up; other bands are refused', async (t) => {
  const l8 = stack('oli-tirs.tif', OLI_TIRS);
  const o = { inputSize: 64, fit: 'tile' as const };
  const [a, b] = await preprocessPair(
    frameOf(REAL.olinda, 'multispectral', { id: 'l7-2001', sensor: 'landsat7-etm' }),
    frameOf(l8, 'multispectral', { id: 'l8-2013', sensor: 'landsat8-oli-tirs' }),
    o,
  );
  t.deepEqual(a.layout.bandNames, b.layout.bandNames);
  const falseColour = { ...SENSOR_PRESETS['landsat8-oli-tirs']!, id: 'l8-false-colour', bands: [5, 4, 3, 2] };
  delete (falseColour as { bandNames?: string[] }).bandNames;
  const e = await t.throwsAsync(
    preprocessPair(
      frameOf(REAL.olinda, 'multispectral', { id: 'l7-2001', sensor: 'landsat7-etm' }),
      frameOf(l8, 'multispectral', { id: 'l8-2013', sensor: falseColour }),
      o,
    ),
  );
  t.is((e as { code?: string }).code, 'E_FRAME_INVALID');
  t.regex(
    e!.message,
    /feed different bands to the model \(landsat7-etm: blue, green, red, nir; l8-false-colour: nir, red, green, blue\)/,
  );
});

test('every multispectral preset selects blue, green, red and NIR by name', (t) => {
  for (const p of Object.values(SENSOR_PRESETS)) {
    if (p.modality !== 'multispectral') continue;
    const chosen = selectByMeaning(p.sourceBands!, 'multispectral');
    t.false('missing' in chosen, p.id);
    t.is(p.expectedBands, p.sourceBands!.length);
    t.deepEqual(
      p.bands!.map((b) => p.sourceBands![b - 1]),
      p.bandNames,
      p.id,
    );
  }
  t.deepEqual(SENSOR_PRESETS['sentinel2-l1c']!.bands, [2, 3, 4, 8]);
  t.deepEqual(SENSOR_PRESETS['landsat7-etm-8band']!.bands, [1, 2, 3, 4]);
  t.deepEqual(SENSOR_PRESETS['planetscope-8band']!.bands, [2, 4, 6, 8]);
});

const ethiopia = sharedData(SHARED_ONLY.ethiopia2000);
testIf(ethiopia !== undefined, test)(
  'real Landsat-5 TM stack without a sensor: the MTL in its bands/ folder picks landsat5-tm [../shared/data]',
  async (t) => {
    const meta = await findSensorMetadata(ethiopia!);
    t.like(meta, { family: 'landsat-tm', platform: 'landsat5' });
    const pre = await preprocessFrame(frameOf(ethiopia!, 'multispectral'), { inputSize: 32 });
    t.is(pre.layout.sensorId, 'landsat5-tm');
    t.regex(pre.warnings.join('\n'), /LANDSAT_5 TM \(LT05_L1TP_167055_20000309_20161214_01_T1_MTL\.txt\)/);
    // The same stack copied away from its MTL is refused: 7 bands, meaning unknown.
    mkdirSync(join(dir, 'lone'));
    const lone = join(dir, 'lone', 'lone-tm.tif');
    copyFileSync(ethiopia!, lone);
    const e = await t.throwsAsync(preprocessFrame(frameOf(lone, 'multispectral'), { inputSize: 32 }));
    t.regex(e!.message, /presets with 7 bands: landsat4-tm, landsat5-tm/);
  },
);

const HAS_GDAL = spawnSync('gdal_translate', ['--version']).status === 0;
testIf(HAS_GDAL, test)(
  'a GeoTIFF written by GDAL with band descriptions, bands in NIR, red, green, blue order: read by meaning [needs gdal_translate]',
  async (t) => {
    // gdal_translate picks and reorders Olinda's bands into a VRT; its descriptions are added, and GDAL writes the GeoTIFF.
    mkdirSync(join(dir, 'gdal'));
    const vrt = join(dir, 'gdal', 'nrgb.vrt');
    execFileSync('gdal_translate', ['-q', '-of', 'VRT', '-b', '4', '-b', '3', '-b', '2', '-b', '1', REAL.olinda, vrt]);
    const names = ['Near Infrared', 'Red', 'Green', 'Blue'];
    let k = 0;
    writeFileSync(
      vrt,
      readFileSync(vrt, 'utf8').replace(
        /<VRTRasterBand [^>]*>/g,
        (m) => `${m}\n    <Description>${names[k++]}</Description>`,
      ),
    );
    const tif = join(dir, 'gdal', 'nrgb.tif');
    execFileSync('gdal_translate', ['-q', vrt, tif]);
    const d = await decodeFrame(frameOf(tif, 'multispectral'));
    t.deepEqual(d.bandDescriptions, names);
    const pre = await preprocessFrame(frameOf(tif, 'multispectral'), size);
    t.deepEqual(pre.warnings, [], 'not the 4-band default: the descriptions decided');
    const ref = await preprocessFrame(frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' }), size);
    t.deepEqual(
      pre.batches.map((b) => b.data),
      ref.batches.map((b) => b.data),
    );
  },
);
