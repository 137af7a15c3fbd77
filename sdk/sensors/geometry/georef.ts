/**
 * Georeference of a raster: an affine geotransform from pixel to map coordinates plus what is known
 * of the coordinate reference system. Read from GeoTIFF tags (ModelTiepoint + ModelPixelScale or
 * ModelTransformation, and the GeoKey directory), carried through resizing and tiling, and used to put
 * task results on the map.
 *
 * Pixel coordinates use the corner convention: pixel (col, row) covers [col, col+1) × [row, row+1),
 * so (0, 0) is the outer corner of the first pixel and (col + 0.5, row + 0.5) its centre.
 */
import { EdgeError } from '../../core/errors.js';
import { describeProj, lonLatConverter } from './crs.js';

/**
 * Affine geotransform in GDAL order: `x = t[0] + col·t[1] + row·t[2]`, `y = t[3] + col·t[4] + row·t[5]`.
 */
export type GeoTransform = [number, number, number, number, number, number];

/** Georeference of a raster grid. Plain JSON. */
export interface GeoReference {
  transform: GeoTransform;
  /** EPSG code of the CRS when the file names one (user-defined CRSs have none). */
  epsg?: number;
  /** Whether map units are projected (linear) or geographic (angular). */
  crsKind: 'projected' | 'geographic' | 'unknown';
  /** Unit of the map coordinates: `metre`, `foot`, `us-survey-foot`, `degree`, or an EPSG unit code as text. */
  unit?: string;
  /** Metres per linear unit, when the unit is linear and known. */
  metresPerUnit?: number;
  /** The file's CRS citation, when present. */
  citation?: string;
  /**
   * PROJ definition of the CRS: from the EPSG registry for an EPSG code, built from the GeoKeys of a
   * user-defined CRS, or given by the caller. With it results carry WGS 84 longitude/latitude.
   */
  proj4?: string;
  /** The CRS's name in the EPSG registry, when it has an EPSG code. */
  crsName?: string;
}

/** WGS 84 semi-major axis (m) and squared eccentricity: the ellipsoid of geographic CRSs without a definition. */
export const WGS84_A = 6_378_137;
export const WGS84_ES = 0.0066943799901413165;

/**
 * Map coordinates of pixel-corner coordinates (col, row).
 * @example
 * const [easting, northing] = pixelToMap(pre.layout.georef!, 10.5, 20.5); // centre of pixel (10, 20)
 */
export function pixelToMap(georef: GeoReference, col: number, row: number): [number, number] {
  const t = georef.transform;
  return [t[0] + col * t[1] + row * t[2], t[3] + col * t[4] + row * t[5]];
}

/**
 * Pixel-corner coordinates of a map point (the inverse of {@link pixelToMap}).
 * @throws EdgeError E_INVALID_ARGUMENT when the transform is singular
 * @example
 * const [col, row] = mapToPixel(georef, 289000, 9120000);
 */
export function mapToPixel(georef: GeoReference, x: number, y: number): [number, number] {
  const t = georef.transform;
  const det = t[1] * t[5] - t[2] * t[4];
  if (det === 0 || !Number.isFinite(det))
    throw new EdgeError('E_INVALID_ARGUMENT', 'the geotransform is singular and cannot be inverted', {
      field: 'georef.transform',
    });
  const dx = x - t[0];
  const dy = y - t[3];
  return [(t[5] * dx - t[2] * dy) / det, (-t[4] * dx + t[1] * dy) / det];
}

/**
 * Georeference of a derived grid whose pixel (u, v) lies at source pixel
 * (offsetX + u·scaleX, offsetY + v·scaleY) — a crop, a tile or a resize of the source.
 * @example
 * const tileGeo = deriveGeoref(layout.georef!, tile.x + layout.offsetX, tile.y + layout.offsetY, layout.scaleX, layout.scaleY);
 */
export function deriveGeoref(
  georef: GeoReference,
  offsetX: number,
  offsetY: number,
  scaleX: number,
  scaleY: number,
): GeoReference {
  const t = georef.transform;
  const [x0, y0] = pixelToMap(georef, offsetX, offsetY);
  return { ...georef, transform: [x0, t[1] * scaleX, t[2] * scaleY, y0, t[4] * scaleX, t[5] * scaleY] };
}

/**
 * Ground area of one pixel in square metres: constant for projected CRSs in a known linear unit (grid
 * area, as GIS software reports it); for geographic CRSs it depends on latitude and is computed at
 * `row` on the ellipsoid of the CRS (WGS 84 when it has no definition): exact for a north-up pixel
 * (the area between two parallels and two meridians), from the local area element otherwise.
 * Undefined when the units are unknown.
 * @example
 * const m2 = pixelAreaM2(georef); // 812.25 for 28.5 m Landsat pixels
 */
