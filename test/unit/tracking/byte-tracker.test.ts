/**
 * ByteTrack on hand-made streams whose right answer is known: ids stay with objects through
 * motion, occlusion gaps, low-score frames and crossings; one-off false positives use no id; births
 * and deaths are reported once; options are checked.
 */
import test from 'ava';
import { ByteTracker } from '../../../sdk/tracking/byte-tracker.js';
import { IouTracker } from '../../../sdk/tracking/iou-tracker.js';
import type { Box } from '../../../sdk/tasks/nms.js';
import type { TrackInput } from '../../../sdk/tracking/track.js';

const box = (x: number, y: number, w = 40, h = 40): Box => [x, y, x + w, y + h];
const det = (b: Box, score = 0.9, classId = 0): TrackInput => ({ box: b, score, classId });

test('a moving box keeps one id from the first frame on; the id is born once', (t) => {
  const tr = new ByteTracker();
  const births: number[] = [];
  for (let f = 0; f < 40; f++) {
    const s = tr.update([det(box(10 + 6 * f, 100 + 2 * f))]);
    births.push(...s.born);
    t.deepEqual(s.ids, [1], `frame ${f}`);
    t.is(s.tracks.length, 1);
  }
  t.deepEqual(births, [1]);
  const last = tr.update([det(box(250, 180))]).tracks[0]!;
  t.true(Math.abs(last.velocity[0] - 6) < 1, `velocity ${last.velocity}`);
  t.is(last.history.length, 30);
});

test('an object hidden for 10 frames gets its id back where the motion model puts it', (t) => {
  const tr = new ByteTracker();
  for (let f = 0; f < 10; f++) tr.update([det(box(100 + 8 * f, 200))]);
  for (let f = 10; f < 20; f++) {
    const s = tr.update([]);
    t.deepEqual(s.lost, [1]);
    t.deepEqual(s.tracks, []);
  }
  // Back at x = 100 + 8·20: the last box seen was at x = 172, so IoU with it would be 0.
  const s = tr.update([det(box(100 + 8 * 20, 200))]);
  t.deepEqual(s.ids, [1]);
  t.deepEqual(s.born, []);
});

test('the IoU-greedy anchor loses the same object after the gap (no motion model)', (t) => {
  const tr = new IouTracker();
  for (let f = 0; f < 10; f++) tr.update([det(box(100 + 8 * f, 200))]);
  for (let f = 10; f < 20; f++) tr.update([]);
  t.deepEqual(tr.update([det(box(100 + 8 * 20, 200))]).ids, [2]);
});

test('low-score detections of a tracked object keep its track (second association); alone they start nothing', (t) => {
  const tr = new ByteTracker();
  for (let f = 0; f < 5; f++) tr.update([det(box(50 + 5 * f, 50))]);
  for (let f = 5; f < 10; f++) {
    const s = tr.update([det(box(50 + 5 * f, 50), 0.3)]);
    t.deepEqual(s.ids, [1], `frame ${f}`);
  }
  const other = new ByteTracker();
  other.update([]);
  for (let f = 0; f < 5; f++) t.deepEqual(other.update([det(box(300, 300), 0.3)]).ids, [undefined]);
  t.is(other.alive, 0);
});

test('a detection seen once uses no id; a new object is confirmed on its second frame', (t) => {
  const tr = new ByteTracker();
  tr.update([det(box(0, 0))]);
  t.deepEqual(tr.update([det(box(0, 0)), det(box(500, 500), 0.8)]).ids, [1, undefined]);
  const s = tr.update([det(box(0, 0)), det(box(900, 100), 0.8)]);
  t.deepEqual(s.ids, [1, undefined]);
  const s2 = tr.update([det(box(0, 0)), det(box(902, 100), 0.8)]);
  t.deepEqual(s2.ids, [1, 2]);
  t.deepEqual(s2.born, [2]);
});

test('two objects crossing each other keep their ids', (t) => {
  const tr = new ByteTracker();
  let first: [number | undefined, number | undefined] | undefined;
  for (let f = 0; f < 60; f++) {
    const a = box(20 + 10 * f, 200);
    const b = box(620 - 10 * f, 205);
    // Listed in varying order, as a detector sorts by score.
    const dets = f % 2 ? [det(a, 0.9), det(b, 0.8)] : [det(b, 0.9), det(a, 0.8)];
    const s = tr.update(dets);
    const idA = s.ids[f % 2 ? 0 : 1];
    const idB = s.ids[f % 2 ? 1 : 0];
    first ??= [idA, idB];
    t.deepEqual([idA, idB], first, `frame ${f}`);
  }
  t.deepEqual([...first!].sort(), [1, 2]);
});

test('a track unmatched for longer than maxLostFrames dies once, and its id is not reused', (t) => {
  const tr = new ByteTracker({ maxLostFrames: 3 });
  tr.update([det(box(0, 0))]);
  const died: number[] = [];
  for (let f = 0; f < 6; f++) died.push(...tr.update([]).died);
  t.deepEqual(died, [1]);
  tr.update([det(box(0, 0))]);
  t.deepEqual(tr.update([det(box(0, 0))]).ids, [2]);
});

test('classes are kept apart unless classAware is false', (t) => {
  const aware = new ByteTracker();
  aware.update([det(box(0, 0), 0.9, 0)]);
  t.deepEqual(aware.update([det(box(0, 0), 0.9, 1)]).ids, [undefined]);
  const blind = new ByteTracker({ classAware: false });
  blind.update([det(box(0, 0), 0.9, 0)]);
  t.deepEqual(blind.update([det(box(0, 0), 0.9, 1)]).ids, [1]);
});

test('georeferenced detections put map positions in the history; extra fields (a polygon) pass untouched', (t) => {
  const tr = new ByteTracker();
  const d = {
    ...det(box(0, 0)),
    map: { bbox: [100, 200, 140, 240] as [number, number, number, number] },
    polygon: [
      [0, 0],
      [40, 0],
      [40, 40],
    ],
  };
  const s = tr.update([d]);
  t.deepEqual(s.tracks[0]!.history, [{ frame: 0, box: [0, 0, 40, 40], map: [120, 220] }]);
  t.deepEqual(d.polygon, [
    [0, 0],
    [40, 0],
    [40, 40],
  ]);
});

test('bad options fail with E_INVALID_ARGUMENT naming the option', (t) => {
  const cases: [Record<string, unknown>, string][] = [
    [{ matchIou: 1.5 }, 'options.matchIou'],
    [{ maxLostFrames: -1 }, 'options.maxLostFrames'],
    [{ lowThreshold: 0.7 }, 'options.lowThreshold'],
    [{ newTrackThreshold: 0.3 }, 'options.newTrackThreshold'],
    [{ classAware: 'yes' }, 'options.classAware'],
    [{ maxAge: 3 }, 'options.maxAge'],
  ];
  for (const [o, field] of cases) {
    const e = t.throws(() => new ByteTracker(o as never), undefined, JSON.stringify(o)) as unknown as {
      code: string;
      field?: string;
    };
    t.is(e.code, 'E_INVALID_ARGUMENT');
    t.is(e.field, field, JSON.stringify(o));
  }
});
