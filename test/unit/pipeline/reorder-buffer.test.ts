import test from 'ava';
import type { EdgeError } from '../../../sdk/core/errors.js';
import { ReorderBuffer } from '../../../sdk/pipeline/reorder-buffer.js';
import { Rng } from '../../../tools/frames/seeded.js';

const tick = () => new Promise((r) => setImmediate(r));

test('outcomes put in any order leave in sequence order, each once', async (t) => {
  const rng = new Rng(1, 'reorder');
  const n = 500;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const buf = new ReorderBuffer<string>(n);
  const drained = (async () => {
    const out: string[] = [];
    for await (const v of buf.drain()) out.push(v);
    return out;
  })();
  for (const [k, seq] of order.entries()) {
    buf.put(seq, `v${seq}`);
    if (k % 17 === 0) await tick();
  }
  buf.finish(n);
  t.deepEqual(
    await drained,
    order.map((_, i) => `v${i}`),
  );
  t.is(buf.size, 0);
  t.is(buf.position, n);
});

test('waitForRoom: work more than a window ahead waits until the next outcome leaves; the next one never waits', async (t) => {
  const buf = new ReorderBuffer<number>(4);
  let farReady = false;
  const far = buf.waitForRoom(5).then(() => (farReady = true));
  await buf.waitForRoom(0); // the next outcome itself
  await buf.waitForRoom(3);
  await tick();
  t.false(farReady);
  buf.put(1, 1);
  buf.put(0, 0);
  t.deepEqual(await buf.next(), { value: 0, done: false });
  await tick();
  t.false(farReady, 'window now starts at 1: 5 is still 4 ahead');
  t.deepEqual(await buf.next(), { value: 1, done: false });
  await far;
  t.true(farReady);
});

test('no deadlock: many outcomes held behind a slow earlier one while its worker asks for room', async (t) => {
  // Mirrors the pipeline: fast failures for 1..50 arrive before frame 0, whose stage then asks for room.
  const buf = new ReorderBuffer<number>(8);
  for (let s = 1; s <= 50; s++) buf.put(s, s);
  await buf.waitForRoom(0);
  buf.put(0, 0);
  buf.finish(51);
  const out: number[] = [];
  for await (const v of buf.drain()) out.push(v);
  t.is(out.length, 51);
});

test('release() lifts the window for good', async (t) => {
  const buf = new ReorderBuffer<number>(2);
  const waiting = buf.waitForRoom(100);
  buf.release();
  await waiting;
  await buf.waitForRoom(1000);
  t.pass();
});

test('abort() ends a drain that waits for an outcome that will never come', async (t) => {
  const buf = new ReorderBuffer<number>(4);
  buf.put(1, 1);
  const next = buf.next();
  buf.abort(new Error('stage crashed'));
  await t.throwsAsync(next, { message: 'stage crashed' });
});

test('EXPECTED FAILURE - an outcome stored twice, or after it left, is an internal error (a frame must not be counted twice)', async (t) => {
  const buf = new ReorderBuffer<number>(4);
  buf.put(0, 0);
  t.is(t.throws<EdgeError>(() => buf.put(0, 0))?.code, 'E_INTERNAL');
  await buf.next();
  t.is(t.throws<EdgeError>(() => buf.put(0, 1))?.code, 'E_INTERNAL');
  buf.finish(3);
  t.is(t.throws<EdgeError>(() => buf.put(3, 3))?.code, 'E_INTERNAL');
});

test('BAD CALL - window must be a positive integer', (t) => {
  t.is(t.throws<EdgeError>(() => new ReorderBuffer(0))?.code, 'E_INVALID_ARGUMENT');
  t.is(t.throws<EdgeError>(() => new ReorderBuffer(2.5))?.code, 'E_INVALID_ARGUMENT');
});

test('finish(0) ends at once; finish after the last outcome ends the drain', async (t) => {
  const empty = new ReorderBuffer<number>(1);
  empty.finish(0);
  t.deepEqual(await empty.next(), { value: undefined, done: true });
  const buf = new ReorderBuffer<number>(1);
  const pending = buf.next();
  buf.put(0, 7);
  t.deepEqual(await pending, { value: 7, done: false });
  const end = buf.next();
  buf.finish(1);
  t.deepEqual(await end, { value: undefined, done: true });
});
