/**
 * `tasks.tracking` on a real runtime (ringmoe-tiny, onnxruntime): the same aerial frame streamed
 * several times gives the same detections, so every confirmed track must keep its id, detections
 * must carry it, a `tracking` task result must come with each frame, and births must be reported
 * once through the `track` event. Options are checked when the runtime is created.
 */
import test from 'ava';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import type { InferenceResult } from '../../../sdk/pipeline/results.js';
import type { TrackingResult } from '../../../sdk/tracking/result-tracking.js';
import type { Frame } from '../../../sdk/sensors/frame.js';
import { tinyPackage } from '../../helpers/packages.js';
import { AERO1 } from './frames.js';

test('a repeated frame keeps every track id; births come once; detections carry their track id', async (t) => {
  const { dir } = await tinyPackage();
  const rt = await createRuntime({
    package: dir,
    workers: 0,
    tasks: {
      detection: { scoreThreshold: 0.05 },
      tracking: { highThreshold: 0.05, lowThreshold: 0.05, newTrackThreshold: 0.05 },
      segmentation: false,
      depth: false,
      classification: false,
    },
  });
  const events: TrackingResult[] = [];
  rt.on('track', (e) => events.push(e));
  try {
    const frames: Frame[] = [0, 1, 2, 3].map((i) => ({
      id: `aero-${i}`,
      modality: 'optical',
      pixels: AERO1,
      timestamp: i,
    }));
    const results: InferenceResult[] = [];
    for await (const out of rt.run(frames)) if (out.ok) results.push(out);
    t.is(results.length, 4);
    const tracked = results[0]!.tasks.detection!.detections.filter((d) => d.score >= 0.05);
    t.log(`${results[0]!.tasks.detection!.detections.length} detections, ${tracked.length} at or above 0.05`);
    t.true(tracked.length > 0, 'the tiny model gives detections above the new-track threshold on aero1');
    const ids = tracked.map((d) => d.trackId);
    t.true(ids.every((id) => typeof id === 'number'));
    t.is(new Set(ids).size, ids.length);
    for (const r of results) {
      t.deepEqual(
        r.tasks.detection!.detections.filter((d) => d.score >= 0.05).map((d) => d.trackId),
        ids,
      );
      const tr = r.tasks.tracking!;
      t.is(tr.task, 'tracking');
      t.is(tr.frameId, r.frameId);
      t.deepEqual(
        tr.tracks.map((x) => x.id),
        [...ids].sort((a, b) => a! - b!),
      );
      t.true(tr.tracks.every((x) => typeof x.label === 'string' && x.label.length > 0));
    }
    t.is(results[3]!.tasks.tracking!.tracks[0]!.history.length, 4);
    t.deepEqual(events.length, 1);
    t.deepEqual(
      [...events[0]!.born].sort((a, b) => a - b),
      [...ids].sort((a, b) => a! - b!),
    );
  } finally {
    await rt.close();
  }
});

test('tracking is off unless asked for; bad tracking options fail at createRuntime naming the option', async (t) => {
  const { dir } = await tinyPackage();
  const rt = await createRuntime({ package: dir, workers: 0 });
  try {
    const r = await rt.infer({ id: 'a', modality: 'optical', pixels: AERO1, timestamp: 0 });
    t.is(r.tasks.tracking, undefined);
    t.true(r.tasks.detection!.detections.every((d) => d.trackId === undefined));
  } finally {
    await rt.close();
  }
  for (const [tasks, field] of [
    [{ tracking: { matchIou: 2 } }, 'options.tasks.tracking.matchIou'],
    [{ tracking: { maxAge: 3 } }, 'options.tasks.tracking.maxAge'],
    [{ tracking: 'yes' }, 'options.tasks.tracking'],
    [{ tracking: true, detection: false }, 'options.tasks.tracking'],
  ] as const) {
    const e = await t.throwsAsync(createRuntime({ package: dir, workers: 0, tasks: tasks as never }));
    t.is((e as { code?: string }).code, 'E_INVALID_ARGUMENT');
    t.is((e as { field?: string }).field, field);
  }
});
