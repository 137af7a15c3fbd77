import test from 'ava';
import { goalMet, markdownSummary } from '../../bench/summary.js';

test('goalMet reads the goals the benchmarks write', (t) => {
  t.true(goalMet('≤ 1.3', 1.3));
  t.false(goalMet('≤ 1.3', 1.31));
  t.true(goalMet('<= 0.5', 0.49));
  t.false(goalMet('>= 0.95', 0.86));
  t.true(goalMet('≥ 0.9', 0.99));
  t.true(goalMet('> 1.0', 1.34));
  t.false(goalMet('> 1.0', 1.0));
  t.true(goalMet('within 25 % (0.75–1.25)', 0.96));
  t.false(goalMet('within 25 % (0.75–1.25)', 0.57));
  t.is(goalMet('≈ 1 (within noise)', 0.9), undefined);
  t.is(goalMet(undefined, 1), undefined);
});

test('markdownSummary names each result (its own name: one benchmark gives several), its goal, whether it is met, and the time and load', (t) => {
  const md = markdownSummary({
    date: '2026-12-07T20:00:00.000Z',
    node: 'v20.20.2',
    platform: 'linux-x64',
    cpus: 2,
    totalSeconds: 1500,
    benches: [
      {
        name: 'sparse-vs-dense',
        seconds: 200.4,
        load: [1.2, 2.04],
        results: [
          { name: 'b1', ratio: { label: 'sparse / dense | batch 1', value: 0.612, goal: '<= 0.5' }, metrics: {} },
          { name: 'b4', ratio: { label: 'sparse / dense, batch 4', value: 0.5 }, metrics: {} },
        ],
      },
    ],
  });
  t.true(md.startsWith('Run of 2026-12-07T20:00:00.000Z: 1 benchmarks in 25.0 min'));
  t.true(md.includes('| b1 | sparse / dense \\| batch 1 | 0.612 | <= 0.5 | no | 200 s | 1.2 → 2.0 |'));
  t.true(md.includes('| b4 | sparse / dense, batch 4 | 0.500 | — | — | 200 s | 1.2 → 2.0 |'));
});
