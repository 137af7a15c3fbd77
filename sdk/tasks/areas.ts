/**
 * Pixel counts and ground areas of label maps: square metres when the frame is georeferenced in a
 * projected CRS with a known unit (constant pixel area, the unit resolved from the EPSG definition)
 * or a geographic CRS (pixel area per row on the CRS's ellipsoid); pixels otherwise. Also the
 * frame's WGS 84 footprint, so a georeferenced result can go on a map without a GIS.
 */
import {
  areaVariesByRow,
  crsLabel,
  footprintLonLat,
  pixelAreaM2,
  type GeoReference,
  type LonLatPolygon,
} from '../sensors/geometry/georef.js';
import { runEnd, wordsOf } from './label-runs.js';

/** Area bookkeeping of a result. */
export interface AreaUnit {
  /** `m2` when areas are ground areas, `pixel` when the frame has no usable georeference. */
  areaUnit: 'm2' | 'pixel';
  /** CRS of the georeference (`EPSG:<code>` or its citation), when there is one. */
  crs?: string;
  /** The frame's outline in WGS 84 longitude/latitude (GeoJSON), when its CRS has a definition. */
  footprint?: LonLatPolygon;
}

/**
 * The area unit results of a frame use, and its WGS 84 footprint when the source size is given.
 * @example
 * areaUnitOf(layout.georef, layout.source.width, layout.source.height); // { areaUnit: 'm2', crs: 'EPSG:31985', footprint: { type: 'Polygon', … } }
 */
export function areaUnitOf(georef: GeoReference | undefined, width?: number, height?: number): AreaUnit {
  const usable = georef !== undefined && pixelAreaM2(georef) !== undefined;
  const crs = georef ? crsLabel(georef) : undefined;
  const footprint =
    georef && width !== undefined && height !== undefined ? footprintLonLat(georef, width, height) : undefined;
  return {
    areaUnit: usable ? 'm2' : 'pixel',
    ...(crs !== undefined ? { crs } : {}),
    ...(footprint ? { footprint } : {}),
  };
}

/**
 * Counts of each label value (0 … classes-1) and their areas; values ≥ `classes` are not counted.
 * @returns counts and areas (areas equal counts when the unit is pixels)
 */
export function labelAreas(
  map: Uint8Array | Uint16Array,
  width: number,
  height: number,
  classes: number,
  georef: GeoReference | undefined,
): { counts: number[]; areas: number[] } {
  const counts = new Array<number>(classes).fill(0);
  const areas = new Array<number>(classes).fill(0);
  const constant = georef ? pixelAreaM2(georef) : undefined;
  const perRow = georef !== undefined && constant !== undefined && areaVariesByRow(georef);
  // Every label value has a counter; those of values ≥ classes are never read.
  const rowCounts = new Float64Array(Math.max(classes, map instanceof Uint8Array ? 256 : 65536));
  const words = wordsOf(map);
  for (let y = 0; y < height; y++) {
    // Label maps come in runs: a run is counted when it ends, not pixel by pixel.
    const end = (y + 1) * width;
    for (let start = y * width; start < end;) {
      const next = runEnd(map, words, start, end);
      rowCounts[map[start]!]! += next - start;
      start = next;
    }
    const a = perRow ? pixelAreaM2(georef!, y, width / 2)! : (constant ?? 1);
    for (let c = 0; c < classes; c++) {
      counts[c]! += rowCounts[c]!;
      areas[c]! += rowCounts[c]! * a;
    }
    rowCounts.fill(0, 0, classes);
  }
  return { counts, areas };
}
