import test from 'ava';
import { LatencyWindow, RateMeter } from '../../../sdk/pipeline/latency-stats.js';

test('percentiles over the window; count keeps every sample ever added', (t) => {
  const w = new LatencyWindow(100);
  t.deepEqual(w.percentiles(), { count: 0, p50: 0, p95: 0, p99: 0, mean: 0, max: 0 });
  for (let i = 1; i <= 100; i++) w.add(i);
  const p = w.percentiles();
  t.is(p.count, 100);
  t.is(p.p50, 51);
  t.is(p.p95, 96);
  t.is(p.p99, 100);
  t.is(p.max, 100);
  t.is(p.mean, 50.5);
  // The window slides: 100 more samples of 1000 replace the old ones.
  for (let i = 0; i < 100; i++) w.add(1000);
  t.deepEqual({ ...w.percentiles(), count: 0 }, { count: 0, p50: 1000, p95: 1000, p99: 1000, mean: 1000, max: 1000 });
  t.is(w.count, 200);
});

test('rate over a sliding time window with an injected clock', (t) => {
  let now = 0;
  const r = new RateMeter(1000, () => now);
  t.is(r.rate(), 0);
  for (let i = 0; i < 10; i++) {
    now += 100;
    r.tick();
  }
  t.is(Math.round(r.rate()), 11); // 10 ticks over 0.9 s
  now += 5000;
  t.is(r.rate(), 0, 'old ticks leave the window');
});
