/**
 * Map coordinates → lon/lat for the station map: the UTM inverse against the forward transverse
 * Mercator series (Snyder, USGS PP 1395, eq. 8-9 to 8-10) at points across a zone, both
 * hemispheres; Web Mercator; unsupported CRSs.
 */
import test from 'ava';
import { toLonLat } from '../../../tools/station/geo.js';

/** Forward UTM (WGS 84), written independently of the inverse under test. */
function utm(lon: number, lat: number, zone: number): [number, number] {
  const a = 6378137;
  const f = 1 / 298.257223563;
  const e2 = f * (2 - f);
  const ep2 = e2 / (1 - e2);
  const k0 = 0.9996;
  const phi = (lat * Math.PI) / 180;
  const dl = ((lon - ((zone - 1) * 6 - 180 + 3)) * Math.PI) / 180;
  const n = a / Math.sqrt(1 - e2 * Math.sin(phi) ** 2);
  const t = Math.tan(phi) ** 2;
  const c = ep2 * Math.cos(phi) ** 2;
  const A = dl * Math.cos(phi);
  const m =
    a *
    ((1 - e2 / 4 - (3 * e2 ** 2) / 64 - (5 * e2 ** 3) / 256) * phi -
      ((3 * e2) / 8 + (3 * e2 ** 2) / 32 + (45 * e2 ** 3) / 1024) * Math.sin(2 * phi) +
      ((15 * e2 ** 2) / 256 + (45 * e2 ** 3) / 1024) * Math.sin(4 * phi) -
      ((35 * e2 ** 3) / 3072) * Math.sin(6 * phi));
  const x = k0 * n * (A + ((1 - t + c) * A ** 3) / 6 + ((5 - 18 * t + t * t + 72 * c - 58 * ep2) * A ** 5) / 120);
  const y =
    k0 *
    (m +
      n *
        Math.tan(phi) *
        ((A * A) / 2 +
          ((5 - t + 9 * c + 4 * c * c) * A ** 4) / 24 +
          ((61 - 58 * t + t * t + 600 * c - 330 * ep2) * A ** 6) / 720));
  return [x + 500000, lat < 0 ? y + 10_000_000 : y];
}

test('UTM north and south zones invert the forward projection to well under a metre', (t) => {
  for (const [lon, lat, zone, epsg] of [
    [9.5, 48.2, 32, 'EPSG:32632'],
    [7.1, 60.9, 32, 'EPSG:32632'],
    [-34.85, -8.0, 25, 'EPSG:32725'],
    [-34.85, -8.0, 25, 'EPSG:31985'],
    [57.5, 23.6, 40, 'EPSG:32640'],
    [-48.0, -15.8, 22, 'EPSG:31982'],
  ] as const) {
    const [lo, la] = toLonLat(epsg)!(utm(lon, lat, zone));
    t.true(Math.abs(lo - lon) < 1e-5 && Math.abs(la - lat) < 1e-5, `${epsg} ${lon},${lat} → ${lo},${la}`);
  }
});

test('geographic CRSs pass through; Web Mercator inverts; others are not supported', (t) => {
  t.deepEqual(toLonLat('EPSG:4326')!([12.5, 41.9]), [12.5, 41.9]);
  const [lon, lat] = toLonLat('EPSG:3857')!([1391493.63, 5146011.68]);
  t.true(Math.abs(lon - 12.5) < 1e-6 && Math.abs(lat - 41.9) < 1e-4, `${lon},${lat}`);
  t.is(toLonLat('EPSG:2154'), undefined);
  t.is(toLonLat(undefined), undefined);
  t.is(toLonLat('local grid'), undefined);
});
