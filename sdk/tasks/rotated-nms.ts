/**
 * Greedy non-maximum suppression of oriented detections with exact polygon IoU, the rotated twin of
 * `nonMaxSuppression` (nms.ts) with the same rules: best score first, class-wise unless
 * `classAgnostic`, a candidate dropped when a kept one has IoU ≥ the threshold; across tiles of a
 * frame also when intersection over the smaller polygon ≥ `crossTileIos`, and then the kept box
 * grows to hold both: the smallest rectangle at the kept box's angle around the two polygons (an
 * object cut by a tile edge joins its other half, keeping the better detection's orientation).
 *
 * Each candidate carries a convex polygon (its exact shape in source pixels: a rectangle, or a
 * parallelogram after a non-uniform scale) and the oriented box reported for it. Pairs whose
 * axis-aligned bounds do not overlap are rejected before any clipping.
 */
import { boxCorners, enclosingBoxAt, normalizeBox, type OrientedBox } from '../core/geometry/oriented-box.js';
import type { NmsOptions } from './nms.js';
import { intersectionArea, polygonArea, polygonBounds, positiveOrder, type Point } from '../core/geometry/polygon.js';

/** An oriented candidate for suppression. */
export interface OrientedCandidate {
  /** The reported box (canonical `le90`). */
  obox: OrientedBox;
  /** Its exact convex shape; the corners of `obox` when absent. */
  polygon?: Point[];
  score: number;
  classId: number;
  /** Tile the candidate came from (cross-tile merging applies only between different tiles). */
  tile?: number;
}

interface Shape {
  poly: Point[];
  area: number;
  bounds: [number, number, number, number];
}

function shapeOf(poly: readonly Point[]): Shape {
  const p = positiveOrder(poly);
  return { poly: p, area: polygonArea(p), bounds: polygonBounds(p) };
}

function boundsOverlap(a: Shape, b: Shape): boolean {
  return (
    a.bounds[0] < b.bounds[2] && b.bounds[0] < a.bounds[2] && a.bounds[1] < b.bounds[3] && b.bounds[1] < a.bounds[3]
  );
}

/**
 * Suppresses overlapping oriented candidates; returns the kept ones (copies, each with its
 * `polygon` set), best score first (ties: lower index first). Kept boxes may grow by cross-tile
 * merging.
 * @example
 * const kept = rotatedNonMaxSuppression(candidates, { iouThreshold: 0.5 });
 */
export function rotatedNonMaxSuppression<T extends OrientedCandidate>(
  candidates: readonly T[],
  options: NmsOptions,
): T[] {
  const order = candidates.map((c, i) => i).sort((a, b) => candidates[b]!.score - candidates[a]!.score || a - b);
  const kept: T[] = [];
  const keptShapes: Shape[] = [];
  const keptClass: number[] = [];
  const agnostic = options.classAgnostic === true;
  const limit = options.maxDetections ?? Infinity;
  for (const i of order) {
    if (kept.length >= limit) break;
    const c = candidates[i]!;
    const s = shapeOf(c.polygon ?? boxCorners(c.obox));
    let suppressed = false;
    for (let k = 0; k < kept.length; k++) {
      if (!agnostic && keptClass[k] !== c.classId) continue;
      const kc = kept[k]!;
      const ks = keptShapes[k]!;
      const inter = boundsOverlap(ks, s) ? intersectionArea(ks.poly, s.poly) : 0;
      const union = ks.area + s.area - inter;
      if ((union > 0 ? inter / union : 0) >= options.iouThreshold) {
        suppressed = true;
        break;
      }
      if (options.crossTileIos !== undefined && kc.tile !== undefined && c.tile !== undefined && kc.tile !== c.tile) {
        const smaller = Math.min(ks.area, s.area);
        if (smaller > 0 && inter / smaller >= options.crossTileIos) {
          const merged = normalizeBox(enclosingBoxAt([...ks.poly, ...s.poly], kc.obox.angle));
          kc.obox = merged;
          kc.polygon = boxCorners(merged);
          keptShapes[k] = shapeOf(kc.polygon);
          suppressed = true;
          break;
        }
      }
    }
    if (!suppressed) {
      kept.push({ ...c, obox: { ...c.obox }, polygon: s.poly.map((p) => [p[0], p[1]] as Point) });
      keptShapes.push(s);
      keptClass.push(c.classId);
    }
  }
  return kept;
}
