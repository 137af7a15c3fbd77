import test from 'ava';
import { fromFile } from 'geotiff';
import { decodeFrame } from '../../../../sdk/sensors/codecs/decode.js';
import { encodeGeoTiff } from '../../../../sdk/sensors/codecs/geotiff-encode.js';
import {
  WGS84_A,
  WGS84_ES,
  deriveGeoref,
  mapToPixel,
  pixelAreaM2,
  pixelToMap,
  type GeoReference,
} from '../../../../sdk/sensors/geometry/georef.js';
import { GENERATED, REAL, frameOf } from '../../../fixtures/frames/index.js';

test('Olinda: transform, EPSG and units from the GeoTIFF tags', async (t) => {
  const { georef } = await decodeFrame(frameOf(REAL.olinda, 'multispectral'));
  t.truthy(georef);
  const g = georef!;
  // ModelTiepoint (0, 0) → (288776.25, 9120760.75), ModelPixelScale 28.5 (as stored, to 1e-6 m).
  t.true(Math.abs(g.transform[0] - 288776.25) < 1e-5);
  t.true(Math.abs(g.transform[3] - 9120760.75) < 1e-4);
  t.true(Math.abs(g.transform[1] - 28.5) < 1e-8);
  t.true(Math.abs(g.transform[5] + 28.5) < 1e-8);
  t.is(g.epsg, 31985);
  t.is(g.crsKind, 'projected');
  t.is(g.unit, 'metre');
  t.regex(g.citation!, /SIRGAS 2000 \/ UTM zone 25S/);
  // The far corner equals geotiff.js's own bounding box.
  const tiff = await fromFile(REAL.olinda);
  const bbox = (await tiff.getImage()).getBoundingBox();
  await tiff.close();
  const [x, y] = pixelToMap(g, 349, 352);
  t.true(Math.abs(x - bbox[2]!) < 1e-6);
  t.true(Math.abs(y - bbox[1]!) < 1e-6);
  t.true(Math.abs(pixelAreaM2(g)! - 28.5 * 28.5) < 1e-6);
});

test('DEM and land cover: user-defined CRSs have no EPSG but metre units and a PROJ definition from their GeoKeys', async (t) => {
  const dem = (await decodeFrame(frameOf(REAL.olindaDem, 'sar-l2'))).georef!;
  t.is(dem.epsg, undefined);
  t.is(dem.metresPerUnit, 1);
  // ProjectionGeoKey 16125 (UTM zone 25S) on a user-defined GRS 1980 datum.
  t.is(dem.proj4, '+proj=utm +zone=25 +south +a=6378137 +rf=298.257222101 +towgs84=0,0,0 +units=m +no_defs');
  t.true(Math.abs(dem.transform[1] - 89.99406734945116) < 1e-9);
  const lc = (await decodeFrame(frameOf(REAL.landcover, 'optical'))).georef!;
  t.deepEqual(lc.transform, [3092415, 3000, 0, 59415, 0, -3000]);
  t.is(pixelAreaM2(lc), 9e6);
  // Albers (ProjCoordTransGeoKey 11) on NAD83 (GeographicTypeGeoKey 4269, through the EPSG registry).
  t.regex(lc.proj4!, /^\+proj=aea \+lat_0=23 \+lon_0=-96 \+lat_1=29\.5 \+lat_2=45\.5 \+x_0=0 \+y_0=0 \+ellps=GRS80/);
});

test('pixel ↔ map round trips, including a rotated transform', (t) => {
  const g: GeoReference = {
    transform: [1000, 2, 0.5, 5000, 0.25, -2],
    crsKind: 'projected',
    metresPerUnit: 1,
    unit: 'metre',
  };
  for (const [c, r] of [
    [0, 0],
    [10.5, 3.25],
    [-4, 100],
  ] as const) {
    const [x, y] = pixelToMap(g, c, r);
    const [c2, r2] = mapToPixel(g, x, y);
    t.true(Math.abs(c2 - c) < 1e-9 && Math.abs(r2 - r) < 1e-9);
  }
  t.deepEqual(pixelToMap(g, 1, 0), [1002, 5000.25]);
  t.is(pixelAreaM2(g), Math.abs(2 * -2 - 0.5 * 0.25));
});

