import test from 'ava';
import { nonMaxSuppression, type Box, type Candidate } from '../../../sdk/tasks/nms.js';
import { boxCorners, type OrientedBox } from '../../../sdk/core/geometry/oriented-box.js';
import { rotatedNonMaxSuppression, type OrientedCandidate } from '../../../sdk/tasks/rotated-nms.js';
import { Rng } from '../../../tools/frames/seeded.js';

const ob = (cx: number, cy: number, w: number, h: number, angle: number): OrientedBox => ({ cx, cy, w, h, angle });
const close = (a: number, b: number, eps = 1e-9) => Math.abs(a - b) <= eps;

test('harbour: two ships moored side by side at 45° both survive rotated NMS; axis-aligned NMS of their enclosing boxes loses one', (t) => {
  const d = Math.PI / 4;
  // 100 × 12 hulls, 13 px apart across their width (1 px of water between them).
  const ships = [ob(100, 100, 100, 12, d), ob(100 - 13 * Math.sin(d), 100 + 13 * Math.cos(d), 100, 12, d)];
  const cands: OrientedCandidate[] = ships.map((s, i) => ({ obox: s, score: 0.9 - i * 0.1, classId: 0 }));
  const kept = rotatedNonMaxSuppression(cands, { iouThreshold: 0.5 });
  t.is(kept.length, 2);
  const axis: Candidate[] = ships.map((s, i) => {
    const c = boxCorners(s);
    const xs = c.map((p) => p[0]),
      ys = c.map((p) => p[1]);
    return {
      box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] as Box,
      score: 0.9 - i * 0.1,
      classId: 0,
    };
  });
  t.is(nonMaxSuppression(axis, { iouThreshold: 0.5 }).length, 1);
});

test('class-wise and class-agnostic suppression, score order, max detections', (t) => {
  const cands: OrientedCandidate[] = [
    { obox: ob(10, 10, 20, 8, 0.5), score: 0.6, classId: 1 },
    { obox: ob(10.5, 10, 20, 8, 0.5), score: 0.9, classId: 1 },
    { obox: ob(10, 10.5, 20, 8, 0.52), score: 0.8, classId: 2 },
    { obox: ob(60, 60, 10, 10, 0), score: 0.7, classId: 1 },
  ];
  const wise = rotatedNonMaxSuppression(cands, { iouThreshold: 0.5 });
  t.deepEqual(
    wise.map((c) => c.score),
    [0.9, 0.8, 0.7],
  );
  const agnostic = rotatedNonMaxSuppression(cands, { iouThreshold: 0.5, classAgnostic: true });
  t.deepEqual(
    agnostic.map((c) => c.score),
    [0.9, 0.7],
  );
  t.deepEqual(
    rotatedNonMaxSuppression(cands, { iouThreshold: 0.5, maxDetections: 1 }).map((c) => c.score),
    [0.9],
  );
  t.deepEqual(cands[1]!.polygon, undefined, 'inputs are not modified');
  t.is(wise[0]!.polygon!.length, 4);
});

