/**
 * Oriented detection outputs → oriented candidates in source pixels, for rotated NMS:
 * - `det_rboxes` [N, M, 5]: cx, cy, w, h, angle per candidate in input pixels, angle in radians
 *   turning +x toward +y (any range: le90, le135 and oc all read the same);
 * - `det_quads` [N, M, 8]: DOTA corner points x1, y1, …, x4, y4 in input pixels.
 *
 * Each candidate's polygon is the exact image of the model's shape in source pixels (the corners
 * mapped through the layout); with equal x and y scales a rectangle stays a rectangle and `obox` is
 * it, otherwise (a stretched resize) the rectangle becomes a parallelogram and `obox` is that
 * parallelogram's minimum-area rectangle. Quadrilaterals are taken as their convex hull. A
 * candidate is invalid when its width or height is not positive or its polygon has no area inside
 * the frame.
 */
import { inputToSource, type FrameLayout } from '../sensors/geometry/layout.js';
import type { TilePlacement } from '../sensors/geometry/tiling.js';
import { boxCorners, minAreaRect, normalizeBox, type OrientedBox } from '../core/geometry/oriented-box.js';
import { clipConvex, convexHull, polygonArea, polygonBounds, type Point } from '../core/geometry/polygon.js';
import type { OrientedCandidate } from './rotated-nms.js';

/** Layout of an oriented box output: `rbox` (cx, cy, w, h, angle) or `quad` (four corner points). */
export type OrientedLayout = 'rbox' | 'quad';

/** Values per candidate of a layout. */
export const ORIENTED_WIDTH: Record<OrientedLayout, number> = { rbox: 5, quad: 8 };

/**
 * Candidate `i` (values at `data[i * width …]`) of `tile` in source pixels, or undefined when invalid.
 */
export function orientedCandidate(
  layout: FrameLayout,
  tile: TilePlacement,
  kind: OrientedLayout,
  data: Float32Array,
  i: number,
): Pick<OrientedCandidate, 'obox' | 'polygon'> | undefined {
  const { scaleX, scaleY } = layout;
  let poly: Point[];
  let obox: OrientedBox | undefined;
  if (kind === 'rbox') {
    const o = 5 * i;
    const box: OrientedBox = { cx: data[o]!, cy: data[o + 1]!, w: data[o + 2]!, h: data[o + 3]!, angle: data[o + 4]! };
    if (!(box.w > 0 && box.h > 0)) return undefined;
    poly = boxCorners(box).map(([u, v]) => inputToSource(layout, tile, u, v));
    if (Math.abs(scaleX - scaleY) <= 1e-9 * Math.max(scaleX, scaleY)) {
      const [cx, cy] = inputToSource(layout, tile, box.cx, box.cy);
      obox = normalizeBox({ cx, cy, w: box.w * scaleX, h: box.h * scaleX, angle: box.angle });
    }
  } else {
    const o = 8 * i;
    const pts: Point[] = [];
    for (let k = 0; k < 4; k++) pts.push(inputToSource(layout, tile, data[o + 2 * k]!, data[o + 2 * k + 1]!));
    poly = convexHull(pts);
    if (poly.length < 3) return undefined;
  }
  obox ??= minAreaRect(poly);
  if (!(obox.w > 0 && obox.h > 0) || !(polygonArea(poly) > 0)) return undefined;
  const { width, height } = layout.source;
  const [x0, y0, x1, y1] = polygonBounds(poly);
  if (x0 < 0 || y0 < 0 || x1 > width || y1 > height) {
    const frame: Point[] = [
      [0, 0],
      [width, 0],
      [width, height],
      [0, height],
    ];
    if (!(polygonArea(clipConvex(poly, frame)) > 0)) return undefined;
  }
  return { obox, polygon: poly };
}
