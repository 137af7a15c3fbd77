/**
 * Greedy non-maximum suppression, class-wise: boxes are visited best score first; a box is dropped
 * when a kept box of the same class overlaps it with IoU ≥ the threshold. Across tiles of one frame,
 * a box is also a duplicate when most of the smaller box lies inside the kept one (intersection over
 * the smaller area ≥ `crossTileIos`): an object cut by a tile border is seen whole by the neighbour
 * and truncated by the tile itself, and the two boxes merge into their union.
 */

/** Box [x1, y1, x2, y2], x2 ≥ x1, y2 ≥ y1. */
export type Box = [number, number, number, number];

/** A candidate for suppression. */
export interface Candidate {
  box: Box;
  score: number;
  classId: number;
  /** Tile the candidate came from (cross-tile merging applies only between different tiles). */
  tile?: number;
}

/** Area of a box (0 for degenerate boxes). */
export function boxArea(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** Intersection area of two boxes. */
export function intersection(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Intersection over union (0 when both are empty).
 * @example
 * iou([0, 0, 10, 10], [5, 5, 15, 15]); // 25 / 175
 */
export function iou(a: Box, b: Box): number {
  const i = intersection(a, b);
  const u = boxArea(a) + boxArea(b) - i;
  return u > 0 ? i / u : 0;
}

/** Options of {@link nonMaxSuppression}. */
export interface NmsOptions {
  iouThreshold: number;
  /** Cross-tile duplicate threshold on intersection over the smaller box (default: off). */
  crossTileIos?: number;
  /** Suppress across classes too (default false: class-wise). */
  classAgnostic?: boolean;
  /** Stop after this many kept boxes. */
  maxDetections?: number;
}

/**
 * Suppresses overlapping candidates; returns the kept ones, best score first (ties: lower index
 * first, so the result is deterministic). Kept boxes may grow by cross-tile merging.
 * @example
 * const kept = nonMaxSuppression(candidates, { iouThreshold: 0.5 });
 */
export function nonMaxSuppression<T extends Candidate>(candidates: readonly T[], options: NmsOptions): T[] {
  const order = candidates.map((c, i) => i).sort((a, b) => candidates[b]!.score - candidates[a]!.score || a - b);
  const kept: T[] = [];
  const limit = options.maxDetections ?? Infinity;
  for (const i of order) {
    if (kept.length >= limit) break;
    const c = candidates[i]!;
    let suppressed = false;
    for (const k of kept) {
      if (!options.classAgnostic && k.classId !== c.classId) continue;
      if (iou(k.box, c.box) >= options.iouThreshold) {
        suppressed = true;
        break;
      }
      if (options.crossTileIos !== undefined && k.tile !== undefined && c.tile !== undefined && k.tile !== c.tile) {
        const smaller = Math.min(boxArea(k.box), boxArea(c.box));
        if (smaller > 0 && intersection(k.box, c.box) / smaller >= options.crossTileIos) {
          k.box = [
            Math.min(k.box[0], c.box[0]),
            Math.min(k.box[1], c.box[1]),
            Math.max(k.box[2], c.box[2]),
            Math.max(k.box[3], c.box[3]),
          ];
          suppressed = true;
          break;
        }
      }
    }
    if (!suppressed) kept.push({ ...c, box: [...c.box] as Box });
  }
  return kept;
}
