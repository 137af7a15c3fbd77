/**
 * The pipeline against the loop an application would write first: for each frame, decode and
 * preprocess, run the model, post-process, publish the results, then take the next frame
 * (the anchor). Same package, same frames, same broker, same durable outbox settings, same run.
 *
 * Frames: 640×480 JPEGs (aerial photos, Blue Marble views) — decoding is real work here, which the
 * pipeline moves to a worker thread while the model runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker } from '../../sdk/mqtt/embedded-broker.js';
import { ResultPublisher } from '../../sdk/mqtt/publisher.js';
import { openPackage } from '../../sdk/package/open-package.js';
import { OrtBackend } from '../../sdk/runtime/backends/ort.js';
import { resultId, taskMessage } from '../../sdk/runtime/result-publishing.js';
import { neededOutputs, taskResults, type InferenceResult } from '../../sdk/pipeline/results.js';
import { createRuntime, type Runtime } from '../../sdk/runtime/runtime.js';
import type { Frame } from '../../sdk/sensors/frame.js';
import { preprocessFrame } from '../../sdk/sensors/preprocess/preprocess.js';
import { HAS_MOSQUITTO, startMosquitto } from '../helpers/mosquitto.js';
import { benchPackage, interleave, median, type Bench } from './harness.js';
import { jpegFrames } from './pipeline-frames.js';

const FRAMES = 32;
const ROUNDS = 5;

export const bench: Bench = {
  name: 'pipeline-vs-serial',
  description:
    'ringmoe-small, 640×480 JPEGs: frames/s through runtime.run() with MQTT vs a serial decode → infer → post-process → publish loop',
  async run(log) {
    const dir = await benchPackage('ringmoe-small', {}, log);
    const pkg = await openPackage(dir, { verify: 'size' });
    const entry = pkg.entry('optical');
    const size = pkg.manifest.model.inputSize!;
    const mosquitto = HAS_MOSQUITTO ? await startMosquitto({ persistence: false }) : undefined;
    const embedded = mosquitto ? undefined : await startEmbeddedBroker({ port: 0 });
    const url = mosquitto?.url ?? embedded!.url;
    const stateA = await mkdtemp(join(tmpdir(), 'bench-serial-'));
    const stateB = await mkdtemp(join(tmpdir(), 'bench-pipeline-'));
    const session = await new OrtBackend().load({ graphPath: join(dir, entry.graph) });
    const publisher = await ResultPublisher.create({
      url,
      fleet: 'bench',
      device: 'serial',
      stateDir: stateA,
      outboxLimits: { maxEntries: 1_000_000 },
    });
    let rt: Runtime | undefined;
    try {
      rt = await createRuntime({
        package: dir,
        verify: 'size',
        entries: ['optical'],
        batch: { max: 1 },
        mqtt: { url, fleet: 'bench', device: 'pipeline', stateDir: stateB, outboxLimits: { maxEntries: 1_000_000 } },
      });
      const frames: Frame[] = await jpegFrames(FRAMES);
      const outputs = neededOutputs(entry, {});
      let round = 0;
      const serial = async (): Promise<void> => {
        round++;
        for (const f of frames) {
          const frame = { ...f, timestamp: round * 1000 + Number(f.timestamp) };
          const pre = await preprocessFrame(frame, { inputSize: size });
          const out = await session.run(
            { image: { dtype: 'float32', shape: pre.batches[0]!.shape, data: pre.batches[0]!.data } },
            outputs,
          );
          const tasks = taskResults(out, pre, pkg.manifest, {});
          const r = {
            frameId: frame.id,
            entry: 'optical',
            modality: 'optical',
            timestamp: frame.timestamp,
            model: { name: '', version: '', packageHash: '' },
            backend: 'onnxruntime',
            latencyMs: { preprocess: 0, queue: 0, inference: 0, postprocess: 0, total: 0 },
            frame: { width: 640, height: 480, inputs: 1 },
            warnings: [],
            ok: true,
            tasks,
          } as InferenceResult;
          await Promise.all(
            Object.entries(tasks).map(([task, value]) =>
              publisher.publishResult(task, taskMessage(r, value, 'json'), {
                id: resultId(frame.id, frame.timestamp, task),
                frameId: frame.id,
              }),
            ),
          );
        }
      };
      const pipeline = async (): Promise<void> => {
        round++;
        let ok = 0;
        for await (const o of rt!.run(frames.map((f) => ({ ...f, timestamp: round * 1000 + Number(f.timestamp) }))))
          if (o.ok) ok++;
        if (ok !== FRAMES) throw new Error(`pipeline: ${FRAMES - ok} frame(s) failed`);
      };
      const samples = await interleave({ serial, pipeline }, ROUNDS, 1);
      const serialFps = (FRAMES / median(samples.serial!)) * 1000;
      const pipeFps = (FRAMES / median(samples.pipeline!)) * 1000;
      const m = rt.metrics().latencyMs;
      log(`broker ${mosquitto ? 'mosquitto' : 'aedes (embedded)'}; durable outbox (fsync always) on both sides`);
      log(
        `serial loop ${serialFps.toFixed(2)} frames/s, pipeline ${pipeFps.toFixed(2)} frames/s; pipeline p50 ms: preprocess ${m.preprocess.p50.toFixed(1)}, inference ${m.inference.p50.toFixed(1)}, postprocess ${m.postprocess.p50.toFixed(1)}, total ${m.total.p50.toFixed(1)}`,
      );
      return {
        name: 'pipeline-vs-serial',
        ratio: {
          label: 'pipeline frames/s / serial decode→infer→publish loop frames/s',
          value: pipeFps / serialFps,
          goal: '> 1.0',
        },
        metrics: {
          serialFps: Number(serialFps.toFixed(3)),
          pipelineFps: Number(pipeFps.toFixed(3)),
          frames: FRAMES,
          rounds: ROUNDS,
          broker: mosquitto ? 'mosquitto' : 'aedes',
        },
      };
    } finally {
      await rt?.close();
      await publisher.close();
      await session.dispose();
      await mosquitto?.close();
      await embedded?.close();
      await rm(stateA, { recursive: true, force: true });
      await rm(stateB, { recursive: true, force: true });
    }
  },
};
