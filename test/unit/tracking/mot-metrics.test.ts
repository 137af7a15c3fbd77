/**
 * The MOT scores on hand-worked sequences (each figure computed by hand from the CLEAR MOT and
 * IDF1 definitions).
 */
import test from 'ava';
import { motScores, type MotFrame } from '../../../sdk/tracking/mot-metrics.js';
import type { Box } from '../../../sdk/tasks/nms.js';

const b = (x: number): Box => [x, 0, x + 10, 10];

test('a perfect tracker scores MOTA 1, IDF1 1, whatever its ids are called', (t) => {
  const frames: MotFrame[] = [0, 1, 2].map((f) => ({
    gt: [
      { id: 1, box: b(f) },
      { id: 2, box: b(100 + f) },
    ],
    hyp: [
      { id: 7, box: b(f) },
      { id: 9, box: b(100 + f) },
    ],
  }));
  const s = motScores(frames);
  t.is(s.mota, 1);
  t.is(s.idf1, 1);
  t.is(s.idSwitches, 0);
  t.is(s.motp, 1);
});

test('an id switch, a miss and a false positive', (t) => {
  // gt 1 over 4 frames; the tracker calls it 5, 5, then 6 (switch), then misses it and reports a stray box.
  const frames: MotFrame[] = [
    { gt: [{ id: 1, box: b(0) }], hyp: [{ id: 5, box: b(0) }] },
    { gt: [{ id: 1, box: b(1) }], hyp: [{ id: 5, box: b(1) }] },
    { gt: [{ id: 1, box: b(2) }], hyp: [{ id: 6, box: b(2) }] },
    { gt: [{ id: 1, box: b(3) }], hyp: [{ id: 6, box: b(500) }] },
  ];
  const s = motScores(frames);
  t.is(s.gt, 4);
  t.is(s.matches, 3);
  t.is(s.misses, 1);
  t.is(s.falsePositives, 1);
  t.is(s.idSwitches, 1);
  t.is(s.mota, 1 - 3 / 4);
  // Best identity pairing: 1↔5 explains 2 boxes; IDF1 = 2·2 / (4 + 4).
  t.is(s.idtp, 2);
  t.is(s.idf1, 0.5);
});

test('a box below the IoU threshold is a miss plus a false positive', (t) => {
  const s = motScores([{ gt: [{ id: 1, box: [0, 0, 10, 10] }], hyp: [{ id: 1, box: [6, 0, 16, 10] }] }]);
  t.is(s.matches, 0);
  t.is(s.mota, -1);
  t.is(motScores([{ gt: [{ id: 1, box: [0, 0, 10, 10] }], hyp: [{ id: 1, box: [6, 0, 16, 10] }] }], 0.2).matches, 1);
});

test('a kept correspondence wins over a better-overlapping newcomer (no switch)', (t) => {
  const frames: MotFrame[] = [
    { gt: [{ id: 1, box: [0, 0, 10, 10] }], hyp: [{ id: 1, box: [0, 0, 10, 10] }] },
    {
      gt: [{ id: 1, box: [0, 0, 10, 10] }],
      hyp: [
        { id: 1, box: [1, 0, 11, 10] },
        { id: 2, box: [0, 0, 10, 10] },
      ],
    },
  ];
  const s = motScores(frames);
  t.is(s.idSwitches, 0);
  t.is(s.falsePositives, 1);
});
