/**
 * The runtime's time is injectable: a ManualClock drives the periodic metrics and stamps tensor
 * results given no timestamp, and a bad clock is refused naming the option. Real tiny package.
 */
import test from 'ava';
import type { EdgeError } from '../../../sdk/core/errors.js';
import { ManualClock } from '../../../sdk/core/clock.js';
import type { RuntimeMetrics } from '../../../sdk/pipeline/metrics.js';
import { resolveRuntimeOptions } from '../../../sdk/runtime/resolve-options.js';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import { randomFeeds, tinyPackage } from '../../helpers/packages.js';

test('metrics come every metricsIntervalMs of the injected clock, and stop at close', async (t) => {
  const clock = new ManualClock(1_700_000_000_000);
  const rt = await createRuntime({ package: (await tinyPackage()).dir, workers: 0, metricsIntervalMs: 1000, clock });
  t.teardown(() => rt.close());
  const seen: RuntimeMetrics[] = [];
  rt.on('metrics', (m) => seen.push(m));
  clock.advance(999);
  t.is(seen.length, 0);
  clock.advance(1);
  t.is(seen.length, 1);
  clock.advance(3000);
  t.is(seen.length, 4, 'one tick per interval, however far time jumps');
  await rt.close();
  const atClose = seen.length;
  clock.advance(10_000);
  t.is(seen.length, atClose, 'no metrics after close');
  t.is(clock.pendingTimers, 0);
});

test('a tensor result given no timestamp is stamped with the clock’s time', async (t) => {
  const clock = new ManualClock(1_234_567_000);
  const pkg = await tinyPackage();
  const rt = await createRuntime({ package: pkg.dir, workers: 0, clock });
  t.teardown(() => rt.close());
  const entry = pkg.manifest.entries.find((e) => e.kind === 'modality')!;
  const r = await rt.inferTensors('t1', randomFeeds(entry, 1), { entry: entry.name });
  t.is(r.timestamp, 1_234_567_000);
  clock.advance(500);
  t.is((await rt.inferTensors('t2', randomFeeds(entry, 1), { entry: entry.name })).timestamp, 1_234_567_500);
  t.is((await rt.inferTensors('t3', randomFeeds(entry, 1), { entry: entry.name, timestamp: 7 })).timestamp, 7);
});

test('options.clock must be a Clock', (t) => {
  for (const clock of [null, 5, {}, { now: () => 0 }]) {
    const err = t.throws(() => resolveRuntimeOptions({ package: 'pkg', clock })) as EdgeError;
    t.is(err.code, 'E_INVALID_ARGUMENT');
    t.is(err.field, 'options.clock');
  }
});
