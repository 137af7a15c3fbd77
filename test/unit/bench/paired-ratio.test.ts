/**
 * The benchmarks' paired ratio (harness.ts): the median of each round's candidate / anchor, which a
 * slow spell that slows both sides of a round leaves alone.
 */
import test from 'ava';
import { median, pairedRatio } from '../../bench/harness.js';

test('a slow spell that slows both sides of its rounds does not move the paired ratio', (t) => {
  // The candidate takes 0.6 of the anchor in every round; rounds 10-17 ran 1.5× slower.
  const anchor = Array.from({ length: 25 }, (_, i) => (i >= 10 && i < 18 ? 60 : 40) + (i % 3));
  const candidate = anchor.map((a) => 0.6 * a);
  t.is(Number(pairedRatio(candidate, anchor).toFixed(6)), 0.6);
  // The same slow spell over the candidate's rounds only: the median ratio sees 17 rounds at 0.6.
  const late = candidate.map((c, i) => (i >= 17 ? c * 1.5 : c));
  t.is(Number(pairedRatio(late, anchor).toFixed(6)), 0.6);
  t.not(Number((median(late) / median(anchor)).toFixed(6)), 0.6);
});

test('EXPECTED FAILURE - sample lists of different lengths or none are refused', (t) => {
  t.throws(() => pairedRatio([1, 2], [1]), { instanceOf: RangeError });
  t.throws(() => pairedRatio([], []), { instanceOf: RangeError });
});
