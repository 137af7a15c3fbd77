/**
 * Coordinate reference systems through the field's libraries: EPSG definitions (name, kind, unit and
 * PROJ string) from the `epsg-index` registry, read one code at a time and only when a georeferenced
 * frame names it, and projections and datum shifts by proj4js. Resolving a {@link GeoReference} fills
 * in its PROJ definition and its real unit (a State Plane CRS in US survey feet is in feet even when
 * the file carries no linear-unit key), so areas and WGS 84 longitude/latitude follow.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import proj4 from 'proj4';
import type { GeoReference } from './georef.js';

/** The parts of an EPSG registry entry this module uses. */
export interface EpsgEntry {
  code: string;
  /** `CRS-PROJCRS`, `CRS-GEOGCRS`, … */
  kind: string;
  name: string;
  wkt?: string | null;
  proj4?: string | null;
  unit?: string | null;
}

/** Reads one EPSG entry; undefined when the registry has no such code. Injectable for tests and browsers. */
export type EpsgRegistry = (code: number) => Promise<EpsgEntry | undefined>;

const entryCache = new Map<number, Promise<EpsgEntry | undefined>>();

/**
 * The default registry: `epsg-index`'s per-code file `s/<code>.json` (a few kilobytes), read on first
 * use of a code and cached. The 8 MB `all.json` is never loaded.
 */
export const epsgIndexRegistry: EpsgRegistry = (code) => {
  if (!Number.isInteger(code) || code <= 0) return Promise.resolve(undefined);
  let p = entryCache.get(code);
  if (!p) {
    p = (async () => {
      let path: string;
      try {
        path = createRequire(import.meta.url).resolve(`epsg-index/s/${code}.json`);
      } catch {
        return undefined;
      }
      return JSON.parse(await readFile(path, 'utf8')) as EpsgEntry;
    })();
    entryCache.set(code, p);
  }
  return p;
};

/** A CRS as proj4js sees it. */
export interface ProjCrs {
  kind: 'projected' | 'geographic';
  /** Metres per map unit (projected CRSs). */
  metresPerUnit?: number;
  /** Unit name: `metre`, `us-survey-foot`, `foot`, `degree`, … */
  unit: string;
  /** Semi-major axis and squared eccentricity of the CRS's ellipsoid, for ellipsoidal areas. */
  a: number;
  es: number;
}

const UNIT_NAMES: Record<string, string> = {
  m: 'metre',
  'us-ft': 'us-survey-foot',
  ft: 'foot',
  km: 'kilometre',
  'ind-ft': 'indian-foot',
  'us-yd': 'us-survey-yard',
  yd: 'yard',
  link: 'link',
  ch: 'chain',
};

const projCache = new Map<string, ProjCrs | Error>();

/**
 * Parses a PROJ definition with proj4js.
 * @throws Error when proj4js cannot use it
 * @example
 * describeProj('+proj=lcc +lat_1=41.03 … +units=us-ft'); // { kind: 'projected', unit: 'us-survey-foot', metresPerUnit: 0.3048006096…, … }
 */
export function describeProj(def: string): ProjCrs {
  const cached = projCache.get(def);
  if (cached instanceof Error) throw cached;
  if (cached) return cached;
  try {
    const p = proj4.Proj(def) as unknown as {
      projName?: string;
      units?: string;
      to_meter?: number;
      a?: number;
      es?: number;
    };
    if (typeof p.projName !== 'string') throw new Error('not a projection definition');
    const geographic = p.projName === 'longlat' || p.projName === 'identity';
    const a = typeof p.a === 'number' && p.a > 0 ? p.a : 6378137;
    const es = typeof p.es === 'number' && p.es >= 0 ? p.es : 0.0066943799901413165;
    let out: ProjCrs;
    if (geographic) out = { kind: 'geographic', unit: 'degree', a, es };
    else {
      const metres =
        typeof p.to_meter === 'number' && p.to_meter > 0
          ? p.to_meter
          : p.units === undefined || p.units === 'm'
            ? 1
            : undefined;
      const unit = p.units !== undefined ? (UNIT_NAMES[p.units] ?? p.units) : metres === 1 ? 'metre' : 'user-defined';
      out = { kind: 'projected', unit, ...(metres !== undefined ? { metresPerUnit: metres } : {}), a, es };
    }
    projCache.set(def, out);
    return out;
  } catch (err) {
    const e = new Error(`proj4js cannot parse ${JSON.stringify(def)}: ${(err as Error).message}`);
    projCache.set(def, e);
    throw e;
  }
}

