/**
 * runStream composed of its stages (admit → preprocess → infer → deliver), with a host whose stages
 * are plain functions: source order, failures at their places, every model lease given back, a
 * listener's error and a source's error reach the caller.
 */
import test from 'ava';
import { EdgeError } from '../../../sdk/core/errors.js';
import type { InferredBatch } from '../../../sdk/pipeline/frame-stages.js';
import type { LoadedModel } from '../../../sdk/pipeline/loaded-model.js';
import { MetricsCollector } from '../../../sdk/pipeline/metrics.js';
import { ModelHolds } from '../../../sdk/pipeline/model-holds.js';
import { ModelLease } from '../../../sdk/pipeline/model-lease.js';
import type { FrameOutcome, InferenceResult } from '../../../sdk/pipeline/results.js';
import { runStream, type StreamHost } from '../../../sdk/pipeline/stream.js';
import type { Frame } from '../../../sdk/sensors/frame.js';
import type { PreprocessedFrame } from '../../../sdk/sensors/geometry/layout.js';

interface Fake {
  host: StreamHost;
  holds: ModelHolds;
  batches: number[];
  delivered: string[];
}

/** A host: frames with id `bad-*` fail preprocessing, modality `sar` has no entry. */
function fakeHost(over: Partial<StreamHost> = {}): Fake {
  const holds = new ModelHolds();
  const model = { dispose: async () => undefined } as unknown as LoadedModel;
  const batches: number[] = [];
  const delivered: string[] = [];
  const host: StreamHost = {
    metrics: new MetricsCollector(),
    batchMax: 4,
    batchDeadlineMs: 2,
    acquire: () => ModelLease.acquire(holds, model),
    entryOf: (_m, f) => {
      if (f.modality !== 'optical') throw new EdgeError('E_UNKNOWN_MODALITY', `no entry for ${f.modality}`);
      return 'optical';
    },
    preprocess: async (f) => {
      await new Promise((r) => setImmediate(r));
      if (f.id.startsWith('bad-')) throw new EdgeError('E_FRAME_DECODE', `cannot decode ${f.id}`);
      return { layout: { tiles: [{}] }, batches: [], warnings: [] } as unknown as PreprocessedFrame;
    },
    inferBatch: async (m, entryName, items) => {
      batches.push(items.length);
      return {
        model: m,
        entryName,
        items,
        outcomes: new Array(items.length),
        valid: items.map((_, i) => i),
        perFrame: [],
        t0: 0,
        inferenceMs: 0,
      } satisfies InferredBatch;
    },
    postprocessBatch: (b) => {
      for (const it of b.items) it.lease.release();
      return b.items.map((it) => ({ ok: true, frameId: it.id, entry: b.entryName }) as unknown as InferenceResult);
    },
    deliver: async (o) => {
      delivered.push(o.frameId);
      return { stored: Promise.resolve() };
    },
    closing: () => false,
    register: () => () => undefined,
    ...over,
  };
  return { host, holds, batches, delivered };
}

const frame = (id: string, modality = 'optical'): Frame =>
  ({ id, modality, pixels: new Uint8Array(1), timestamp: 0 }) as unknown as Frame;

async function collect(it: AsyncIterable<FrameOutcome>): Promise<FrameOutcome[]> {
  const out: FrameOutcome[] = [];
  for await (const o of it) out.push(o);
  return out;
}

test('one outcome per frame in source order, failures at their places, every lease given back', async (t) => {
  const f = fakeHost();
  const frames = Array.from({ length: 40 }, (_, i) =>
    i === 7 ? frame(`bad-${i}`) : i === 13 ? frame(`f${i}`, 'sar') : frame(`f${i}`),
  );
  const out = await collect(runStream(f.host, frames, { policy: 'block', capacity: 4, concurrency: 3 }));
  t.deepEqual(
    out.map((o) => o.frameId),
    frames.map((x) => x.id),
  );
  t.deepEqual(
    out.filter((o) => !o.ok).map((o) => [o.frameId, !o.ok && o.stage]),
    [
      ['bad-7', 'preprocess'],
      ['f13', 'preprocess'],
    ],
  );
  t.deepEqual(
    f.delivered,
    frames.map((x) => x.id),
    'every outcome was delivered before the caller saw it',
  );
  t.is(
    f.batches.reduce((a, b) => a + b, 0),
    38,
    'every frame that preprocessed was inferred once',
  );
  t.true(
    f.batches.every((n) => n >= 1 && n <= 4),
    'no batch over batch.max inputs',
  );
  t.is(f.holds.inFlight, 0, 'every model lease was released');
  t.is(f.host.metrics.received, 40);
  t.is(f.host.metrics.failed, 2);
});

test('a listener that throws: the caller gets its error, and what was admitted is still delivered', async (t) => {
  const delivered: string[] = [];
  const f = fakeHost({
    deliver: async (o) => {
      delivered.push(o.frameId);
      if (o.frameId === 'f2') throw new Error('listener broke');
      return { stored: Promise.resolve() };
    },
  });
  const frames = Array.from({ length: 10 }, (_, i) => frame(`f${i}`));
  const err = await t.throwsAsync(collect(runStream(f.host, frames, { policy: 'block', capacity: 2, concurrency: 1 })));
  t.is(err?.message, 'listener broke');
  t.deepEqual(
    delivered,
    delivered.map((_, i) => `f${i}`),
    'delivered in order, without gaps',
  );
  t.true(delivered.length >= 3);
  t.is(f.holds.inFlight, 0);
});

test('a source that throws: outcomes of the frames before it, then E_INVALID_ARGUMENT naming the source', async (t) => {
  const f = fakeHost();
  const source = (function* () {
    yield frame('a');
    yield frame('b');
    throw new Error('camera unplugged');
  })();
  const out: string[] = [];
  const err = await t.throwsAsync(
    (async () => {
      for await (const o of runStream(f.host, source, { policy: 'block', capacity: 2, concurrency: 2 }))
        out.push(o.frameId);
    })(),
  );
  t.deepEqual(out, ['a', 'b']);
  t.is((err as EdgeError).code, 'E_INVALID_ARGUMENT');
  t.is((err as EdgeError).field, 'source');
  t.regex(err!.message, /camera unplugged/);
});

test('breaking out of the loop stops admission; frames admitted are still delivered and release their leases', async (t) => {
  const f = fakeHost();
  let pulled = 0;
  const source = (function* () {
    for (let i = 0; i < 1000; i++) {
      pulled++;
      yield frame(`f${i}`);
    }
  })();
  for await (const o of runStream(f.host, source, { policy: 'block', capacity: 2, concurrency: 1 }))
    if (o.frameId === 'f3') break;
  t.true(pulled < 1000, `pulled ${pulled} frames`);
  t.deepEqual(
    f.delivered,
    f.delivered.map((_, i) => `f${i}`),
  );
  t.is(f.holds.inFlight, 0);
});
