/**
 * Map coordinates → longitude/latitude for the station's world map: WGS 84 / CRS84 as they are,
 * Web Mercator (EPSG:3857) and the UTM zones of WGS 84 (EPSG:326zz north, 327zz south) and SIRGAS
 * 2000 (EPSG:31965–31976 zones 11N–22N, 31977–31985 zones 17S–25S) by their inverse projections.
 * Other CRSs are not drawn on the map (the page says so).
 */

/** [lon, lat] in degrees. */
export type LonLat = [number, number];

const A = 6_378_137;
const F = 1 / 298.257223563;
const K0 = 0.9996;

/** A function from map coordinates of `crs` to lon/lat, or undefined when the CRS is not supported. */
export function toLonLat(crs: string | undefined): ((xy: readonly [number, number]) => LonLat) | undefined {
  const m = /^EPSG:(\d+)$/.exec(crs ?? '');
  const code = m ? Number(m[1]) : undefined;
  if (crs === 'CRS84' || crs === 'OGC:CRS84' || code === 4326 || code === 4674 || code === 4269)
    return ([x, y]) => [x, y];
  if (code === 3857 || code === 900913)
    return ([x, y]) => [(x / A) * (180 / Math.PI), (2 * Math.atan(Math.exp(y / A)) - Math.PI / 2) * (180 / Math.PI)];
  if (code === undefined) return undefined;
  let zone: number | undefined;
  let south = false;
  if (code >= 32601 && code <= 32660) zone = code - 32600;
  else if (code >= 32701 && code <= 32760) [zone, south] = [code - 32700, true];
  else if (code >= 31965 && code <= 31976) zone = code - 31954;
  else if (code >= 31977 && code <= 31985) [zone, south] = [code - 31960, true];
  if (zone === undefined) return undefined;
  const z = zone;
  return ([x, y]) => utmInverse(x, y, z, south);
}

/** Inverse transverse Mercator (Snyder's series), accurate to well under a metre within a zone. */
function utmInverse(easting: number, northing: number, zone: number, south: boolean): LonLat {
  const e2 = F * (2 - F);
  const ep2 = e2 / (1 - e2);
  const x = easting - 500_000;
  const y = south ? northing - 10_000_000 : northing;
  const mu = y / K0 / (A * (1 - e2 / 4 - (3 * e2 * e2) / 64 - (5 * e2 ** 3) / 256));
  const e1 = (1 - Math.sqrt(1 - e2)) / (1 + Math.sqrt(1 - e2));
  const phi1 =
    mu +
    ((3 * e1) / 2 - (27 * e1 ** 3) / 32) * Math.sin(2 * mu) +
    ((21 * e1 * e1) / 16 - (55 * e1 ** 4) / 32) * Math.sin(4 * mu) +
    ((151 * e1 ** 3) / 96) * Math.sin(6 * mu) +
    ((1097 * e1 ** 4) / 512) * Math.sin(8 * mu);
  const s = Math.sin(phi1);
  const c = Math.cos(phi1);
  const t = Math.tan(phi1);
  const n1 = A / Math.sqrt(1 - e2 * s * s);
  const t1 = t * t;
  const c1 = ep2 * c * c;
  const r1 = (A * (1 - e2)) / (1 - e2 * s * s) ** 1.5;
  const d = x / (n1 * K0);
  const lat =
    phi1 -
    ((n1 * t) / r1) *
      ((d * d) / 2 -
        ((5 + 3 * t1 + 10 * c1 - 4 * c1 * c1 - 9 * ep2) * d ** 4) / 24 +
        ((61 + 90 * t1 + 298 * c1 + 45 * t1 * t1 - 252 * ep2 - 3 * c1 * c1) * d ** 6) / 720);
  const lon =
    (d -
      ((1 + 2 * t1 + c1) * d ** 3) / 6 +
      ((5 - 2 * c1 + 28 * t1 - 3 * c1 * c1 + 8 * ep2 + 24 * t1 * t1) * d ** 5) / 120) /
    c;
  const lon0 = (zone - 1) * 6 - 180 + 3;
  return [lon0 + (lon * 180) / Math.PI, (lat * 180) / Math.PI];
}
