/**
 * Benchmark: rotated NMS (exact convex-polygon IoU) against axis-aligned NMS (the anchor) on the
 * same 10 000 GENERATED candidates in the same run: 2 000 rotated objects (10–80 px long, any
 * angle, 15 classes as DOTA's) scattered over a 4096 × 4096 scene, each seen as 5 jittered
 * candidates. The axis-aligned run gets each candidate's enclosing box. Both are class-wise with
 * IoU 0.5 and keep everything that survives (no cap), then class-agnostic; interleaved rounds,
 * medians.
 *
 * usage: npx tsx test/bench/rotated-nms.ts [--n 10000] [--rounds 9]
 * (also part of `npm run bench`, with the defaults)
 */
import { pathToFileURL } from 'node:url';
import { createRng } from '../../sdk/sensors/synthetic/rng.js';
import { nonMaxSuppression, type Box, type Candidate } from '../../sdk/tasks/nms.js';
import { boxCorners } from '../../sdk/core/geometry/oriented-box.js';
import { polygonBounds } from '../../sdk/core/geometry/polygon.js';
import { rotatedNonMaxSuppression, type OrientedCandidate } from '../../sdk/tasks/rotated-nms.js';
import { interleave, median, type Bench, type BenchResult } from './harness.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const N = Number(arg('n', '10000'));
const ROUNDS = Number(arg('rounds', '9'));

function candidates(n: number): { rotated: OrientedCandidate[]; axis: Candidate[] } {
  const rng = createRng(2026);
  const rotated: OrientedCandidate[] = [];
  for (let o = 0; rotated.length < n; o++) {
    const w = rng.range(10, 80),
      h = w * rng.range(0.15, 0.6);
    const cx = rng.range(0, 4096),
      cy = rng.range(0, 4096),
      angle = rng.range(-Math.PI / 2, Math.PI / 2);
    const classId = rng.int(0, 14);
    for (let k = 0; k < 5 && rotated.length < n; k++) {
      rotated.push({
        obox: {
          cx: cx + rng.normal() * 2,
          cy: cy + rng.normal() * 2,
          w: w * rng.range(0.9, 1.1),
          h: h * rng.range(0.9, 1.1),
          angle: angle + rng.normal() * 0.05,
        },
        score: rng.next(),
        classId,
      });
    }
  }
  const axis = rotated.map((c) => ({
    box: polygonBounds(boxCorners(c.obox)) as Box,
    score: c.score,
    classId: c.classId,
  }));
  return { rotated, axis };
}

export const bench: Bench = {
  name: 'rotated-nms',
  description: `rotated NMS (exact polygon IoU) vs axis-aligned NMS on the same ${N} generated candidates`,
  async run(log) {
    const { rotated, axis } = candidates(N);
    const results: BenchResult[] = [];
    for (const classAgnostic of [false, true]) {
      const opts = { iouThreshold: 0.5, classAgnostic };
      let keptAxis = 0,
        keptRotated = 0;
      const samples = await interleave(
        {
          axis: async () => (keptAxis = nonMaxSuppression(axis, opts).length),
          rotated: async () => (keptRotated = rotatedNonMaxSuppression(rotated, opts).length),
        },
        ROUNDS,
      );
      const a = median(samples.axis!),
        r = median(samples.rotated!);
      const mode = classAgnostic ? 'class-agnostic' : 'class-wise';
      log(
        `${mode}: axis ${a.toFixed(1)} ms (kept ${keptAxis}), rotated ${r.toFixed(1)} ms (kept ${keptRotated}); ${ROUNDS} rounds, medians`,
      );
      results.push({
        name: `rotated-nms-${mode}`,
        ratio: { label: `rotated / axis-aligned NMS time, ${N} boxes, ${mode}`, value: r / a },
        metrics: { boxes: N, axisMs: a, rotatedMs: r, keptAxis, keptRotated },
      });
    }
    return results;
  },
};

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const r = await bench.run((l) => process.stdout.write(`${l}\n`));
  for (const x of r as BenchResult[])
    process.stdout.write(`-> ${x.name}: ${x.ratio.value.toFixed(2)} (${x.ratio.label})\n`);
}
