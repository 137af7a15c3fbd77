/**
 * BLEU-4, CIDEr-D and exact match against values worked out by hand from their definitions.
 */
import test from 'ava';
import { bleu4, captionWords, ciderD, exactMatch } from '../../../tools/rsmoe/caption-metrics.js';

const close = (a: number, b: number, eps = 1e-9) => Math.abs(a - b) <= eps;

test('captionWords lower-cases and drops punctuation', (t) => {
  t.deepEqual(captionWords('An area of mostly Grey soil. two classes : grey soil, red soil.'), [
    'an',
    'area',
    'of',
    'mostly',
    'grey',
    'soil',
    'two',
    'classes',
    'grey',
    'soil',
    'red',
    'soil',
  ]);
});

test('BLEU-4: clipped n-gram precisions 5/6, 3/5, 2/4, 1/3 give (1/12)^(1/4)', (t) => {
  const b = bleu4([{ candidate: 'the cat sat on the mat', references: ['the cat sat on a mat'] }]);
  t.deepEqual(b.precisions, [5 / 6, 3 / 5, 2 / 4, 1 / 3]);
  t.is(b.brevityPenalty, 1);
  t.true(close(b.bleu4, Math.pow(1 / 12, 0.25)), String(b.bleu4));
});

test('BLEU-4: a short candidate pays exp(1 - r/c); the closest reference length counts (shorter on a tie)', (t) => {
  const b = bleu4([{ candidate: 'the cat sat on', references: ['the cat sat on a mat'] }]);
  t.deepEqual(b.precisions, [1, 1, 1, 1]);
  t.true(close(b.bleu4, Math.exp(1 - 6 / 4)));
  const tie = bleu4([{ candidate: 'the cat sat on it', references: ['the cat sat on', 'the cat sat on a mat'] }]);
  t.is(tie.referenceLength, 4);
  t.is(tie.brevityPenalty, 1);
});

test('BLEU-4 is corpus-level: counts are summed before the precisions are taken', (t) => {
  const b = bleu4([
    { candidate: 'a b c d', references: ['a b c d'] },
    { candidate: 'x y z w', references: ['a b c d'] },
  ]);
  t.deepEqual(b.precisions, [4 / 8, 3 / 6, 2 / 4, 1 / 2]);
  t.true(close(b.bleu4, 0.5));
  t.is(
    bleu4([{ candidate: 'the cat', references: ['the cat sat on a mat'] }]).bleu4,
    0,
    'no 3-gram at all: 0 without smoothing',
  );
});

test('CIDEr-D: an exact two-word caption scores 10·(1 + 1 + 0 + 0)/4 = 5', (t) => {
  const c = ciderD([
    { candidate: 'a b', references: ['a b'] },
    { candidate: 'c d', references: ['c d'] },
  ]);
  t.true(close(c.perItem[0]!, 5) && close(c.perItem[1]!, 5), JSON.stringify(c));
});

test('CIDEr-D: tf-idf clipping and the length penalty, worked by hand', (t) => {
  // Item 1: candidate "a b b", reference "a b"; item 2 only makes the idf of a, b, "a b" log 2.
  // unigrams: cand a: l, b: 2l; ref a: l, b: l (l = log 2): (l·l + l·l) / (√5 l · √2 l) = 2/√10
  // bigrams: cand "a b": l, "b b": l (df 0 → log 2); ref "a b": l: l² / (√2 l · l) = 1/√2
  // trigrams: the reference has none → 0. Length penalty exp(−1/72).
  const c = ciderD([
    { candidate: 'a b b', references: ['a b'] },
    { candidate: 'c d', references: ['c d'] },
  ]);
  const want = ((2 / Math.sqrt(10) + 1 / Math.SQRT2) / 4) * Math.exp(-1 / 72) * 10;
  t.true(close(c.perItem[0]!, want), `${c.perItem[0]} vs ${want}`);
  t.true(close(c.cider, (want + 5) / 2));
});

test("CIDEr-D: an n-gram in every item's references carries no weight; several references are averaged", (t) => {
  const c = ciderD([
    { candidate: 'the a', references: ['the a'] },
    { candidate: 'the b', references: ['the b'] },
  ]);
  // "the" has idf 0; unigram sim = (l·l)/(l·l) = 1, bigram 1: 10·2/4 = 5.
  t.true(close(c.perItem[0]!, 5));
  const two = ciderD([
    { candidate: 'a b', references: ['a b', 'x y'] },
    { candidate: 'c d', references: ['c d'] },
  ]);
  t.true(close(two.perItem[0]!, 5 / 2), 'one matching and one disjoint reference average to half');
});

test('exact match compares normalised words; bad input is a coded error', (t) => {
  t.is(
    exactMatch([
      { answer: 'Grey soil.', reference: 'grey soil' },
      { answer: 'yes', reference: 'no' },
    ]),
    0.5,
  );
  t.throws(() => bleu4([]), { message: /at least one item/ });
  t.throws(() => ciderD([{ candidate: 'a', references: [] }]), { message: /items\[0\]/ });
  t.throws(() => exactMatch([]), { message: /at least one answer/ });
});
