import test from 'ava';
import { createRng } from '../../../sdk/sensors/synthetic/rng.js';
import { iou, nonMaxSuppression, type Box, type Candidate } from '../../../sdk/tasks/nms.js';

test('IoU by hand', (t) => {
  t.is(iou([0, 0, 10, 10], [5, 5, 15, 15]), 25 / 175);
  t.is(iou([0, 0, 10, 10], [10, 0, 20, 10]), 0);
  t.is(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  t.is(iou([2, 2, 4, 4], [0, 0, 10, 10]), 4 / 100);
});

/** Independent reference: sort, then a suppressed[] sweep (the textbook formulation). */
function referenceNms(c: Candidate[], thr: number): number[] {
  const order = c.map((_, i) => i).sort((a, b) => c[b]!.score - c[a]!.score || a - b);
  const suppressed = new Array<boolean>(c.length).fill(false);
  const keep: number[] = [];
  for (let a = 0; a < order.length; a++) {
    const i = order[a]!;
    if (suppressed[i]) continue;
    keep.push(i);
    for (let b = a + 1; b < order.length; b++) {
      const j = order[b]!;
      if (c[j]!.classId === c[i]!.classId && iou(c[i]!.box, c[j]!.box) >= thr) suppressed[j] = true;
    }
  }
  return keep;
}

test('class-wise NMS equals the textbook reference on random boxes', (t) => {
  const rng = createRng(11);
  for (let round = 0; round < 200; round++) {
    const n = rng.int(1, 60);
    const cands: (Candidate & { id: number })[] = Array.from({ length: n }, (_, id) => {
      const x = rng.range(0, 100);
      const y = rng.range(0, 100);
      const box: Box = [x, y, x + rng.range(1, 30), y + rng.range(1, 30)];
      return { id, box, score: Math.round(rng.next() * 20) / 20, classId: rng.int(0, 2) };
    });
    const thr = rng.range(0.2, 0.8);
    const got = nonMaxSuppression(cands, { iouThreshold: thr }).map((c) => c.id);
    t.deepEqual(got, referenceNms(cands, thr));
  }
});

test('classes are independent unless class-agnostic; maxDetections caps the result', (t) => {
  const c: Candidate[] = [
    { box: [0, 0, 10, 10], score: 0.9, classId: 0 },
    { box: [1, 1, 11, 11], score: 0.8, classId: 1 },
    { box: [1, 0, 11, 10], score: 0.7, classId: 0 },
  ];
  t.deepEqual(
    nonMaxSuppression(c, { iouThreshold: 0.5 }).map((k) => k.score),
    [0.9, 0.8],
  );
  t.deepEqual(
    nonMaxSuppression(c, { iouThreshold: 0.5, classAgnostic: true }).map((k) => k.score),
    [0.9],
  );
  t.is(nonMaxSuppression(c, { iouThreshold: 0.99, maxDetections: 2 }).length, 2);
});

test('cross-tile merge: a truncated box from one tile joins the whole box from its neighbour', (t) => {
  const whole: Candidate = { box: [90, 10, 130, 30], score: 0.9, classId: 0, tile: 1 };
  const cut: Candidate = { box: [90, 10, 100, 30], score: 0.6, classId: 0, tile: 0 };
  t.true(iou(whole.box, cut.box) < 0.5);
  t.is(nonMaxSuppression([whole, cut], { iouThreshold: 0.5 }).length, 2, 'plain NMS keeps both');
  const merged = nonMaxSuppression([cut, whole], { iouThreshold: 0.5, crossTileIos: 0.6 });
  t.is(merged.length, 1);
  t.deepEqual(merged[0]!.box, [90, 10, 130, 30]);
  t.is(merged[0]!.score, 0.9);
  const sameTile = nonMaxSuppression([{ ...cut, tile: 1 }, whole], { iouThreshold: 0.5, crossTileIos: 0.6 });
  t.is(sameTile.length, 2, 'no merging within one tile');
});
