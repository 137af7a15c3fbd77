/**
 * Map geometry against GDAL's own answers (test/fixtures/crs/gdal-answers.json, made by
 * make-gdal-answers.sh with Debian's gdal-bin and GeographicLib's Planimeter): units, WGS 84
 * longitude/latitude of pixels, footprints and ellipsoidal areas for projected CRSs in metres and in
 * feet, EPSG and user-defined, and a geographic CRS.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveCrs, describeProj, wktUnit, type EpsgRegistry } from '../../../../sdk/sensors/geometry/crs.js';
import { decodeFrame } from '../../../../sdk/sensors/codecs/decode.js';
import { encodeGeoTiff } from '../../../../sdk/sensors/codecs/geotiff-encode.js';
import {
  footprintLonLat,
  pixelAreaM2,
  pixelToLonLat,
  type GeoReference,
} from '../../../../sdk/sensors/geometry/georef.js';
import { labelAreas, areaUnitOf } from '../../../../sdk/tasks/areas.js';
import { REPO_ROOT } from '../../../helpers/shared-data.js';
import { frameOf } from '../../../fixtures/frames/index.js';

const CRS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'crs');

interface GdalAnswer {
  geoTransform: number[];
  unit: { name: string; factor: number };
  wgs84Extent: { type: 'Polygon'; coordinates: [number, number][][] };
  pixels: [number, number][];
  lonLat: [number, number][];
  planimeterRhumbAreaM2?: { pixel00: number; raster: number };
}

const ANSWERS = JSON.parse(readFileSync(join(CRS_DIR, 'gdal-answers.json'), 'utf8')) as Record<string, GdalAnswer>;

const FILES: Record<string, string> = {
  'olinda-epsg4326.tif': join(CRS_DIR, 'olinda-epsg4326.tif'),
  'olinda-tmerc-ft-custom.tif': join(CRS_DIR, 'olinda-tmerc-ft-custom.tif'),
  'olinda-laea-custom.tif': join(CRS_DIR, 'olinda-laea-custom.tif'),
  'olinda-lcc-usft-custom.tif': join(CRS_DIR, 'olinda-lcc-usft-custom.tif'),
  'olinda-polar-stereo-custom.tif': join(CRS_DIR, 'olinda-polar-stereo-custom.tif'),
  'olinda-pixels-epsg2263.tif': join(CRS_DIR, 'olinda-pixels-epsg2263.tif'),
  'L7_ETMs.tif': join(REPO_ROOT, 'examples', 'data', 'landsat7-olinda', 'L7_ETMs.tif'),
  'olinda_dem_utm25s.tif': join(REPO_ROOT, 'examples', 'data', 'landsat7-olinda', 'olinda_dem_utm25s.tif'),
  'lc.tif': join(REPO_ROOT, 'examples', 'data', 'landcover-pr', 'lc.tif'),
};

async function decoded(
  name: string,
): Promise<{ georef: GeoReference; width: number; height: number; warnings: string[] }> {
  const d = await decodeFrame(frameOf(FILES[name]!, 'optical'));
  return { georef: d.georef!, width: d.raster.width, height: d.raster.height, warnings: d.warnings };
}

/** Metres on the ground per degree of latitude, for tolerances. */
const M_PER_DEG = 111_000;

for (const name of Object.keys(FILES)) {
  test(`${name}: unit, WGS 84 lon/lat of pixels and footprint match GDAL`, async (t) => {
    const gdal = ANSWERS[name]!;
    const { georef, width, height, warnings } = await decoded(name);
    t.deepEqual(warnings, []);
    t.truthy(georef.proj4, 'every test file has a CRS with a PROJ definition');
    for (let i = 0; i < 6; i++)
      t.true(
        Math.abs(georef.transform[i]! - gdal.geoTransform[i]!) <= 1e-9 * Math.max(1, Math.abs(gdal.geoTransform[i]!)),
      );
    if (gdal.unit.name === 'degree') {
      t.is(georef.crsKind, 'geographic');
      t.is(georef.unit, 'degree');
    } else {
      t.is(georef.crsKind, 'projected');
      t.true(
        Math.abs(georef.metresPerUnit! / gdal.unit.factor - 1) < 1e-12,
        `${georef.metresPerUnit} m per unit, GDAL ${gdal.unit.factor}`,
      );
    }
    // Pixel → lon/lat within 1 cm on the ground (gdaltransform prints 10 decimals).
    for (let i = 0; i < gdal.pixels.length; i++) {
      const [c, r] = gdal.pixels[i]!;
      const ours = pixelToLonLat(georef, c, r)!;
      const theirs = gdal.lonLat[i]!;
      const err =
        Math.hypot((ours[0] - theirs[0]) * Math.cos((theirs[1] * Math.PI) / 180), ours[1] - theirs[1]) * M_PER_DEG;
      t.true(err < 0.01, `${name} pixel (${c}, ${r}): ${ours} vs GDAL ${theirs}, ${err.toFixed(4)} m`);
    }
    // Footprint: the same ring as gdalinfo's wgs84Extent (printed to 7 decimals).
    const fp = footprintLonLat(georef, width, height)!;
    t.is(fp.coordinates[0]!.length, 5);
    for (let i = 0; i < 5; i++) {
      const a = fp.coordinates[0]![i]!;
      const b = gdal.wgs84Extent.coordinates[0]![i]!;
      t.true(Math.abs(a[0] - b[0]) < 1e-6 && Math.abs(a[1] - b[1]) < 1e-6, `${name} footprint ${i}: ${a} vs GDAL ${b}`);
    }
  });
}

