/**
 * Oriented (rotated) boxes and their conventions.
 *
 * An oriented box is a centre (cx, cy), a width w, a height h and an angle θ in **radians**, in
 * image coordinates (x right, y down). The width side runs along (cos θ, sin θ): a positive angle
 * turns +x toward +y, which is clockwise on screen. This is the geometry of OpenCV's `RotatedRect`
 * (in degrees) and of mmrotate's boxes; the conventions only differ in which side is called the
 * width and which range the angle is reduced to:
 *
 * - `le90` (the SDK's canonical form): w ≥ h, θ ∈ [−π/2, π/2);
 * - `le135`: w ≥ h, θ ∈ [−π/4, 3π/4);
 * - `oc`: θ ∈ (0, π/2], w and h as that leaves them (OpenCV ≥ 4.5.1 `minAreaRect`, in radians).
 *
 * DOTA labels a box as four corner points (x1, y1, …, x4, y4) in clockwise screen order;
 * {@link boxCorners} gives them, and {@link fromQuad} takes the minimum-area rectangle of any four
 * points, as DOTA-to-box converters do.
 */
import { convexHull, type Point } from './polygon.js';

/** An oriented box; see the file comment for the angle convention. Plain JSON. */
export interface OrientedBox {
  cx: number;
  cy: number;
  w: number;
  h: number;
  /** Radians; positive turns +x toward +y (clockwise on screen). */
  angle: number;
}

/** Angle conventions of rotated-detection toolkits. */
export type AngleConvention = 'le90' | 'le135' | 'oc';

/** OpenCV's `RotatedRect`: centre, size (width, height) and angle in degrees. */
export interface RotatedRect {
  center: [number, number];
  size: [number, number];
  angle: number;
}

const HALF_PI = Math.PI / 2;

/** x mod m in [0, m). */
function mod(x: number, m: number): number {
  const r = x % m;
  return r < 0 ? r + m : r;
}

/**
 * The same rectangle in convention `convention`.
 * @example
 * normalizeBox({ cx: 0, cy: 0, w: 2, h: 4, angle: 0 }, 'le90'); // { w: 4, h: 2, angle: -π/2 }
 */
export function normalizeBox(b: OrientedBox, convention: AngleConvention = 'le90'): OrientedBox {
  let { w, h, angle } = b;
  if (convention === 'oc') {
    // Quarter turns that bring the angle into (0, π/2]; each one swaps the sides.
    const k = Math.ceil(angle / HALF_PI) - 1;
    angle -= k * HALF_PI;
    if (angle <= 0) angle = HALF_PI; // rounding at the boundary
    if (mod(k, 2) === 1) [w, h] = [h, w];
    return { cx: b.cx, cy: b.cy, w, h, angle };
  }
  if (w < h) {
    [w, h] = [h, w];
    angle += HALF_PI;
  }
  const low = convention === 'le90' ? -HALF_PI : -Math.PI / 4;
  angle = mod(angle - low, Math.PI) + low;
  if (angle >= low + Math.PI) angle = low; // rounding at the boundary
  return { cx: b.cx, cy: b.cy, w, h, angle };
}

/**
 * The four corners, clockwise on screen: for angle 0, top-left, top-right, bottom-right,
 * bottom-left (DOTA's order). The polygon has positive signed area.
 */
export function boxCorners(b: OrientedBox): [Point, Point, Point, Point] {
  const c = Math.cos(b.angle);
  const s = Math.sin(b.angle);
  const wx = (b.w / 2) * c,
    wy = (b.w / 2) * s;
  const hx = (-b.h / 2) * s,
    hy = (b.h / 2) * c;
  return [
    [b.cx - wx - hx, b.cy - wy - hy],
    [b.cx + wx - hx, b.cy + wy - hy],
    [b.cx + wx + hx, b.cy + wy + hy],
    [b.cx - wx + hx, b.cy - wy + hy],
  ];
}

/** DOTA's eight numbers x1, y1, …, x4, y4 of a box. */
export function toQuad(b: OrientedBox): number[] {
  return boxCorners(b).flat();
}