export function pixelAreaM2(georef: GeoReference, row = 0, col = 0): number | undefined {
  const t = georef.transform;
  const det = Math.abs(t[1] * t[5] - t[2] * t[4]);
  if (georef.crsKind === 'projected' && georef.metresPerUnit !== undefined) return det * georef.metresPerUnit ** 2;
  if (georef.crsKind === 'geographic' && (georef.unit === 'degree' || georef.unit === undefined)) {
    let a = WGS84_A;
    let es = WGS84_ES;
    if (georef.proj4 !== undefined) {
      try {
        ({ a, es } = describeProj(georef.proj4));
      } catch {
        // an unusable definition was reported when the georeference was resolved; WGS 84 it is
      }
    }
    const rad = Math.PI / 180;
    if (t[2] === 0 && t[4] === 0) {
      const [, lat1] = pixelToMap(georef, col, row);
      const [, lat2] = pixelToMap(georef, col, row + 1);
      return ((a * a) / 2) * Math.abs(t[1]) * rad * Math.abs(authalicQ(lat2 * rad, es) - authalicQ(lat1 * rad, es));
    }
    const [, lat] = pixelToMap(georef, col + 0.5, row + 0.5);
    const s = Math.sin(lat * rad);
    const w = 1 - es * s * s;
    return (det * rad * rad * a * a * (1 - es) * Math.cos(lat * rad)) / (w * w);
  }
  return undefined;
}

/**
 * The authalic latitude function q(φ) of an ellipsoid of squared eccentricity `es`: the area between
 * the equator and latitude φ over a longitude span Δλ is a²·Δλ·q(φ)/2.
 */
export function authalicQ(phi: number, es: number): number {
  const s = Math.sin(phi);
  if (es < 1e-12) return 2 * s;
  const e = Math.sqrt(es);
  return (1 - es) * (s / (1 - es * s * s) - (1 / (2 * e)) * Math.log((1 - e * s) / (1 + e * s)));
}

/**
 * WGS 84 longitude/latitude (degrees) of pixel-corner coordinates, or undefined when the CRS has no
 * PROJ definition (see {@link resolveCrs}).
 * @example
 * pixelToLonLat(georef, 0, 0); // [-34.93…, -7.96…], the outer corner of the first pixel
 */
export function pixelToLonLat(georef: GeoReference, col: number, row: number): [number, number] | undefined {
  const f = lonLatConverter(georef);
  if (!f) return undefined;
  const [x, y] = pixelToMap(georef, col, row);
  const r = f(x, y);
  return Number.isFinite(r[0]) && Number.isFinite(r[1]) ? r : undefined;
}

/** A GeoJSON polygon in WGS 84 longitude/latitude. */
export interface LonLatPolygon {
  type: 'Polygon';
  /** One closed ring (first point repeated last). */
  coordinates: [number, number][][];
}

/**
 * The footprint of a `width` × `height` raster in WGS 84 as a GeoJSON polygon: its four outer
 * corners, upper-left, lower-left, lower-right, upper-right, closed — counter-clockwise on the map
 * for a north-up raster, as GeoJSON (RFC 7946) and gdalinfo's `wgs84Extent` have it.
 * Undefined when the CRS has no PROJ definition or a corner lies outside the projection's domain.
 * @example
 * footprintLonLat(georef, 349, 352)?.coordinates[0]; // [[-34.93, -7.96], …]
 */
export function footprintLonLat(georef: GeoReference, width: number, height: number): LonLatPolygon | undefined {
  const ring: [number, number][] = [];
  for (const [c, r] of [
    [0, 0],
    [0, height],
    [width, height],
    [width, 0],
  ] as const) {
    const p = pixelToLonLat(georef, c, r);
    if (!p) return undefined;
    ring.push(p);
  }
  ring.push([ring[0]![0], ring[0]![1]]);
  return { type: 'Polygon', coordinates: [ring] };
}

/** True when pixel areas vary by row (geographic CRS). */
export function areaVariesByRow(georef: GeoReference): boolean {
  return georef.crsKind === 'geographic';
}

/**
 * The CRS as text for results: `EPSG:<code>`, else the citation, else undefined.
 * @example
 * crsLabel(georef); // 'EPSG:31985'
 */
export function crsLabel(georef: GeoReference): string | undefined {
  if (georef.epsg !== undefined) return `EPSG:${georef.epsg}`;
  return georef.citation;
}

/**
 * Checks a caller-supplied georeference.
 * @throws EdgeError E_FRAME_INVALID (via `fail`) when it is malformed
 */
export function checkGeoReference(value: unknown, fail: (reason: string) => Error): GeoReference {
  if (typeof value !== 'object' || value === null) throw fail('georef must be an object');
  const g = value as Partial<GeoReference>;
  const t = g.transform;
  if (!Array.isArray(t) || t.length !== 6 || !t.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw fail('georef.transform must be 6 finite numbers [x0, dx/dcol, dx/drow, y0, dy/dcol, dy/drow]');
  }
  if (t[1] * t[5] - t[2] * t[4] === 0) throw fail('georef.transform is singular');
  if (g.crsKind !== 'projected' && g.crsKind !== 'geographic' && g.crsKind !== 'unknown') {
    throw fail('georef.crsKind must be "projected", "geographic" or "unknown"');
  }
  if (g.epsg !== undefined && !(Number.isInteger(g.epsg) && g.epsg > 0))
    throw fail('georef.epsg must be a positive integer');
  if (g.metresPerUnit !== undefined && !(typeof g.metresPerUnit === 'number' && g.metresPerUnit > 0))
    throw fail('georef.metresPerUnit must be a positive number');
  if (g.proj4 !== undefined) {
    if (typeof g.proj4 !== 'string' || !g.proj4.includes('+proj='))
      throw fail('georef.proj4 must be a PROJ definition string such as "+proj=utm +zone=25 +south +datum=WGS84"');
    try {
      describeProj(g.proj4);
    } catch (err) {
      throw fail(`georef.proj4 is unusable: ${(err as Error).message}`);
    }
  }
  return g as GeoReference;
}
