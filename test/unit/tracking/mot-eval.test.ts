/**
 * ByteTrack against the IoU-greedy anchor on the generated sequences with ground truth (crossings,
 * occluders, misses, jitter, false positives): ByteTrack must score a higher MOTA and IDF1 with
 * fewer ID switches on every sequence. The sequences are seeded, so the figures are fixed; the
 * bounds leave room only for changes of the tracker.
 */
import test from 'ava';
import { ByteTracker } from '../../../sdk/tracking/byte-tracker.js';
import { IouTracker } from '../../../sdk/tracking/iou-tracker.js';
import { motScores } from '../../../sdk/tracking/mot-metrics.js';
import type { Tracker } from '../../../sdk/tracking/track.js';
import { SEQUENCES, generateSequence } from '../../helpers/mot-sequences.js';

function score(tracker: Tracker, frames: ReturnType<typeof generateSequence>) {
  return motScores(
    frames.map((fr) => ({
      gt: fr.gt,
      hyp: tracker.update(fr.detections).tracks.map((tr) => ({ id: tr.id, box: tr.box })),
    })),
  );
}

for (const spec of SEQUENCES) {
  test(`${spec.name}: ByteTrack beats the IoU-greedy tracker on MOTA, IDF1 and ID switches`, (t) => {
    const frames = generateSequence(spec);
    const byte = score(new ByteTracker(), frames);
    const anchor = score(new IouTracker(), frames);
    t.log(
      `ByteTrack MOTA ${byte.mota.toFixed(3)} IDF1 ${byte.idf1.toFixed(3)} IDSW ${byte.idSwitches}; IoU-greedy MOTA ${anchor.mota.toFixed(3)} IDF1 ${anchor.idf1.toFixed(3)} IDSW ${anchor.idSwitches}`,
    );
    t.true(byte.mota > anchor.mota);
    t.true(byte.idf1 > anchor.idf1 + 0.05);
    t.true(byte.idSwitches < anchor.idSwitches);
    t.true(byte.idf1 > 0.65);
    // Ids are stable: barely more track ids than objects.
    t.true(byte.hypIds <= byte.gtIds * 2, `${byte.hypIds} ids for ${byte.gtIds} objects`);
  });
}

test('the generated sequences are what they claim: seeded, with occlusion gaps and low-score detections', (t) => {
  const a = generateSequence(SEQUENCES[1]!);
  t.deepEqual(generateSequence(SEQUENCES[1]!), a);
  t.true(a.some((f) => f.gt.some((g) => g.visibility < 0.7)));
  t.true(a.some((f) => f.detections.some((d) => d.score < 0.5)));
  const ids = new Set(a.flatMap((f) => f.gt.map((g) => g.id)));
  // Some object is absent from the ground truth for a while in the middle of its path (hidden).
  const gap = [...ids].some((id) => {
    const seen = a.map((f) => f.gt.some((g) => g.id === id));
    const first = seen.indexOf(true);
    const last = seen.lastIndexOf(true);
    return seen.slice(first, last).includes(false);
  });
  t.true(gap);
});