test('projected pixel areas are the grid area in square metres of the CRS unit, as GDAL defines the unit', async (t) => {
  for (const name of [
    'L7_ETMs.tif',
    'olinda-tmerc-ft-custom.tif',
    'olinda-lcc-usft-custom.tif',
    'olinda-pixels-epsg2263.tif',
    'lc.tif',
  ]) {
    const gdal = ANSWERS[name]!;
    const { georef } = await decoded(name);
    const gt = gdal.geoTransform;
    const expected = Math.abs(gt[1]! * gt[5]! - gt[2]! * gt[4]!) * gdal.unit.factor ** 2;
    t.true(Math.abs(pixelAreaM2(georef)! / expected - 1) < 1e-12, `${name}: ${pixelAreaM2(georef)} vs ${expected}`);
  }
  // The State Plane file: 209.6 US survey feet ≈ 63.89 m, so ≈ 4081 m² — not 43 932 (feet² taken as m²).
  const { georef } = await decoded('olinda-pixels-epsg2263.tif');
  t.is(georef.unit, 'us-survey-foot');
  t.true(Math.abs(pixelAreaM2(georef)! - 4081.5) < 1);
});

test('EPSG:2263 without a linear-unit key: the unit comes from the EPSG definition (US survey feet)', async (t) => {
  const g: GeoReference = { transform: [1000000, 209.6, 0, 200000, 0, -209.6], crsKind: 'projected', epsg: 2263 };
  const bytes = encodeGeoTiff(
    { width: 8, height: 8, dtype: 'uint8', complex: false, planes: [new Uint8Array(64)] },
    { georef: g },
  );
  const d = await decodeFrame(frameOf(bytes, 'sar-l2'));
  const back = d.georef!;
  t.is(back.epsg, 2263);
  t.is(back.unit, 'us-survey-foot');
  t.true(Math.abs(back.metresPerUnit! - 1200 / 3937) < 1e-12);
  t.is(back.crsName, 'NAD83 / New York Long Island (ftUS)');
  // The same corner as the GDAL-made file with the same georeference.
  const gdal = ANSWERS['olinda-pixels-epsg2263.tif']!;
  const ours = pixelToLonLat(back, 0, 0)!;
  t.true(Math.abs(ours[0] - gdal.lonLat[0]![0]) < 1e-8 && Math.abs(ours[1] - gdal.lonLat[0]![1]) < 1e-8);
  // Areas: 209.6 ftUS squared in m², not in ft² (≈ 10.76× too large).
  t.true(Math.abs(pixelAreaM2(back)! - ((209.6 * 1200) / 3937) ** 2) < 1e-6);
});

test('geographic CRS: pixel and raster areas on the ellipsoid match GeographicLib (rhumb-edged rectangles)', async (t) => {
  const gdal = ANSWERS['olinda-epsg4326.tif']!;
  const { georef, width, height } = await decoded('olinda-epsg4326.tif');
  t.true(Math.abs(pixelAreaM2(georef, 0, 0)! / gdal.planimeterRhumbAreaM2!.pixel00 - 1) < 2e-6);
  const ones = new Uint8Array(width * height);
  const { areas } = labelAreas(ones, width, height, 1, georef);
  t.true(
    Math.abs(areas[0]! / gdal.planimeterRhumbAreaM2!.raster - 1) < 1e-8,
    `${areas[0]} vs ${gdal.planimeterRhumbAreaM2!.raster}`,
  );
  t.is(areaUnitOf(georef).areaUnit, 'm2');
  t.is(areaUnitOf(georef).crs, 'EPSG:4326');
});

