import test from 'ava';
import { iou, type Box } from '../../../../sdk/tasks/nms.js';
import {
  boxCorners,
  fromQuad,
  fromRotatedRect,
  minAreaRect,
  normalizeBox,
  toQuad,
  toRotatedRect,
  type OrientedBox,
} from '../../../../sdk/core/geometry/oriented-box.js';
import { clipConvex, convexHull, polygonArea, polygonIou, type Point } from '../../../../sdk/core/geometry/polygon.js';
import { Rng } from '../../../../tools/frames/seeded.js';

const ob = (cx: number, cy: number, w: number, h: number, angle: number): OrientedBox => ({ cx, cy, w, h, angle });
const rIou = (a: OrientedBox, b: OrientedBox) => polygonIou(boxCorners(a), boxCorners(b));
const close = (a: number, b: number, eps = 1e-9) => Math.abs(a - b) <= eps;

/** Same rectangle: the corner sets agree (any starting corner). */
function sameRect(a: OrientedBox, b: OrientedBox, eps = 1e-9): boolean {
  const key = (p: Point[]) =>
    p
      .map(([x, y]) => [Math.round(x / eps) * eps, Math.round(y / eps) * eps])
      .sort((u, v) => u[0]! - v[0]! || u[1]! - v[1]!);
  const pa = boxCorners(a);
  const pb = boxCorners(b);
  return (
    pa.every((p) => pb.some((q) => close(p[0], q[0], eps * 10) && close(p[1], q[1], eps * 10))) &&
    key(pa).length === key(pb).length
  );
}

test('hand-computed IoUs of rotated rectangles', (t) => {
  // Unit square and the same square turned 45°: a regular octagon of area 2(√2 − 1); IoU = 1/√2.
  t.true(close(rIou(ob(0, 0, 1, 1, 0), ob(0, 0, 1, 1, Math.PI / 4)), Math.SQRT1_2));
  t.true(
    close(
      polygonArea(clipConvex(boxCorners(ob(0, 0, 1, 1, 0)), boxCorners(ob(0, 0, 1, 1, Math.PI / 4)))),
      2 * (Math.SQRT2 - 1),
    ),
  );
  // A 4×2 bar and the same bar turned 90°: a 2×2 cross centre, 4 / (8 + 8 − 4).
  t.true(close(rIou(ob(5, 5, 4, 2, 0), ob(5, 5, 4, 2, Math.PI / 2)), 1 / 3));
  // Two 2×2 squares at 30°, the second moved 1 along the first's width: 2 / 6 at any angle.
  const a = Math.PI / 6;
  t.true(close(rIou(ob(0, 0, 2, 2, a), ob(Math.cos(a), Math.sin(a), 2, 2, a)), 1 / 3));
  // The diamond with corners (0,1), (2,1), (1,0), (1,2) against [−1, 1]²: a triangle of area 1/2, IoU 0.5 / 5.5.
  t.true(close(rIou(ob(0, 0, 2, 2, 0), ob(1, 1, Math.SQRT2, Math.SQRT2, Math.PI / 4)), 1 / 11));
  // Identical boxes, and the same box written with sides swapped and a quarter turn.
  t.true(close(rIou(ob(3, 4, 10, 3, 0.7), ob(3, 4, 10, 3, 0.7)), 1));
  t.true(close(rIou(ob(3, 4, 10, 3, 0.7), ob(3, 4, 3, 10, 0.7 + Math.PI / 2)), 1));
});

test('nested, touching and degenerate rotated rectangles', (t) => {
  // Nested, same orientation: area ratio 8 / 40.
  t.true(close(rIou(ob(7, -2, 10, 4, 0.3), ob(7, -2, 4, 2, 0.3)), 0.2));
  // Nested at another angle (a 2×1 bar well inside a 10×10 square): 2 / 100.
  t.true(close(rIou(ob(0, 0, 10, 10, 0.2), ob(1, 1, 2, 1, 1.1)), 0.02));
  // Sharing an edge (squares at 30° side by side) and sharing only a corner: no overlap.
  const a = Math.PI / 6;
  t.is(rIou(ob(0, 0, 2, 2, a), ob(2 * Math.cos(a), 2 * Math.sin(a), 2, 2, a)) < 1e-12, true);
  t.is(rIou(ob(0, 0, 2, 2, 0), ob(2, 2, 2, 2, 0)), 0);
  t.is(rIou(ob(0, 0, 2, 2, 0), ob(1 + Math.SQRT1_2, 0, 1, 1, Math.PI / 4)), 0);
  // Far apart.
  t.is(rIou(ob(0, 0, 2, 2, 0.4), ob(50, 50, 2, 2, 1.3)), 0);
  // Zero width (0 up to rounding of the turned corners), zero size, both empty.
  t.true(rIou(ob(0, 0, 0, 5, 0.4), ob(0, 0, 4, 4, 0.4)) < 1e-15);
  t.is(rIou(ob(0, 0, 0, 0, 0), ob(0, 0, 4, 4, 0)), 0);
  t.is(rIou(ob(0, 0, 0, 3, 0), ob(0, 0, 0, 3, 0)), 0);
});