/** The unit factor of the outermost CRS in a WKT1 string: its last `UNIT["name", factor]`. */
export function wktUnit(wkt: string): { name: string; factor: number } | undefined {
  const re = /UNIT\["([^"]+)",\s*([-+0-9.eE]+)/g;
  let last: { name: string; factor: number } | undefined;
  for (let m = re.exec(wkt); m; m = re.exec(wkt)) last = { name: m[1]!, factor: Number(m[2]) };
  return last && Number.isFinite(last.factor) && last.factor > 0 ? last : undefined;
}

/**
 * Completes a georeference from its EPSG code or PROJ definition: the PROJ definition, the CRS name,
 * the kind and the real unit. A conflicting unit key in the file is reported through `warn` and the
 * EPSG definition wins (as GDAL does). Georeferences without either stay as they are.
 * @param warn receives one line per problem (unknown code, unusable definition)
 * @example
 * const g = await resolveCrs({ transform, crsKind: 'projected', epsg: 2263 });
 * g.unit; // 'us-survey-foot'; g.metresPerUnit ≈ 0.3048006
 */
export async function resolveCrs(
  georef: GeoReference,
  warn: (msg: string) => void = () => {},
  registry: EpsgRegistry = epsgIndexRegistry,
): Promise<GeoReference> {
  const g: GeoReference = { ...georef };
  if (g.proj4 === undefined && g.epsg !== undefined) {
    let entry: EpsgEntry | undefined;
    try {
      entry = await registry(g.epsg);
    } catch (err) {
      warn(`EPSG registry unreadable for EPSG:${g.epsg}: ${(err as Error).message}`);
    }
    if (!entry || typeof entry.proj4 !== 'string' || entry.proj4.length === 0) {
      warn(
        `EPSG:${g.epsg} has no PROJ definition in the EPSG registry: no WGS 84 coordinates${g.metresPerUnit === undefined && g.crsKind === 'projected' ? ' and areas in pixels' : ''}`,
      );
      return g;
    }
    g.proj4 = entry.proj4;
    g.crsName = entry.name;
    const w = entry.wkt ? wktUnit(entry.wkt) : undefined;
    if (
      entry.kind === 'CRS-PROJCRS' &&
      w &&
      g.metresPerUnit !== undefined &&
      Math.abs(w.factor - g.metresPerUnit) > 1e-9 * w.factor
    ) {
      warn(
        `EPSG:${g.epsg} is in ${w.name} (${w.factor} m) but the file's unit key says ${g.unit ?? '?'} (${g.metresPerUnit} m): using the EPSG definition`,
      );
    }
  }
  if (g.proj4 === undefined) return g;
  let p: ProjCrs;
  try {
    p = describeProj(g.proj4);
  } catch (err) {
    warn((err as Error).message);
    const { proj4: _dropped, ...rest } = g;
    return rest;
  }
  if (g.crsKind !== 'unknown' && g.crsKind !== p.kind)
    warn(`the file says the CRS is ${g.crsKind} but its definition is ${p.kind}: using the definition`);
  g.crsKind = p.kind;
  g.unit = p.unit;
  if (p.metresPerUnit !== undefined) g.metresPerUnit = p.metresPerUnit;
  else delete g.metresPerUnit;
  return g;
}

const toWgs84Cache = new Map<string, (x: number, y: number) => [number, number]>();

/**
 * A converter from the georeference's map coordinates to WGS 84 longitude/latitude in degrees
 * (datum shift included where the definition has one), or undefined when the CRS has no PROJ
 * definition.
 * @example
 * const toLonLat = lonLatConverter(georef)!;
 * toLonLat(289000, 9120000); // [-34.9…, -7.9…]
 */
export function lonLatConverter(georef: GeoReference): ((x: number, y: number) => [number, number]) | undefined {
  const def = georef.proj4;
  if (def === undefined) return undefined;
  let f = toWgs84Cache.get(def);
  if (!f) {
    let conv: { forward(p: [number, number]): number[] };
    try {
      conv = proj4(def, 'WGS84') as unknown as { forward(p: [number, number]): number[] };
    } catch {
      return undefined;
    }
    f = (x, y) => {
      const r = conv.forward([x, y]);
      return [r[0]!, r[1]!];
    };
    toWgs84Cache.set(def, f);
  }
  return f;
}
