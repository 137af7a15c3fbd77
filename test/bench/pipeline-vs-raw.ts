/**
 * Pipeline throughput against raw `session.run` on pre-made tensors (the anchor), same package,
 * same backend options, same outputs fetched, same run.
 *
 * - anchor: the frames are preprocessed beforehand; the loop only runs the optical entry on each
 *   tensor (batch 1, onnxruntime CPU) — the most an application could get from the engine;
 * - pipeline: `runtime.run(frames)` — admission, preprocessing on a worker thread, batching,
 *   inference, post-processing of every task, reordering, all included.
 *
 * The pipeline runs with onnxruntime's sessions in worker threads (the runtime's default) and, for
 * comparison, on the runtime's thread (`onnxruntime: { sessionThread: 'main' }`); the headline is
 * the default's.
 *
 * Headline row: raw RGB frames at the input size (192×192), whose preprocessing is cheap enough to
 * be hidden behind inference. Second row: 640×480 JPEGs, to show what decoding, resizing and
 * full-resolution post-processing cost on this machine. Batch 1: with sparse routing on CPU a frame
 * is cheapest alone (see sparse-vs-dense).
 */
import { join } from 'node:path';
import { openPackage } from '../../sdk/package/open-package.js';
import type { HostTensor } from '../../sdk/core/host-tensor.js';
import { OrtBackend } from '../../sdk/runtime/backends/ort.js';
import { neededOutputs } from '../../sdk/pipeline/results.js';
import { createRuntime, type Runtime } from '../../sdk/runtime/runtime.js';
import type { Frame } from '../../sdk/sensors/frame.js';
import { preprocessFrame } from '../../sdk/sensors/preprocess/preprocess.js';
import { benchPackage, interleave, median, type Bench, type BenchResult } from './harness.js';
import { jpegFrames, rawRgbFrames } from './pipeline-frames.js';

const FRAMES = 48;
const ROUNDS = 5;

async function pipelineRun(rt: Runtime, frames: Frame[]): Promise<void> {
  let ok = 0;
  for await (const o of rt.run(frames)) if (o.ok) ok++;
  if (ok !== frames.length) throw new Error(`pipeline: ${frames.length - ok} frame(s) failed`);
}

/** onnxruntime intra-op threads to try: one (a core left for the pipeline's other stages) and the default. */
const THREADS: (number | undefined)[] = [1, undefined];
const threadsLabel = (t: number | undefined) => (t === undefined ? 'default threads' : `${t} thread`);
/** Where the runtime runs onnxruntime sessions: the default first (the headline), then the old way. */
const SESSION_THREADS = ['worker', 'main'] as const;

export const bench: Bench = {
  name: 'pipeline-vs-raw',
  description:
    'ringmoe-small optical entry: frames/s through runtime.run() vs raw session.run on pre-made tensors (onnxruntime CPU, batch 1; best thread setting of each)',
  async run(log) {
    const dir = await benchPackage('ringmoe-small', {}, log);
    const pkg = await openPackage(dir, { verify: 'size' });
    const entry = pkg.entry('optical');
    const size = pkg.manifest.model.inputSize!;
    const outputs = neededOutputs(entry, {});
    const sessions = await Promise.all(
      THREADS.map((threads) =>
        new OrtBackend().load({ graphPath: join(dir, entry.graph), ...(threads ? { threads } : {}) }),
      ),
    );
    const runtimes = new Map<string, Runtime>();
    for (const sessionThread of SESSION_THREADS) {
      for (const threads of THREADS) {
        const key = `${sessionThread}, ${threadsLabel(threads)}`;
        runtimes.set(
          key,
          await createRuntime({
            package: dir,
            verify: 'size',
            batch: { max: 1 },
            entries: ['optical'],
            onnxruntime: { sessionThread },
            ...(threads ? { threads } : {}),
          }),
        );
      }
    }
    const results: BenchResult[] = [];
    try {
      const cases: [string, Frame[], string][] = [
        ['raw RGB 192×192', await rawRgbFrames(FRAMES, size.width), 'headline: preprocessing hidden behind inference'],
        ['JPEG 640×480', await jpegFrames(FRAMES), 'decode + resize + post-processing at 640×480 included'],
      ];
      for (const [label, frames, note] of cases) {
        const tensors: Record<string, HostTensor>[] = [];
        for (const f of frames) {
          const pre = await preprocessFrame(f, { inputSize: size });
          tensors.push({ image: { dtype: 'float32', shape: pre.batches[0]!.shape, data: pre.batches[0]!.data } });
        }
        const candidates: Record<string, () => Promise<unknown>> = {};
        THREADS.forEach((threads, i) => {
          candidates[`raw, ${threadsLabel(threads)}`] = async () => {
            for (const feeds of tensors) await sessions[i]!.run(feeds, outputs);
          };
        });
        for (const [key, rt] of runtimes) candidates[`pipeline, ${key}`] = () => pipelineRun(rt, frames);
        const samples = await interleave(candidates, ROUNDS, 1);
        const fps = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, (FRAMES / median(xs)) * 1000]));
        const best = (kind: string) =>
          Object.entries(fps)
            .filter(([k]) => k.startsWith(kind))
            .sort((a, b) => b[1] - a[1])[0]!;
        const [rawName, rawFps] = best('raw');
        const [pipeName, pipeFps] = best('pipeline, worker');
        const [mainName, mainFps] = best('pipeline, main');
        const m = runtimes.get(pipeName.slice('pipeline, '.length))!.metrics().latencyMs;
        log(`${label} (${note}):`);
        for (const [k, v] of Object.entries(fps)) log(`  ${k.padEnd(26)} ${v.toFixed(2)} frames/s`);
        log(
          `  best pipeline / best raw: sessions in worker threads ${(pipeFps / rawFps).toFixed(3)}, on the runtime thread ${(mainFps / rawFps).toFixed(3)}`,
        );
        log(
          `  pipeline p50 ms: preprocess ${m.preprocess.p50.toFixed(1)}, inference ${m.inference.p50.toFixed(1)}, postprocess ${m.postprocess.p50.toFixed(1)}`,
        );
        results.push({
          name: `pipeline-vs-raw (${label})`,
          ratio: {
            label: `best pipeline (${pipeName.slice(10)}) frames/s / best raw session.run (${rawName.slice(5)}) frames/s`,
            value: pipeFps / rawFps,
            goal: label.startsWith('raw') ? '>= 0.95' : '>= 0.85',
          },
          metrics: {
            ...Object.fromEntries(Object.entries(fps).map(([k, v]) => [`${k} fps`, Number(v.toFixed(3))])),
            'best pipeline with sessions on the runtime thread / best raw': Number((mainFps / rawFps).toFixed(3)),
            bestMainThreadPipeline: mainName.slice(10),
            frames: FRAMES,
            rounds: ROUNDS,
            preprocessP50Ms: Number(m.preprocess.p50.toFixed(2)),
            inferenceP50Ms: Number(m.inference.p50.toFixed(2)),
            postprocessP50Ms: Number(m.postprocess.p50.toFixed(2)),
            note,
          },
        });
      }
    } finally {
      for (const rt of runtimes.values()) await rt.close();
      for (const s of sessions) await s.dispose();
    }
    return results;
  },
};