test('at angle 0 the polygon IoU equals the axis-aligned IoU', (t) => {
  const rng = new Rng(7, 'axis');
  for (let i = 0; i < 500; i++) {
    const box = (): Box => {
      const x = rng.uniform() * 100,
        y = rng.uniform() * 100;
      return [x, y, x + rng.uniform() * 40, y + rng.uniform() * 40];
    };
    const p = box(),
      q = box();
    const o = (b: Box) => ob((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1], 0);
    t.true(close(rIou(o(p), o(q)), iou(p, q), 1e-12), `${p} ${q}`);
  }
});

test('angle conventions: le90, le135, oc describe the same rectangle in their ranges', (t) => {
  const rng = new Rng(3, 'conv');
  for (let i = 0; i < 300; i++) {
    const b = ob(
      rng.uniform() * 50,
      rng.uniform() * 50,
      1 + rng.uniform() * 20,
      1 + rng.uniform() * 20,
      (rng.uniform() - 0.5) * 20,
    );
    const le90 = normalizeBox(b, 'le90');
    t.true(le90.w >= le90.h && le90.angle >= -Math.PI / 2 && le90.angle < Math.PI / 2);
    const le135 = normalizeBox(b, 'le135');
    t.true(le135.w >= le135.h && le135.angle >= -Math.PI / 4 && le135.angle < (3 * Math.PI) / 4);
    const oc = normalizeBox(b, 'oc');
    t.true(oc.angle > 0 && oc.angle <= Math.PI / 2);
    for (const n of [le90, le135, oc]) t.true(sameRect(b, n, 1e-7));
    t.true(sameRect(b, fromQuad(toQuad(b)), 1e-7));
    t.true(sameRect(b, fromRotatedRect(toRotatedRect(b)), 1e-7));
  }
  // Worked examples.
  t.deepEqual(normalizeBox(ob(0, 0, 2, 4, 0), 'le90'), ob(0, 0, 4, 2, -Math.PI / 2));
  t.deepEqual(normalizeBox(ob(0, 0, 2, 4, 0), 'le135'), ob(0, 0, 4, 2, Math.PI / 2));
  t.deepEqual(normalizeBox(ob(0, 0, 4, 2, 0), 'oc'), ob(0, 0, 2, 4, Math.PI / 2));
  t.deepEqual(normalizeBox(ob(0, 0, 4, 2, (3 * Math.PI) / 4), 'le90'), ob(0, 0, 4, 2, -Math.PI / 4));
  // OpenCV ≥ 4.5.1 gives minAreaRect([(0,0),(4,0),(4,2),(0,2)]) = ((2, 1), (2, 4), 90).
  t.deepEqual(
    toRotatedRect(
      minAreaRect([
        [0, 0],
        [4, 0],
        [4, 2],
        [0, 2],
      ]),
    ),
    { center: [2, 1], size: [2, 4], angle: 90 },
  );
  // A RotatedRect of −30° (older OpenCV's range) in le90.
  const r = fromRotatedRect({ center: [10, 20], size: [6, 3], angle: -30 });
  t.true(close(r.angle, -Math.PI / 6) && r.w === 6 && r.h === 3);
});

test('DOTA corners: clockwise on screen from the top-left at angle 0, and the minimum-area rectangle of any quadrilateral', (t) => {
  t.deepEqual(toQuad(ob(2, 1, 4, 2, 0)), [0, 0, 4, 0, 4, 2, 0, 2]);
  // A rectangle's corners in any order and either direction give the rectangle back.
  const b = ob(30, 40, 20, 6, 0.4);
  const c = boxCorners(b);
  t.true(sameRect(fromQuad([c[2], c[1], c[0], c[3]].flat()), b, 1e-9));
  // A non-rectangular quad: the trapezoid (0,0), (10,0), (8,4), (2,4) fits in a 10 × 4 box at angle 0.
  const r = fromQuad([0, 0, 10, 0, 8, 4, 2, 4]);
  t.true(close(r.w, 10) && close(r.h, 4) && close(r.cx, 5) && close(r.cy, 2) && close(r.angle, 0));
  t.deepEqual(
    convexHull([
      [0, 0],
      [1, 1],
      [2, 2],
    ]).length,
    2,
  );
  const flat = fromQuad([0, 0, 1, 1, 2, 2, 3, 3]);
  t.true(close(flat.h, 0) && close(flat.w, 3 * Math.SQRT2));
});