test('no CRS: areas are in pixels and say so; no lon/lat', (t) => {
  const g: GeoReference = { transform: [0, 1, 0, 0, 0, -1], crsKind: 'unknown' };
  t.is(pixelAreaM2(g), undefined);
  t.is(pixelToLonLat(g, 0, 0), undefined);
  t.is(footprintLonLat(g, 10, 10), undefined);
  t.deepEqual(areaUnitOf(g), { areaUnit: 'pixel' });
  t.deepEqual(areaUnitOf(undefined), { areaUnit: 'pixel' });
  t.deepEqual(labelAreas(new Uint8Array([0, 1, 1, 0]), 2, 2, 2, undefined).areas, [2, 2]);
});

test('a caller-supplied PROJ string and EPSG code are resolved (units, kind, name)', async (t) => {
  const custom = await resolveCrs({
    transform: [0, 100, 0, 0, 0, -100],
    crsKind: 'unknown',
    proj4: '+proj=tmerc +lon_0=10 +k=0.9996 +x_0=500000 +ellps=GRS80 +units=us-ft',
  });
  t.is(custom.crsKind, 'projected');
  t.is(custom.unit, 'us-survey-foot');
  t.true(Math.abs(pixelAreaM2(custom)! - ((100 * 1200) / 3937) ** 2) < 1e-6);
  const utm = await resolveCrs({ transform: [500000, 10, 0, 0, 0, -10], crsKind: 'projected', epsg: 32633 });
  t.is(utm.unit, 'metre');
  t.is(utm.crsName, 'WGS 84 / UTM zone 33N');
  const [lon, lat] = pixelToLonLat(utm, 0, 0)!;
  t.true(Math.abs(lon - 15) < 1e-12 && Math.abs(lat) < 1e-12);
});

test('the registry is read one code at a time, and an unknown code is reported, not guessed', async (t) => {
  const asked: number[] = [];
  const registry: EpsgRegistry = async (code) => {
    asked.push(code);
    return undefined;
  };
  const warnings: string[] = [];
  const g = await resolveCrs(
    { transform: [0, 10, 0, 0, 0, -10], crsKind: 'projected', epsg: 999999 },
    (m) => warnings.push(m),
    registry,
  );
  t.deepEqual(asked, [999999]);
  t.is(g.proj4, undefined);
  t.is(g.metresPerUnit, undefined);
  t.is(pixelAreaM2(g), undefined);
  t.deepEqual(areaUnitOf(g), { areaUnit: 'pixel', crs: 'EPSG:999999' });
  t.regex(warnings[0]!, /EPSG:999999 .*no PROJ definition.*areas in pixels/);
});

test('a unit key that contradicts the EPSG code is reported and the EPSG definition wins', async (t) => {
  const warnings: string[] = [];
  const g = await resolveCrs(
    { transform: [0, 10, 0, 0, 0, -10], crsKind: 'projected', epsg: 2263, unit: 'metre', metresPerUnit: 1 },
    (m) => warnings.push(m),
  );
  t.is(g.unit, 'us-survey-foot');
  t.regex(warnings[0]!, /EPSG:2263 is in US survey foot/);
});

test('WKT and PROJ unit readers', (t) => {
  t.deepEqual(
    wktUnit(
      'PROJCS["x",GEOGCS["y",UNIT["degree",0.0174532925199433]],UNIT["US survey foot",0.304800609601219],AXIS["E",EAST]]',
    ),
    { name: 'US survey foot', factor: 0.304800609601219 },
  );
  t.is(describeProj('+proj=longlat +ellps=intl').kind, 'geographic');
  t.true(Math.abs(describeProj('+proj=longlat +ellps=intl').a - 6378388) < 1e-9);
  t.throws(() => describeProj('+proj=nosuchprojection'));
});

test('EXPECTED FAILURE - a caller georeference with an unusable PROJ string is a coded frame error', async (t) => {
  const { preprocessFrame } = await import('../../../../sdk/sensors/preprocess/preprocess.js');
  const frame = {
    ...frameOf(FILES['olinda-epsg4326.tif']!, 'optical'),
    georef: { transform: [0, 1, 0, 0, 0, -1], crsKind: 'projected', proj4: '+proj=nosuchprojection' },
  };
  const e = await t.throwsAsync(preprocessFrame(frame as never, { inputSize: 32 } as never));
  t.is((e as { code?: string }).code, 'E_FRAME_INVALID');
  t.regex(e!.message, /georef\.proj4/);
});
