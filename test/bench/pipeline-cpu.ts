/**
 * Where the pipeline's own CPU goes per frame, measured alone on this thread (no inference
 * competing): preprocessing (`preprocessFrame`) and each task's post-processing (`taskResults` of
 * one task at a time, then all of them), for the frames of pipeline-vs-raw — raw RGB at the input
 * size (192×192) and 640×480 JPEGs — on the outputs the bench package's optical entry gives for
 * them. CPU time (process.cpuUsage: user + system, all threads) per frame, median over rounds.
 *
 * usage: npx tsx test/bench/pipeline-cpu.ts [--frames 8] [--rounds 15]
 */
import { join } from 'node:path';
import { openPackage } from '../../sdk/package/open-package.js';
import type { HostTensor } from '../../sdk/core/host-tensor.js';
import { OrtBackend } from '../../sdk/runtime/backends/ort.js';
import { neededOutputs, taskResults, type TaskOptions } from '../../sdk/pipeline/results.js';
import type { Frame } from '../../sdk/sensors/frame.js';
import type { PreprocessedFrame } from '../../sdk/sensors/geometry/layout.js';
import { preprocessFrame } from '../../sdk/sensors/preprocess/preprocess.js';
import { benchPackage, median } from './harness.js';
import { jpegFrames, rawRgbFrames } from './pipeline-frames.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const FRAMES = Number(arg('frames', '8'));
const ROUNDS = Number(arg('rounds', '15'));

/** CPU milliseconds (user + system) `fn` takes. */
async function cpuMs(fn: () => unknown): Promise<number> {
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const OFF: TaskOptions = { classification: false, segmentation: false, detection: false, depth: false, raw: false };
const ONLY: Record<string, TaskOptions> = {
  classification: { ...OFF, classification: {} },
  segmentation: { ...OFF, segmentation: {} },
  detection: { ...OFF, detection: {} },
  depth: { ...OFF, depth: {} },
  'all tasks': {},
};

const dir = await benchPackage('ringmoe-small');
const pkg = await openPackage(dir, { verify: 'size' });
const entry = pkg.entry('optical');
const size = pkg.manifest.model.inputSize!;
const session = await new OrtBackend().load({ graphPath: join(dir, entry.graph) });
const cases: [string, Frame[]][] = [
  ['raw RGB 192×192', await rawRgbFrames(FRAMES, size.width)],
  ['JPEG 640×480', await jpegFrames(FRAMES)],
];
process.stdout.write(`CPU ms per frame, median of ${ROUNDS} rounds over ${FRAMES} frames (Node ${process.version})\n`);
try {
  for (const [label, frames] of cases) {
    const pres: PreprocessedFrame[] = [];
    const outs: Record<string, HostTensor>[] = [];
    for (const f of frames) {
      const pre = await preprocessFrame(f, { inputSize: size });
      pres.push(pre);
      const b = pre.batches[0]!;
      outs.push(
        await session.run(
          { image: { dtype: 'float32', shape: b.shape, data: b.data.slice() } },
          neededOutputs(entry, {}),
        ),
      );
    }
    const rows: [string, () => Promise<unknown>][] = [
      [
        'preprocess',
        async () => {
          for (const f of frames) await preprocessFrame(f, { inputSize: size });
        },
      ],
      ...Object.entries(ONLY).map(([name, tasks]): [string, () => Promise<unknown>] => [
        `post-processing: ${name}`,
        async () => {
          for (let i = 0; i < frames.length; i++) taskResults(outs[i]!, pres[i]!, pkg.manifest, tasks);
        },
      ]),
    ];
    const samples = new Map<string, number[]>(rows.map(([n]) => [n, []]));
    for (let r = -2; r < ROUNDS; r++) {
      for (const [name, fn] of r % 2 ? [...rows].reverse() : rows) {
        const ms = await cpuMs(fn);
        if (r >= 0) samples.get(name)!.push(ms / frames.length);
      }
    }
    process.stdout.write(`${label}:\n`);
    for (const [name, xs] of samples) process.stdout.write(`  ${name.padEnd(34)} ${median(xs).toFixed(2)} ms\n`);
  }
} finally {
  await session.dispose();
}
