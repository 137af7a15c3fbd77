/**
 * Hot swap under a continuous frame stream: the serving model changes between frames, no frame is
 * lost or run twice, every result names exactly one model, and frames that enter the pipeline after
 * the switch run on the new model.
 */
import test from 'ava';
import type { EdgeError } from '../../../sdk/core/errors.js';
import type { FrameOutcome, InferenceResult } from '../../../sdk/pipeline/results.js';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import type { Frame } from '../../../sdk/sensors/frame.js';
import { tinyPackage } from '../../helpers/packages.js';
import { aeroWindows } from './frames.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A camera: `frames` one every `intervalMs`; `pulled` counts frames handed to the runtime. */
function camera(frames: Frame[], intervalMs: number, state: { pulled: number }): AsyncIterable<Frame> {
  return (async function* () {
    for (const f of frames) {
      await sleep(intervalMs);
      state.pulled++;
      yield f;
    }
  })();
}

function checkStream(t: import('ava').ExecutionContext, frames: Frame[], out: FrameOutcome[]): InferenceResult[] {
  t.deepEqual(
    out.map((o) => o.frameId),
    frames.map((f) => f.id),
    'every frame once, in order: none lost, none duplicated',
  );
  t.true(out.every((o) => o.ok));
  return out as InferenceResult[];
}

test('swap(dir) while frames flow: one switch point, old model before, new model after, nothing lost or repeated', async (t) => {
  const v1 = await tinyPackage();
  const v2 = await tinyPackage({ seed: 1 });
  const rt = await createRuntime({ package: v1.dir, batch: { max: 4, deadlineMs: 10 } });
  t.teardown(() => rt.close());
  const old = rt.model.version;
  const swaps: { from: string; to: string }[] = [];
  rt.on('swap', (s) => swaps.push(s));
  const pool = await aeroWindows(600, 64, 'hs');
  const state = { pulled: 0 };
  let pulledAtSwap = -1;
  let swapping: Promise<unknown> | undefined;
  const frames: Frame[] = [];
  // The camera runs until 40 frames after the swap resolved (however long loading takes).
  const source = (async function* () {
    for (const f of pool) {
      if (pulledAtSwap >= 0 && state.pulled >= pulledAtSwap + 40) return;
      await sleep(8);
      state.pulled++;
      frames.push(f);
      yield f;
    }
  })();
  const out: FrameOutcome[] = [];
  for await (const o of rt.run(source)) {
    out.push(o);
    if (out.length === 20) {
      swapping = rt.swap(v2.dir).then((s) => {
        pulledAtSwap = state.pulled;
        return s;
      });
    }
  }
  await swapping;
  const results = checkStream(t, frames, out);
  const next = rt.model.version;
  t.not(next, old);
  t.deepEqual(swaps, [{ from: `ringmoe-tiny@${old}`, to: `ringmoe-tiny@${next}` }]);
  const versions = results.map((r) => r.model.version);
  t.true(
    versions.every((v) => v === old || v === next),
    'each result names exactly one of the two models',
  );
  const switchAt = versions.indexOf(next);
  t.true(switchAt >= 20, 'frames finished before the swap ran on the old model');
  t.deepEqual(
    versions.slice(switchAt),
    versions.slice(switchAt).map(() => next),
    'no frame goes back to the old model',
  );
  t.true(pulledAtSwap >= 20, 'the swap resolved while frames flowed');
  const afterSwap = results.slice(pulledAtSwap);
  t.true(
    afterSwap.every((r) => r.model.version === next),
    'every frame pulled after the swap resolved runs on the new model',
  );
  t.true(afterSwap.length > 0);
  t.is(rt.metrics().swaps, 1);
  t.is(rt.metrics().model.version, next);
  t.log(
    `switch at frame ${switchAt} of ${results.length} (${results.length - switchAt} on the new model; ${afterSwap.length} pulled after swap() resolved)`,
  );
});

test('activate() mid-stream keeping the old model, then rolling back to it: one switch each way, the abandoned model freed once unused', async (t) => {
  const v1 = await tinyPackage();
  const v2 = await tinyPackage({ seed: 1 });
  const rt = await createRuntime({ package: v1.dir });
  t.teardown(() => rt.close());
  const first = rt.activeModel;
  const second = await rt.loadModel(v2.dir);
  await second.warmup();
  const frames = await aeroWindows(90, 64, 'rb');
  const out: FrameOutcome[] = [];
  for await (const o of rt.run(camera(frames, 5, { pulled: 0 }))) {
    out.push(o);
    if (out.length === 15) rt.activate(second, false); // keep `first` for a rollback
    if (out.length === 40) rt.activate(first); // roll back; `second` is freed after its last frame
  }
  const results = checkStream(t, frames, out);
  const names = results.map((r) => (r.model.packageHash === first.pkg.packageHash ? 'A' : 'B'));
  t.regex(names.join(''), /^A{15,}B+A+$/, 'A, then B, then A again: each switch once, between frames');
  t.is(rt.activeModel, first);
  t.false(first.disposed);
  t.true(second.disposed, 'the abandoned model was freed after its last frame');
  t.is(rt.metrics().swaps, 2);
});

test('EXPECTED FAILURE - a swap to a broken package leaves the serving model in place and the stream untouched', async (t) => {
  const v1 = await tinyPackage();
  const rt = await createRuntime({ package: v1.dir });
  t.teardown(() => rt.close());
  const before = rt.model;
  const frames = await aeroWindows(30, 64, 'bad');
  const out: FrameOutcome[] = [];
  let err: EdgeError | undefined;
  for await (const o of rt.run(camera(frames, 5, { pulled: 0 }))) {
    out.push(o);
    if (out.length === 5)
      err = await rt
        .swap('examples/data/aerial')
        .catch((e: EdgeError) => e)
        .then((e) => e as EdgeError);
  }
  t.truthy(err?.code);
  t.regex(err!.message, /examples\/data\/aerial/);
  checkStream(t, frames, out);
  t.deepEqual(rt.model, before);
  t.true((out as InferenceResult[]).every((r) => r.model.version === before.version));
  t.is(rt.metrics().swaps, 0);
});

test('EXPECTED FAILURE - activating a disposed model is refused', async (t) => {
  const v1 = await tinyPackage();
  const rt = await createRuntime({ package: v1.dir, workers: 0 });
  t.teardown(() => rt.close());
  const other = await rt.loadModel((await tinyPackage({ seed: 1 })).dir);
  await other.dispose();
  const err = t.throws<EdgeError>(() => rt.activate(other));
  t.is(err?.code, 'E_CLOSED');
  t.regex(err!.message, /was disposed/);
});
