/**
 * Tracking: how well ByteTrack tracks on the generated sequences with ground truth (MOTA, IDF1, ID
 * switches) against a plain IoU-greedy tracker (the anchor), and what `tasks.tracking` costs the
 * pipeline: frames/s of runtime.run() on ringmoe-tiny with tracking on against off, interleaved in
 * one run (every detection of the untrained model is tracked: thresholds at 0.05).
 */
import { ByteTracker } from '../../sdk/tracking/byte-tracker.js';
import { IouTracker } from '../../sdk/tracking/iou-tracker.js';
import { motScores, type MotScores } from '../../sdk/tracking/mot-metrics.js';
import type { Tracker } from '../../sdk/tracking/track.js';
import { createRuntime } from '../../sdk/runtime/runtime.js';
import { SEQUENCES, generateSequence } from '../helpers/mot-sequences.js';
import { benchPackage, interleave, median, type Bench, type BenchResult } from './harness.js';
import { jpegFrames } from './pipeline-frames.js';

const FRAMES = 24;
const ROUNDS = 5;

function evaluate(
  make: () => Tracker,
  frames: ReturnType<typeof generateSequence>,
): { s: MotScores; msPerFrame: number } {
  const tracker = make();
  const t0 = performance.now();
  const out = frames.map((fr) => ({
    gt: fr.gt,
    hyp: tracker.update(fr.detections).tracks.map((t) => ({ id: t.id, box: t.box })),
  }));
  const msPerFrame = (performance.now() - t0) / frames.length;
  return { s: motScores(out), msPerFrame };
}

export const bench: Bench = {
  name: 'tracking',
  description:
    'ByteTrack vs an IoU-greedy tracker on generated sequences (MOTA, IDF1, ID switches); runtime.run() frames/s with tasks.tracking on vs off',
  async run(log) {
    const results: BenchResult[] = [];
    for (const spec of SEQUENCES) {
      const frames = generateSequence(spec);
      const byte = evaluate(() => new ByteTracker(), frames);
      const iou = evaluate(() => new IouTracker(), frames);
      const dets = frames.reduce((n, f) => n + f.detections.length, 0) / frames.length;
      for (const [name, r] of [
        ['ByteTrack', byte],
        ['IoU-greedy', iou],
      ] as const) {
        log(
          `${spec.name} ${name}: MOTA ${r.s.mota.toFixed(3)} IDF1 ${r.s.idf1.toFixed(3)} IDSW ${r.s.idSwitches} FP ${r.s.falsePositives} FN ${r.s.misses} ids ${r.s.hypIds}/${r.s.gtIds} ${r.msPerFrame.toFixed(3)} ms/frame`,
        );
      }
      results.push({
        name: `tracking-${spec.name}`,
        ratio: { label: 'IDF1 ByteTrack / IDF1 IoU-greedy', value: byte.s.idf1 / iou.s.idf1, goal: '> 1' },
        metrics: {
          frames: spec.frames,
          objects: byte.s.gtIds,
          gtBoxes: byte.s.gt,
          detectionsPerFrame: Number(dets.toFixed(2)),
          byteMota: Number(byte.s.mota.toFixed(3)),
          byteIdf1: Number(byte.s.idf1.toFixed(3)),
          byteIdSwitches: byte.s.idSwitches,
          byteIds: byte.s.hypIds,
          byteMsPerFrame: Number(byte.msPerFrame.toFixed(3)),
          iouMota: Number(iou.s.mota.toFixed(3)),
          iouIdf1: Number(iou.s.idf1.toFixed(3)),
          iouIdSwitches: iou.s.idSwitches,
          iouIds: iou.s.hypIds,
        },
      });
    }
    const dir = await benchPackage('ringmoe-tiny', {}, log);
    const frames = await jpegFrames(FRAMES);
    const common = { package: dir, verify: 'size' as const, entries: ['optical'], batch: { max: 1 } };
    const off = await createRuntime({ ...common, tasks: { detection: { scoreThreshold: 0.05 } } });
    const on = await createRuntime({
      ...common,
      tasks: {
        detection: { scoreThreshold: 0.05 },
        tracking: { highThreshold: 0.05, lowThreshold: 0.05, newTrackThreshold: 0.05 },
      },
    });
    try {
      let round = 0;
      let tracked = 0;
      const pass = (rt: typeof on, count: boolean) => async () => {
        round++;
        for await (const o of rt.run(frames.map((f) => ({ ...f, timestamp: round * 1000 + Number(f.timestamp) })))) {
          if (!o.ok) throw new Error(`frame ${o.frameId} failed: ${o.error.message}`);
          if (count) tracked += o.tasks.tracking?.tracks.length ?? 0;
        }
      };
      const samples = await interleave({ off: pass(off, false), on: pass(on, true) }, ROUNDS, 1);
      const offFps = (FRAMES / median(samples.off!)) * 1000;
      const onFps = (FRAMES / median(samples.on!)) * 1000;
      const perFrame = tracked / (FRAMES * (ROUNDS + 1));
      log(
        `runtime.run ringmoe-tiny: tracking off ${offFps.toFixed(2)} frames/s, on ${onFps.toFixed(2)} frames/s (${perFrame.toFixed(1)} tracks per frame)`,
      );
      results.push({
        name: 'tracking-pipeline',
        ratio: { label: 'frames/s with tasks.tracking / without', value: onFps / offFps, goal: '≈ 1 (within noise)' },
        metrics: {
          offFps: Number(offFps.toFixed(3)),
          onFps: Number(onFps.toFixed(3)),
          tracksPerFrame: Number(perFrame.toFixed(1)),
          frames: FRAMES,
          rounds: ROUNDS,
        },
      });
    } finally {
      await on.close();
      await off.close();
    }
    return results;
  },
};
