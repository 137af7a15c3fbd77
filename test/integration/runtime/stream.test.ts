/**
 * runtime.run(): source order, batching, the two queue policies under a slow consumer, close()
 * draining, early break, a live source that never ends, a source that fails. Real frames (windows
 * of an aerial photo), real ONNX model.
 */
import test from 'ava';
import type { EdgeError } from '../../../sdk/core/errors.js';
import type { Backend, BackendSession } from '../../../sdk/core/backend.js';
import type { HostTensor } from '../../../sdk/core/host-tensor.js';
import { OrtWorkerBackend } from '../../../sdk/runtime/backends/ort-worker.js';
import type { FrameOutcome, InferenceResult } from '../../../sdk/pipeline/results.js';
import { createRuntime, type Runtime } from '../../../sdk/runtime/runtime.js';
import type { RuntimeOptions } from '../../../sdk/runtime/options.js';
import type { Frame } from '../../../sdk/sensors/frame.js';
import { tinyPackage } from '../../helpers/packages.js';
import { aeroWindows } from './frames.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function runtime(t: { teardown(fn: () => unknown): void }, o: Partial<RuntimeOptions> = {}): Promise<Runtime> {
  const rt = await createRuntime({ package: (await tinyPackage()).dir, ...o });
  t.teardown(() => rt.close());
  return rt;
}

async function collect(
  it: AsyncIterable<FrameOutcome>,
  each?: (o: FrameOutcome) => Promise<void> | void,
): Promise<FrameOutcome[]> {
  const out: FrameOutcome[] = [];
  for await (const o of it) {
    out.push(o);
    await each?.(o);
  }
  return out;
}

/** An async source yielding `frames` `intervalMs` apart; `state.pulled` counts frames handed out. */
function paced(
  frames: Frame[],
  intervalMs: number,
  state: { pulled: number; finished: boolean } = { pulled: 0, finished: false },
): AsyncIterable<Frame> {
  return (async function* () {
    try {
      for (const f of frames) {
        if (intervalMs > 0) await sleep(intervalMs);
        state.pulled++;
        yield f;
      }
    } finally {
      state.finished = true;
    }
  })();
}

test('outcomes come in source order, one per frame, equal to single-frame inference', async (t) => {
  const rt = await runtime(t);
  const frames = await aeroWindows(30, 64, 'ord');
  const out = await collect(rt.run(frames));
  t.deepEqual(
    out.map((o) => o.frameId),
    frames.map((f) => f.id),
  );
  t.true(out.every((o) => o.ok));
  const single = await rt.infer((await aeroWindows(30, 64, 'ord'))[17]!);
  t.deepEqual((out[17] as InferenceResult).tasks, single.tasks);
  const m = rt.metrics();
  t.is(m.frames.completed, 31);
  t.is(m.frames.received, 31);
});

test('batching batches: with a deadline, engine calls take several frames (metrics.batches.meanInputs > 1)', async (t) => {
  const rt = await runtime(t, { batch: { max: 4, deadlineMs: 1000 }, queue: { capacity: 16 } });
  const frames = await aeroWindows(24, 64, 'b');
  const out = await collect(rt.run(frames));
  t.is(out.filter((o) => o.ok).length, 24);
  const { batches } = rt.metrics();
  t.true(batches.meanInputs > 1, `mean inputs per engine call ${batches.meanInputs} over ${batches.count} calls`);
  t.true(batches.count < 24);
  t.log(`${batches.count} engine calls, ${batches.meanInputs.toFixed(2)} inputs each`);
  // A batched frame's result is that frame's, not a neighbour's.
  const single = await rt.infer((await aeroWindows(24, 64, 'b'))[9]!);
  t.deepEqual(
    (out[9] as InferenceResult).tasks.classification!.top.map((c) => c.label),
    single.tasks.classification!.top.map((c) => c.label),
  );
  t.deepEqual(
    (out[9] as InferenceResult).tasks.segmentation!.classes.map((c) => c.pixels),
    single.tasks.segmentation!.classes.map((c) => c.pixels),
  );
});