test('a rotated georeference survives GeoTIFF write and read (ModelTransformation)', async (t) => {
  const g: GeoReference = {
    transform: [500000, 10, 2, 4000000, 1.5, -10],
    crsKind: 'projected',
    epsg: 32633,
    unit: 'metre',
    metresPerUnit: 1,
  };
  const bytes = encodeGeoTiff(
    { width: 8, height: 6, dtype: 'uint8', complex: false, planes: [new Uint8Array(48)] },
    { georef: g },
  );
  const back = (await decodeFrame(frameOf(bytes, 'sar-l2'))).georef!;
  t.deepEqual(back.transform, g.transform);
  t.is(back.epsg, 32633);
});

test('PixelIsPoint files are moved to the corner convention (half a pixel)', async (t) => {
  const g: GeoReference = {
    transform: [100, 10, 0, 200, 0, -10],
    crsKind: 'projected',
    epsg: 32633,
    unit: 'metre',
    metresPerUnit: 1,
  };
  const bytes = encodeGeoTiff(
    { width: 4, height: 4, dtype: 'uint8', complex: false, planes: [new Uint8Array(16)] },
    { georef: g, pixelIsPoint: true },
  );
  const back = (await decodeFrame(frameOf(bytes, 'sar-l2'))).georef!;
  t.deepEqual(back.transform, g.transform);
});

test('geographic CRS: pixel area from latitude on the WGS 84 ellipsoid', async (t) => {
  const g = (await decodeFrame(frameOf(GENERATED.ms16, 'multispectral'))).georef!;
  t.is(g.crsKind, 'geographic');
  t.is(g.epsg, 4326);
  t.is(g.unit, 'degree');
  // Row 0 spans latitudes -7.5 … -7.75 and 0.25° of longitude: integrate the ellipsoid's area
  // element a²(1−e²)cos φ / (1 − e² sin² φ)² numerically (Simpson, 64 steps).
  const rad = Math.PI / 180;
  const f = (phi: number): number =>
    (WGS84_A ** 2 * (1 - WGS84_ES) * Math.cos(phi)) / (1 - WGS84_ES * Math.sin(phi) ** 2) ** 2;
  const lo = -7.75 * rad;
  const hi = -7.5 * rad;
  const n = 64;
  const h = (hi - lo) / n;
  let sum = f(lo) + f(hi);
  for (let i = 1; i < n; i++) sum += (i % 2 ? 4 : 2) * f(lo + i * h);
  const expected = ((sum * h) / 3) * 0.25 * rad;
  t.true(Math.abs(pixelAreaM2(g, 0)! / expected - 1) < 1e-10);
  // ≈ 760 km² per cell near the equator.
  t.true(Math.abs(expected / 1e6 - 760) < 10);
});

test('deriveGeoref composes crops and scales exactly', (t) => {
  const g: GeoReference = {
    transform: [288776.25, 28.5, 0, 9120760.75, 0, -28.5],
    crsKind: 'projected',
    metresPerUnit: 1,
  };
  const d = deriveGeoref(g, 157, 144, 0.5, 2);
  t.deepEqual(pixelToMap(d, 3, 7), pixelToMap(g, 157 + 3 * 0.5, 144 + 7 * 2));
});

test('EXPECTED FAILURE - a singular transform cannot be inverted', (t) => {
  const g: GeoReference = { transform: [0, 1, 2, 0, 2, 4], crsKind: 'unknown' };
  const e = t.throws(() => mapToPixel(g, 1, 1));
  t.is((e as { code?: string }).code, 'E_INVALID_ARGUMENT');
});