test('at angle 0 rotated NMS keeps exactly what axis-aligned NMS keeps, cross-tile merges included', (t) => {
  const rng = new Rng(11, 'nms');
  for (let round = 0; round < 20; round++) {
    const axis: Candidate[] = [];
    for (let i = 0; i < 80; i++) {
      const x = Math.round(rng.uniform() * 200),
        y = Math.round(rng.uniform() * 200);
      const w = 4 + Math.round(rng.uniform() * 40),
        h = 4 + Math.round(rng.uniform() * 40);
      axis.push({
        box: [x, y, x + w, y + h],
        score: Math.round(rng.uniform() * 1000) / 1000,
        classId: Math.floor(rng.uniform() * 3),
        tile: Math.floor(rng.uniform() * 4),
      });
    }
    const rotated = axis.map((c) => ({
      ...c,
      obox: ob((c.box[0] + c.box[2]) / 2, (c.box[1] + c.box[3]) / 2, c.box[2] - c.box[0], c.box[3] - c.box[1], 0),
    }));
    for (const opts of [
      { iouThreshold: 0.4 },
      { iouThreshold: 0.5, crossTileIos: 0.6 },
      { iouThreshold: 0.3, classAgnostic: true, crossTileIos: 0.5 },
    ]) {
      const a = nonMaxSuppression(axis, opts);
      const r = rotatedNonMaxSuppression(rotated, opts);
      t.is(r.length, a.length);
      for (let k = 0; k < a.length; k++) {
        const b = a[k]!.box;
        const o = r[k]!.obox;
        // le90 writes a tall box as a quarter turn: compare the extents.
        const [w, h] = Math.abs(o.angle) > 1 ? [o.h, o.w] : [o.w, o.h];
        t.true(
          close(o.cx - w / 2, b[0]) &&
            close(o.cy - h / 2, b[1]) &&
            close(o.cx + w / 2, b[2]) &&
            close(o.cy + h / 2, b[3]),
          `round ${round} kept ${k}`,
        );
      }
    }
  }
});

test('a rotated object cut by a tile edge joins its other half', (t) => {
  // A 80 × 16 ship at 30°; tile 0 sees it whole, tile 1 only the part right of x = 110 (its box fitted at the same angle).
  const a = Math.PI / 6;
  const ship = ob(100, 80, 80, 16, a);
  const ux = Math.cos(a);
  // Portion of the hull beyond a cut at distance 15 along the length from the centre: length 25, same width.
  const part = ob(100 + (15 + 12.5) * ux, 80 + (15 + 12.5) * Math.sin(a), 25, 16, a);
  const kept = rotatedNonMaxSuppression(
    [
      { obox: part, score: 0.95, classId: 0, tile: 1 },
      { obox: ship, score: 0.7, classId: 0, tile: 0 },
    ],
    { iouThreshold: 0.5, crossTileIos: 0.6 },
  );
  t.is(kept.length, 1);
  const k = kept[0]!.obox;
  t.true(
    close(k.cx, ship.cx) && close(k.cy, ship.cy) && close(k.w, 80) && close(k.h, 16) && close(k.angle, a),
    JSON.stringify(k),
  );
  t.is(kept[0]!.score, 0.95);
  // Within one tile the same pair is two detections (IoU 25 / 80 < 0.5).
  t.is(
    rotatedNonMaxSuppression(
      [
        { obox: part, score: 0.95, classId: 0, tile: 0 },
        { obox: ship, score: 0.7, classId: 0, tile: 0 },
      ],
      { iouThreshold: 0.5, crossTileIos: 0.6 },
    ).length,
    2,
  );
});

test('two cut halves, neither whole, join into the whole ship when they overlap enough', (t) => {
  // An 80 × 16 ship at −50°: tile 0 sees 50 px of it from the stern, tile 1 50 px from the bow; 20 px are in both.
  const a = (-50 * Math.PI) / 180;
  const along = (u: number, len: number) => ob(300 + u * Math.cos(a), 200 + u * Math.sin(a), len, 16, a);
  const halves = [
    { obox: along(-15, 50), score: 0.8, classId: 3, tile: 0 },
    { obox: along(15, 50), score: 0.75, classId: 3, tile: 1 },
  ];
  // Intersection over the smaller box: 20 / 50.
  t.is(rotatedNonMaxSuppression(halves, { iouThreshold: 0.5, crossTileIos: 0.6 }).length, 2);
  const kept = rotatedNonMaxSuppression(halves, { iouThreshold: 0.5, crossTileIos: 0.35 });
  t.is(kept.length, 1);
  const k = kept[0]!.obox;
  const whole = along(0, 80);
  t.true(
    close(k.cx, whole.cx) &&
      close(k.cy, whole.cy) &&
      close(k.w, 80) &&
      close(k.h, 16) &&
      close(Math.sin(k.angle - a), 0),
    JSON.stringify(k),
  );
});
