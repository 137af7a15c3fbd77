import test from 'ava';
import { createHash } from 'node:crypto';
import { EdgeError } from '../../../sdk/core/errors.js';
import { ManualClock } from '../../../sdk/core/clock.js';
import { fetchBlob, type BlobSource } from '../../../sdk/ota/sources/blob-source.js';
import { MemorySlotStore } from '../../../sdk/ota/slots/slot-store-memory.js';
import { sleep } from '../../../sdk/ota/timing.js';

/** Lets pending promise callbacks and I/O callbacks run (no real time passes for a ManualClock). */
async function until(cond: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setImmediate(r));
  return cond();
}

test('sleep resolves when the injected clock reaches its time, not before', async (t) => {
  const clock = new ManualClock(1_000);
  let done = false;
  const p = sleep(clock, 500).then(() => (done = true));
  clock.advance(499);
  await until(() => done);
  t.false(done);
  clock.advance(1);
  await p;
  t.true(done);
  t.is(clock.pendingTimers, 0);
});

test('sleep rejects with an AbortError and cancels its timer when the signal aborts', async (t) => {
  const clock = new ManualClock();
  const ac = new AbortController();
  const p = sleep(clock, 10_000, ac.signal);
  t.is(clock.pendingTimers, 1);
  ac.abort(new Error('stop'));
  const err = await t.throwsAsync(p);
  t.is(err?.name, 'AbortError');
  t.is((err as Error & { code: string }).code, 'ABORT_ERR');
  t.is(clock.pendingTimers, 0);
  await t.throwsAsync(sleep(clock, 1, ac.signal), { name: 'AbortError' });
});

test('fetchBlob backs off on the policy clock: 200 ms, then 400 ms, between transient failures', async (t) => {
  const bytes = Buffer.from('a blob fetched after two dropped links');
  const sha = createHash('sha256').update(bytes).digest('hex');
  let attempts = 0;
  const source: BlobSource = {
    name: 'flaky',
    async fetch(_blob, writer) {
      attempts++;
      if (attempts <= 2) throw new EdgeError('E_IO', `link dropped (${attempts})`);
      await writer.write(bytes);
    },
  };
  const store = new MemorySlotStore();
  const clock = new ManualClock();
  const retries: string[] = [];
  let finished = false;
  const p = fetchBlob(store, { sha256: sha, size: bytes.length }, [source], {
    clock,
    onRetry: (_s, _b, why) => retries.push(why),
  }).then(() => (finished = true));

  t.true(await until(() => clock.pendingTimers === 1));
  t.is(attempts, 1);
  clock.advance(199);
  await until(() => attempts > 1);
  t.is(attempts, 1, 'the first backoff (200 ms) has not elapsed on the clock');
  clock.advance(1);
  t.true(await until(() => attempts === 2 && clock.pendingTimers === 1));
  clock.advance(399);
  await until(() => attempts > 2);
  t.is(attempts, 2, 'the second backoff doubles to 400 ms');
  clock.advance(1);
  await p;
  t.true(finished);
  t.is(attempts, 3);
  t.deepEqual(retries, ['link dropped (1)', 'link dropped (2)']);
  t.true(await store.hasBlob(sha));
});
