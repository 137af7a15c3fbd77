/**
 * Exact geometry of convex polygons in image coordinates (x right, y down): area, intersection by
 * convex clipping (Sutherland–Hodgman against each edge of the other polygon) and intersection over
 * union. Oriented boxes, their images under a non-uniform scale (parallelograms) and DOTA
 * quadrilaterals are all convex polygons; rotated NMS measures overlap with these functions.
 */

/** A point [x, y]. */
export type Point = [number, number];

/** Signed shoelace area: positive when the vertices turn from +x toward +y (clockwise on screen). */
export function signedArea(poly: readonly Point[]): number {
  let s = 0;
  for (let i = 0, n = poly.length; i < n; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % n]!;
    s += a[0] * b[1] - b[0] * a[1];
  }
  return s / 2;
}

/** Area of a simple polygon (0 for fewer than 3 vertices or collinear ones). */
export function polygonArea(poly: readonly Point[]): number {
  return Math.abs(signedArea(poly));
}

/** The polygon with positive signed area (vertex order reversed when needed). */
export function positiveOrder(poly: readonly Point[]): Point[] {
  return signedArea(poly) < 0 ? [...poly].reverse() : [...poly];
}

/**
 * Intersection of convex polygon `subject` with convex polygon `clip`, both of positive signed area
 * ({@link positiveOrder}). Empty (or a degenerate sliver of zero area) when they only touch.
 */
export function clipConvex(subject: readonly Point[], clip: readonly Point[]): Point[] {
  let out: Point[] = [...subject];
  for (let i = 0, n = clip.length; i < n && out.length > 0; i++) {
    const a = clip[i]!;
    const b = clip[(i + 1) % n]!;
    const ex = b[0] - a[0];
    const ey = b[1] - a[1];
    // side > 0: on the inner side of edge a→b (the interior lies to the +x→+y turn of each edge).
    const side = (p: Point) => ex * (p[1] - a[1]) - ey * (p[0] - a[0]);
    const input = out;
    out = [];
    for (let k = 0, m = input.length; k < m; k++) {
      const p = input[k]!;
      const q = input[(k + 1) % m]!;
      const sp = side(p);
      const sq = side(q);
      if (sp >= 0) out.push(p);
      if (sp >= 0 !== sq >= 0 && sp !== sq) {
        const t = sp / (sp - sq);
        out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
      }
    }
  }
  return out;
}

/** Area of the intersection of two convex polygons of positive signed area. */
export function intersectionArea(a: readonly Point[], b: readonly Point[]): number {
  return polygonArea(clipConvex(a, b));
}

/**
 * Intersection over union of two convex polygons of positive signed area (0 when the union is empty).
 * @example
 * polygonIou([[0, 0], [2, 0], [2, 2], [0, 2]], [[1, 0], [3, 0], [3, 2], [1, 2]]); // 2 / 6
 */
export function polygonIou(a: readonly Point[], b: readonly Point[]): number {
  const i = intersectionArea(a, b);
  const u = polygonArea(a) + polygonArea(b) - i;
  return u > 0 ? Math.min(1, i / u) : 0;
}

/** Axis-aligned bounds [minX, minY, maxX, maxY] of a polygon. */
export function polygonBounds(poly: readonly Point[]): [number, number, number, number] {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (const [x, y] of poly) {
    if (x < x0) x0 = x;
    if (y < y0) y0 = y;
    if (x > x1) x1 = x;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1, y1];
}

/** Convex hull (Andrew's monotone chain), positive signed area, collinear points dropped. */
export function convexHull(points: readonly Point[]): Point[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Point[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}