test('post-processing overlaps inference: the next batch is with the backend before a batch is post-processed, never more than two at once', async (t) => {
  // A backend that runs onnxruntime (in worker threads) and counts the runs in flight at once; each
  // run takes at least 20 ms more, like a slower engine, so frames are always ready behind it.
  const inner = new OrtWorkerBackend();
  const seen = { inFlight: 0, most: 0, runs: 0 };
  const counting: Backend = {
    name: inner.name,
    availability: () => inner.availability(),
    load: async (o) => {
      const s = await inner.load(o);
      return Object.assign(Object.create(s) as BackendSession, {
        run: async (feeds: Record<string, HostTensor>, outputs?: readonly string[]) => {
          seen.runs++;
          seen.most = Math.max(seen.most, ++seen.inFlight);
          try {
            await sleep(20);
            return await s.run(feeds, outputs);
          } finally {
            seen.inFlight--;
          }
        },
        dispose: () => s.dispose(),
      });
    },
  };
  const rt = await runtime(t, { backends: { onnxruntime: counting }, batch: { max: 1 } });
  const frames = await aeroWindows(24, 64, 'ov');
  const out = await collect(rt.run(frames));
  t.deepEqual(
    out.map((o) => o.frameId),
    frames.map((f) => f.id),
  );
  t.true(out.every((o) => o.ok));
  t.is(seen.runs, 24);
  t.is(seen.most, 2, 'one batch inferring while the one before it is post-processed, and no more');
});

test('drop-oldest with a slow consumer: frames are dropped, counted and reported; every frame still has one outcome, in order', async (t) => {
  const rt = await runtime(t, { queue: { capacity: 2 } });
  const drops: string[] = [];
  rt.on('drop', (f) => drops.push(f.frameId));
  const frames = await aeroWindows(80, 64, 'live');
  const out = await collect(rt.run(paced(frames, 2), { policy: 'drop-oldest' }), () => sleep(40));
  t.deepEqual(
    out.map((o) => o.frameId),
    frames.map((f) => f.id),
  );
  const dropped = out.filter((o) => !o.ok && o.stage === 'dropped');
  t.true(dropped.length > 0, 'a slow consumer makes a live source drop');
  t.true(out.some((o) => o.ok));
  for (const d of dropped) t.is(!d.ok && d.error.code, 'E_FRAME_DROPPED');
  const m = rt.metrics();
  t.is(m.frames.dropped, dropped.length);
  t.deepEqual(
    drops,
    dropped.map((d) => d.frameId),
  );
  t.is(m.frames.received, 80);
  t.is(m.frames.completed + m.frames.failed + m.frames.dropped, 80);
  t.true(m.queues.admission.highWater <= 2);
  t.log(`${dropped.length} of 80 dropped`);
});

test('block with a fast source and a slow consumer: nothing is dropped, every frame has its result, queues stay bounded', async (t) => {
  const rt = await runtime(t, { queue: { capacity: 3 } });
  const frames = await aeroWindows(50, 64, 'arch');
  const state = { pulled: 0, finished: false };
  let maxAhead = 0;
  const out = await collect(rt.run(paced(frames, 0, state), { policy: 'block' }), async (o) => {
    maxAhead = Math.max(maxAhead, state.pulled - Number(o.frameId.split('-')[1]));
    await sleep(15);
  });
  t.is(out.length, 50);
  t.true(out.every((o) => o.ok));
  t.is(rt.metrics().frames.dropped, 0);
  t.true(rt.metrics().queues.admission.highWater <= 3);
  // The source is not read far ahead of the consumer: backpressure reaches it.
  t.true(maxAhead <= 3 + 3 + 4 * 3 + 8, `source ran ${maxAhead} frames ahead`);
});

test('break out of for-await stops admission, finishes and delivers what was admitted, and returns', async (t) => {
  const rt = await runtime(t);
  const results: string[] = [];
  rt.on('result', (r) => results.push(r.frameId));
  const frames = await aeroWindows(200, 64, 'brk');
  const state = { pulled: 0, finished: false };
  let n = 0;
  for await (const o of rt.run(paced(frames, 1, state))) {
    t.true(o.ok);
    if (++n === 3) break;
  }
  const m = rt.metrics();
  t.true(state.finished, 'the source was closed');
  t.true(state.pulled < 200, `${state.pulled} frames pulled`);
  // A frame the source hands over while the stream is stopping is not admitted (at most one).
  t.true(
    m.frames.received === state.pulled || m.frames.received === state.pulled - 1,
    `${m.frames.received} admitted of ${state.pulled} pulled`,
  );
  t.is(m.frames.completed, m.frames.received, 'every admitted frame finished');
  t.deepEqual(
    results,
    frames.slice(0, results.length).map((f) => f.id),
    'and was delivered, in order',
  );
  // The runtime is still usable.
  t.true((await rt.infer((await aeroWindows(1, 64, 'after'))[0]!)).ok);
});