/**
 * The minimum-area rectangle holding all `points` (rotating calipers over the convex hull), in
 * `convention`. Collinear points give a zero-height box; one point a zero-size box.
 */
export function minAreaRect(points: readonly Point[], convention: AngleConvention = 'le90'): OrientedBox {
  const hull = convexHull(points);
  if (hull.length === 0) return { cx: 0, cy: 0, w: 0, h: 0, angle: 0 };
  let best: OrientedBox | undefined;
  let bestArea = Infinity;
  const n = hull.length;
  for (let i = 0; i < Math.max(1, n); i++) {
    const a = hull[i]!;
    const b = hull[(i + 1) % n]!;
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    const ux = len > 0 ? (b[0] - a[0]) / len : 1;
    const uy = len > 0 ? (b[1] - a[1]) / len : 0;
    let u0 = Infinity,
      u1 = -Infinity,
      v0 = Infinity,
      v1 = -Infinity;
    for (const [x, y] of hull) {
      const u = x * ux + y * uy;
      const v = -x * uy + y * ux;
      if (u < u0) u0 = u;
      if (u > u1) u1 = u;
      if (v < v0) v0 = v;
      if (v > v1) v1 = v;
    }
    const area = (u1 - u0) * (v1 - v0);
    if (best === undefined || area < bestArea - 1e-12 * Math.max(1, bestArea)) {
      bestArea = area;
      const cu = (u0 + u1) / 2,
        cv = (v0 + v1) / 2;
      best = { cx: cu * ux - cv * uy, cy: cu * uy + cv * ux, w: u1 - u0, h: v1 - v0, angle: Math.atan2(uy, ux) };
    }
  }
  return normalizeBox(best!, convention);
}

/**
 * The box of DOTA corner points x1, y1, …, x4, y4 (any order around the shape): its minimum-area
 * rectangle, exactly the box when the points are a rectangle's corners.
 */
export function fromQuad(quad: ArrayLike<number>, convention: AngleConvention = 'le90'): OrientedBox {
  const pts: Point[] = [];
  for (let i = 0; i + 1 < quad.length; i += 2) pts.push([quad[i]!, quad[i + 1]!]);
  return minAreaRect(pts, convention);
}

/** An OpenCV `RotatedRect` (degrees) as a box in `convention`. */
export function fromRotatedRect(r: RotatedRect, convention: AngleConvention = 'le90'): OrientedBox {
  return normalizeBox(
    { cx: r.center[0], cy: r.center[1], w: r.size[0], h: r.size[1], angle: (r.angle * Math.PI) / 180 },
    convention,
  );
}

/** A box as an OpenCV `RotatedRect` with the angle in (0°, 90°], as OpenCV ≥ 4.5.1 `minAreaRect` returns it. */
export function toRotatedRect(b: OrientedBox): RotatedRect {
  const o = normalizeBox(b, 'oc');
  return { center: [o.cx, o.cy], size: [o.w, o.h], angle: (o.angle * 180) / Math.PI };
}

/**
 * Smallest rectangle at `angle` holding all `points` (the direction is kept, the extents grow):
 * how a kept oriented detection absorbs its cut-off other half from a neighbouring tile.
 */
export function enclosingBoxAt(points: readonly Point[], angle: number): OrientedBox {
  const ux = Math.cos(angle),
    uy = Math.sin(angle);
  let u0 = Infinity,
    u1 = -Infinity,
    v0 = Infinity,
    v1 = -Infinity;
  for (const [x, y] of points) {
    const u = x * ux + y * uy;
    const v = -x * uy + y * ux;
    if (u < u0) u0 = u;
    if (u > u1) u1 = u;
    if (v < v0) v0 = v;
    if (v > v1) v1 = v;
  }
  const cu = (u0 + u1) / 2,
    cv = (v0 + v1) / 2;
  return { cx: cu * ux - cv * uy, cy: cu * uy + cv * ux, w: u1 - u0, h: v1 - v0, angle };
}
