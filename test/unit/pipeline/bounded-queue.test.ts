import test from 'ava';
import { BoundedQueue } from '../../../sdk/pipeline/bounded-queue.js';

const tick = () => new Promise((r) => setImmediate(r));

test('FIFO order; take waits for a push; done after close once drained', async (t) => {
  const q = new BoundedQueue<number>(4, 'block');
  const first = q.take();
  await q.push(1);
  await q.push(2);
  t.deepEqual(await first, { value: 1, done: false });
  q.close();
  t.deepEqual(await q.take(), { value: 2, done: false });
  t.deepEqual(await q.take(), { value: undefined, done: true });
  t.true(q.isClosed);
});

test('drop-oldest: a full queue evicts its oldest item, counts it and reports it; the producer never waits', async (t) => {
  const dropped: number[] = [];
  const q = new BoundedQueue<number>(3, 'drop-oldest', (n) => dropped.push(n));
  for (let i = 0; i < 10; i++) await q.push(i);
  t.deepEqual(dropped, [0, 1, 2, 3, 4, 5, 6]);
  t.is(q.dropped, 7);
  t.is(q.depth, 3);
  t.is(q.highWater, 3);
  q.close();
  const rest: number[] = [];
  for await (const n of q) rest.push(n);
  t.deepEqual(rest, [7, 8, 9]);
});

test('block: a push into a full queue waits until a take makes room; nothing is dropped', async (t) => {
  const q = new BoundedQueue<number>(2, 'block');
  await q.push(1);
  await q.push(2);
  let pushed = false;
  const p = q.push(3).then(() => (pushed = true));
  await tick();
  t.false(pushed, 'waits while full');
  t.is((await q.take()).value, 1);
  await p;
  t.true(pushed);
  t.is(q.dropped, 0);
  const out: number[] = [];
  q.close();
  for await (const n of q) out.push(n);
  t.deepEqual(out, [2, 3]);
});

test('block with many producers and one slow consumer: every item arrives exactly once', async (t) => {
  const q = new BoundedQueue<number>(3, 'block');
  const producers = Array.from({ length: 5 }, (_, p) =>
    (async () => {
      for (let i = 0; i < 40; i++) await q.push(p * 1000 + i);
    })(),
  );
  void Promise.all(producers).then(() => q.close());
  const seen: number[] = [];
  for await (const n of q) {
    seen.push(n);
    if (seen.length % 7 === 0) await tick();
    t.true(q.depth <= 3);
  }
  t.is(seen.length, 200);
  t.is(new Set(seen).size, 200);
  // Each producer's items stay in its own order.
  for (let p = 0; p < 5; p++) {
    const mine = seen.filter((n) => Math.floor(n / 1000) === p);
    t.deepEqual(
      mine,
      [...mine].sort((a, b) => a - b),
    );
  }
});

test('takeWithin: undefined on timeout, and an item pushed after a timeout is never lost', async (t) => {
  const q = new BoundedQueue<string>(4, 'block');
  t.is(await q.takeWithin(5), undefined);
  // Many abandoned waits, then items: each item goes to exactly one take.
  for (let i = 0; i < 50; i++) t.is(await q.takeWithin(0), undefined);
  await q.push('a');
  await q.push('b');
  t.deepEqual(await q.takeWithin(1000), { value: 'a', done: false });
  // A wait that is satisfied before its timeout resolves with the item, and its timer is cleared.
  t.deepEqual(await q.takeWithin(0), { value: 'b', done: false }, 'a queued item is taken without waiting');
  const waiting = q.takeWithin(60_000);
  await q.push('c');
  t.deepEqual(await waiting, { value: 'c', done: false });
  q.close();
  t.deepEqual(await q.takeWithin(1000), { value: undefined, done: true });
});

test('takeWithin racing pushes: every pushed item is taken exactly once', async (t) => {
  const q = new BoundedQueue<number>(8, 'block');
  const got: number[] = [];
  let timeouts = 0;
  const consumer = (async () => {
    for (;;) {
      const r = await q.takeWithin(Math.random() < 0.5 ? 0 : 1);
      if (r === undefined) {
        timeouts++;
        continue;
      }
      if (r.done) return;
      got.push(r.value);
    }
  })();
  for (let i = 0; i < 300; i++) {
    await q.push(i);
    if (i % 3 === 0) await new Promise((r) => setTimeout(r, 0));
  }
  q.close();
  await consumer;
  t.deepEqual(
    got,
    Array.from({ length: 300 }, (_, i) => i),
  );
  t.true(timeouts > 0, 'some waits timed out while items kept coming');
});

test('close wakes waiting takers (done) and blocked pushers (E_CLOSED); push after close fails', async (t) => {
  const q = new BoundedQueue<number>(1, 'block');
  const taker = new BoundedQueue<number>(1, 'block');
  const waitingTake = taker.take();
  taker.close();
  t.deepEqual(await waitingTake, { value: undefined, done: true });
  await q.push(1);
  const blocked = q.push(2);
  q.close();
  const err = await t.throwsAsync(blocked);
  t.is((err as { code?: string }).code, 'E_CLOSED');
  const late = await t.throwsAsync(q.push(3));
  t.is((late as { code?: string }).code, 'E_CLOSED');
  t.deepEqual(await q.take(), { value: 1, done: false }, 'what was queued is still drained');
});

test('release(): a full blocking queue stops blocking (consumer gone) and keeps every item', async (t) => {
  const q = new BoundedQueue<number>(1, 'block');
  await q.push(1);
  const blocked = q.push(2);
  q.release();
  await blocked;
  for (let i = 3; i <= 10; i++) await q.push(i);
  t.is(q.depth, 10);
  t.is(q.dropped, 0);
});

test('poll returns an item only when one is queued, and frees room for a blocked push', async (t) => {
  const q = new BoundedQueue<number>(1, 'block');
  t.is(q.poll(), undefined);
  await q.push(1);
  const blocked = q.push(2);
  t.is(q.poll(), 1);
  await blocked;
  t.is(q.poll(), 2);
});

test('BAD CALL - capacity must be a positive integer', (t) => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    const err = t.throws(() => new BoundedQueue(bad, 'block'));
    t.regex(err!.message, /capacity must be a positive integer/);
  }
});
