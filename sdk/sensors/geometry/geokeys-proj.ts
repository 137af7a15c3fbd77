/**
 * PROJ definitions of user-defined GeoTIFF CRSs (ProjectedCSTypeGeoKey 32767): the projection from
 * ProjectionGeoKey (UTM zones) or ProjCoordTransGeoKey and its parameter keys, the datum from
 * GeographicTypeGeoKey (through the EPSG registry) or the ellipsoid and TOWGS84 keys. Covers the
 * transformations GDAL writes for common user-defined CRSs; anything else yields undefined and the
 * caller says so.
 */
import type { EpsgRegistry } from './crs.js';

const USER_DEFINED = 32767;

/** EPSG ellipsoid codes → PROJ ellipsoid names (the ones GeoTIFF writers use). */
const ELLIPSOIDS: Record<number, string> = {
  7030: 'WGS84',
  7019: 'GRS80',
  7008: 'clrk66',
  7012: 'clrk80',
  7022: 'intl',
  7004: 'bessel',
  7043: 'WGS72',
  7001: 'airy',
  7024: 'krass',
};

type Keys = Record<string, unknown>;

function num(keys: Keys, name: string): number | undefined {
  const v = keys[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `+name=value` for every defined value, in order. */
function params(list: [string, number | undefined][]): string {
  return list
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `+${k}=${v}`)
    .join(' ');
}

/**
 * The projection part (`+proj=…` and its parameters) from the GeoKeys, or undefined. False eastings
 * and northings are in the CRS's unit in GeoTIFF and in metres in PROJ: `metresPerUnit` converts.
 */
export function projectionFromKeys(keys: Keys, metresPerUnit = 1): string | undefined {
  const pcode = num(keys, 'ProjectionGeoKey');
  if (pcode !== undefined && pcode >= 16001 && pcode <= 16060) return `+proj=utm +zone=${pcode - 16000}`;
  if (pcode !== undefined && pcode >= 16101 && pcode <= 16160) return `+proj=utm +zone=${pcode - 16100} +south`;
  const ct = num(keys, 'ProjCoordTransGeoKey');
  const fe =
    num(keys, 'ProjFalseEastingGeoKey') ??
    num(keys, 'ProjFalseOriginEastingGeoKey') ??
    num(keys, 'ProjCenterEastingGeoKey') ??
    0;
  const fn =
    num(keys, 'ProjFalseNorthingGeoKey') ??
    num(keys, 'ProjFalseOriginNorthingGeoKey') ??
    num(keys, 'ProjCenterNorthingGeoKey') ??
    0;
  const natLat = num(keys, 'ProjNatOriginLatGeoKey');
  const natLon = num(keys, 'ProjNatOriginLongGeoKey');
  const k0 = num(keys, 'ProjScaleAtNatOriginGeoKey');
  const sp1 = num(keys, 'ProjStdParallel1GeoKey');
  const sp2 = num(keys, 'ProjStdParallel2GeoKey');
  const centerLat = num(keys, 'ProjCenterLatGeoKey');
  const centerLon = num(keys, 'ProjCenterLongGeoKey');
  const foLat = num(keys, 'ProjFalseOriginLatGeoKey');
  const foLon = num(keys, 'ProjFalseOriginLongGeoKey');
  const tail: [string, number | undefined][] = [
    ['x_0', fe * metresPerUnit],
    ['y_0', fn * metresPerUnit],
  ];
  switch (ct) {
    case 1: // TransverseMercator
      return `+proj=tmerc ${params([['lat_0', natLat ?? 0], ['lon_0', natLon ?? centerLon ?? 0], ['k_0', k0 ?? 1], ...tail])}`;
    case 7: // Mercator (1SP with a scale, 2SP with a standard parallel)
      return `+proj=merc ${params([['lon_0', natLon ?? centerLon ?? 0], sp1 !== undefined ? ['lat_ts', sp1] : ['k_0', k0 ?? 1], ...tail])}`;
    case 8: // LambertConfConic_2SP
      return `+proj=lcc ${params([['lat_0', foLat ?? natLat ?? 0], ['lon_0', foLon ?? natLon ?? 0], ['lat_1', sp1], ['lat_2', sp2 ?? sp1], ...tail])}`;
    case 9: // LambertConfConic_1SP
      return `+proj=lcc ${params([['lat_1', natLat ?? 0], ['lat_0', natLat ?? 0], ['lon_0', natLon ?? 0], ['k_0', k0 ?? 1], ...tail])}`;
    case 10: // LambertAzimEqualArea
      return `+proj=laea ${params([['lat_0', centerLat ?? natLat ?? 0], ['lon_0', centerLon ?? natLon ?? 0], ...tail])}`;
    case 11: // AlbersEqualArea
      return `+proj=aea ${params([['lat_0', natLat ?? foLat ?? centerLat ?? 0], ['lon_0', natLon ?? foLon ?? centerLon ?? 0], ['lat_1', sp1], ['lat_2', sp2 ?? sp1], ...tail])}`;
    case 15: {
      // PolarStereographic
      const lat = natLat ?? 90;
      const lon = num(keys, 'ProjStraightVertPoleLongGeoKey') ?? natLon ?? 0;
      const scale =
        Math.abs(lat) === 90 ? (['k_0', k0 ?? 1] as [string, number]) : (['lat_ts', lat] as [string, number]);
      return `+proj=stere ${params([['lat_0', lat < 0 ? -90 : 90], ['lon_0', lon], scale, ...tail])}`;
    }
    case 17: // Equirectangular
      return `+proj=eqc ${params([['lat_ts', sp1 ?? centerLat ?? 0], ['lat_0', natLat ?? 0], ['lon_0', centerLon ?? natLon ?? 0], ...tail])}`;
    default:
      return undefined;
  }
}

/** The datum part (`+datum=…`, `+ellps=…`, `+a= +rf=`, `+towgs84=…`) from the GeoKeys, or undefined. */
export async function datumFromKeys(keys: Keys, registry: EpsgRegistry): Promise<string | undefined> {
  const geog = num(keys, 'GeographicTypeGeoKey');
  if (geog !== undefined && geog !== USER_DEFINED) {
    const entry = await registry(geog).catch(() => undefined);
    if (!entry?.proj4) return undefined;
    const parts = entry.proj4.split(/\s+/).filter((p) => /^\+(datum|ellps|a|b|rf|f|towgs84|nadgrids|pm)=/.test(p));
    return parts.length > 0 ? parts.join(' ') : undefined;
  }
  const parts: string[] = [];
  const ellipsoid = num(keys, 'GeogEllipsoidGeoKey');
  const a = num(keys, 'GeogSemiMajorAxisGeoKey');
  const rf = num(keys, 'GeogInvFlatteningGeoKey');
  const b = num(keys, 'GeogSemiMinorAxisGeoKey');
  if (ellipsoid !== undefined && ELLIPSOIDS[ellipsoid]) parts.push(`+ellps=${ELLIPSOIDS[ellipsoid]}`);
  else if (a !== undefined && rf !== undefined) parts.push(rf === 0 ? `+a=${a} +b=${a}` : `+a=${a} +rf=${rf}`);
  else if (a !== undefined && b !== undefined) parts.push(`+a=${a} +b=${b}`);
  else return undefined;
  const towgs = keys.GeogTOWGS84GeoKey;
  const t = ArrayBuffer.isView(towgs)
    ? Array.from(towgs as unknown as ArrayLike<number>)
    : Array.isArray(towgs)
      ? towgs.map(Number)
      : undefined;
  if (t && (t.length === 3 || t.length === 7) && t.every(Number.isFinite)) parts.push(`+towgs84=${t.join(',')}`);
  const pm = num(keys, 'GeogPrimeMeridianLongGeoKey');
  if (pm !== undefined && pm !== 0) parts.push(`+pm=${pm}`);
  return parts.join(' ');
}

/**
 * The PROJ definition of a user-defined projected or geographic CRS from its GeoKeys, or undefined
 * when the keys do not describe one this reader knows.
 * @param metresPerUnit linear unit of the projected CRS (already read from the unit keys)
 */
export async function projFromGeoKeys(
  keys: Keys,
  kind: 'projected' | 'geographic',
  metresPerUnit: number | undefined,
  registry: EpsgRegistry,
): Promise<string | undefined> {
  const datum = await datumFromKeys(keys, registry);
  if (datum === undefined) return undefined;
  if (kind === 'geographic') return `+proj=longlat ${datum} +no_defs`;
  const proj = metresPerUnit === undefined ? undefined : projectionFromKeys(keys, metresPerUnit);
  if (proj === undefined || metresPerUnit === undefined) return undefined;
  const units = metresPerUnit === 1 ? '+units=m' : `+to_meter=${metresPerUnit}`;
  return `${proj} ${datum} ${units} +no_defs`;
}