test('close() drains: admitted frames finish and are delivered even when no one reads the stream', async (t) => {
  const rt = await runtime(t);
  const results: string[] = [];
  rt.on('result', (r) => results.push(r.frameId));
  const frames = await aeroWindows(100, 64, 'drain');
  const it = rt.run(paced(frames, 1))[Symbol.asyncIterator]();
  t.true((await it.next()).value.ok);
  await sleep(100);
  const report = await rt.close(); // the reader is not pulling
  t.deepEqual(report, { unsentResults: 0, drained: true });
  const m = rt.metrics();
  t.true(m.frames.received > 1);
  t.is(m.frames.completed, m.frames.received);
  t.is(results.length, m.frames.received, 'every admitted frame delivered to the result event');
  // The reader gets the rest, then the end.
  const rest: string[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value.frameId);
  t.deepEqual(['drain-0', ...rest], results);
});

test('a live source that never ends (and may wait forever for its next frame) is stopped by close()', async (t) => {
  const rt = await runtime(t, { metricsIntervalMs: 100 });
  const metrics: number[] = [];
  rt.on('metrics', (m) => metrics.push(m.frames.completed));
  const [frame] = await aeroWindows(1, 64, 'cam');
  let returned = false;
  const camera = (async function* () {
    try {
      for (let i = 0; ; i++) {
        // After 15 frames the camera stalls: its next frame never comes.
        await (i < 15 ? sleep(10) : new Promise(() => undefined));
        yield { ...frame!, id: `cam-${i}`, timestamp: i };
      }
    } finally {
      returned = true;
    }
  })();
  const seen: string[] = [];
  const loop = collect(rt.run(camera, { policy: 'drop-oldest' }), (o) => void seen.push(o.frameId));
  while (seen.length < 15) await sleep(20);
  await sleep(250);
  await rt.close();
  await loop;
  t.is(seen.length, 15);
  t.true(metrics.length >= 1, 'metrics events without MQTT');
  t.false(returned, 'a generator stuck in its await cannot run its finally; the runtime did not wait for it');
});

test('EXPECTED FAILURE - a source that throws: outcomes up to the failure, then E_INVALID_ARGUMENT naming the source', async (t) => {
  const rt = await runtime(t);
  const frames = await aeroWindows(5, 64, 'src');
  const source = (function* () {
    yield* frames.slice(0, 3);
    throw new Error('camera unplugged');
  })();
  const seen: string[] = [];
  const err = await t.throwsAsync<EdgeError>(collect(rt.run(source), (o) => void seen.push(o.frameId)));
  t.deepEqual(seen, ['src-0', 'src-1', 'src-2']);
  t.is(err?.code, 'E_INVALID_ARGUMENT');
  t.is(err?.field, 'source');
  t.regex(err!.message, /camera unplugged/);
});

test('a result listener that throws: the caller of the loop gets the error, the stream still finishes what it admitted', async (t) => {
  const rt = await runtime(t);
  const frames = await aeroWindows(20, 64, 'lst');
  rt.on('result', (r) => {
    if (r.frameId === 'lst-4') throw new Error('listener bug');
  });
  await t.throwsAsync(collect(rt.run(frames)), { message: 'listener bug' });
  const m = rt.metrics();
  t.is(m.frames.completed, m.frames.received);
});

test('several streams at once share the model; each keeps its own order', async (t) => {
  const rt = await runtime(t);
  const [a, b] = [await aeroWindows(15, 64, 'A'), await aeroWindows(15, 64, 'B')];
  const [oa, ob] = await Promise.all([collect(rt.run(a)), collect(rt.run(paced(b, 3)))]);
  t.deepEqual(
    oa.map((o) => o.frameId),
    a.map((f) => f.id),
  );
  t.deepEqual(
    ob.map((o) => o.frameId),
    b.map((f) => f.id),
  );
});
