/**
 * Georeference of a raster: an affine geotransform from pixel to map coordinates plus what is known
 * of the coordinate reference system. Read from GeoTIFF tags (ModelTiepoint + ModelPixelScale or
 * ModelTransformation, and the GeoKey directory), carried through resizing and tiling, and used to put
 * task results on the map.
 *
 * Pixel coordinates use the corner convention: pixel (col, row) covers [col, col+1) × [row, row+1),
 * so (0, 0) is the outer corner of the first pixel and (col + 0.5, row + 0.5) its centre.
 */
import { EdgeError } from '../core/errors.js';

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
}

/** Mean Earth radius of equal area (authalic, WGS 84) in metres, for areas in geographic CRSs. */
export const AUTHALIC_RADIUS_M = 6_371_007.181;

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
  if (det === 0 || !Number.isFinite(det)) throw new EdgeError('E_INVALID_ARGUMENT', 'the geotransform is singular and cannot be inverted', { field: 'georef.transform' });
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
export function deriveGeoref(georef: GeoReference, offsetX: number, offsetY: number, scaleX: number, scaleY: number): GeoReference {
  const t = georef.transform;
  const [x0, y0] = pixelToMap(georef, offsetX, offsetY);
  return { ...georef, transform: [x0, t[1] * scaleX, t[2] * scaleY, y0, t[4] * scaleX, t[5] * scaleY] };
}

/**
 * Ground area of one pixel in square metres: constant for projected CRSs in a known linear unit; for
 * geographic CRSs it depends on latitude and is computed at `row` (spherical Earth of the authalic
 * radius, exact enough for pixels well under a degree). Undefined when the units are unknown.
 * @example
 * const m2 = pixelAreaM2(georef); // 812.25 for 28.5 m Landsat pixels
 */
export function pixelAreaM2(georef: GeoReference, row = 0, col = 0): number | undefined {
  const t = georef.transform;
  const det = Math.abs(t[1] * t[5] - t[2] * t[4]);
  if (georef.crsKind === 'projected' && georef.metresPerUnit !== undefined) return det * georef.metresPerUnit ** 2;
  if (georef.crsKind === 'geographic' && (georef.unit === 'degree' || georef.unit === undefined)) {
    const [, lat] = pixelToMap(georef, col + 0.5, row + 0.5);
    const rad = Math.PI / 180;
    return det * rad * rad * AUTHALIC_RADIUS_M ** 2 * Math.cos(lat * rad);
  }
  return undefined;
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
  if (g.epsg !== undefined && !(Number.isInteger(g.epsg) && g.epsg > 0)) throw fail('georef.epsg must be a positive integer');
  if (g.metresPerUnit !== undefined && !(typeof g.metresPerUnit === 'number' && g.metresPerUnit > 0)) throw fail('georef.metresPerUnit must be a positive number');
  return g as GeoReference;
}
