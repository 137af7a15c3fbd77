/**
 * Caption and answer scores: corpus BLEU-4 (Papineni et al. 2002), CIDEr-D (Vedantam et al. 2015,
 * as the COCO caption evaluation computes it) and VQA exact match. Texts are compared as word
 * sequences after {@link captionWords}: lower case, punctuation removed, whitespace split (the
 * COCO evaluation's tokenizer also drops punctuation).
 *
 * BLEU-4: modified n-gram precisions p1..p4 summed over the corpus (each candidate n-gram count
 * clipped to its largest count in one reference), geometric mean with weights ¼, times the brevity
 * penalty exp(1 − r/c) when the candidates' total length c is below r, the sum over candidates of
 * the reference length closest to each candidate (the shorter on a tie). No smoothing: a corpus
 * without a matching 4-gram scores 0.
 *
 * CIDEr-D: per n = 1..4, TF-IDF vectors (term frequency × (log N − log max(1, df)), N the number of
 * items, df the number of items whose references contain the n-gram); the similarity of candidate
 * and reference is Σ min(g_c, g_r)·g_r / (‖g_c‖·‖g_r‖) (0 when a norm is 0), times the length
 * penalty exp(−(len_c − len_r)² / (2·6²)); averaged over n and the references, times 10; the score
 * is the mean over items.
 */
import { EdgeError } from '../../sdk/internal.js';

/** Lower-cased words, punctuation removed. */
export function captionWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

function ngrams(words: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= words.length; i++) {
    const k = words.slice(i, i + n).join(' ');
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** One scored item: a candidate and its references (at least one). */
export interface CaptionItem {
  candidate: string;
  references: readonly string[];
}

function check(items: readonly CaptionItem[]): void {
  if (!Array.isArray(items) || items.length === 0)
    throw new EdgeError('E_INVALID_ARGUMENT', 'scores need at least one item', { field: 'items' });
  items.forEach((it, i) => {
    if (
      typeof it?.candidate !== 'string' ||
      !Array.isArray(it.references) ||
      it.references.length === 0 ||
      it.references.some((r: unknown) => typeof r !== 'string')
    ) {
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `items[${i}] needs a candidate string and at least one reference string`,
        { field: `items[${i}]` },
      );
    }
  });
}

export interface Bleu {
  bleu4: number;
  /** Modified precisions p1..p4. */
  precisions: [number, number, number, number];
  brevityPenalty: number;
  candidateLength: number;
  referenceLength: number;
}

/**
 * Corpus BLEU-4.
 * @throws EdgeError E_INVALID_ARGUMENT for no items or an item without references
 */
export function bleu4(items: readonly CaptionItem[]): Bleu {
  check(items);
  const match = [0, 0, 0, 0];
  const total = [0, 0, 0, 0];
  let c = 0;
  let r = 0;
  for (const it of items) {
    const cand = captionWords(it.candidate);
    const refs = it.references.map(captionWords);
    c += cand.length;
    // Closest reference length; the shorter one on a tie.
    r += refs.map((x) => x.length).sort((a, b) => Math.abs(a - cand.length) - Math.abs(b - cand.length) || a - b)[0]!;
    for (let n = 1; n <= 4; n++) {
      const cg = ngrams(cand, n);
      const maxRef = new Map<string, number>();
      for (const ref of refs) for (const [k, v] of ngrams(ref, n)) maxRef.set(k, Math.max(maxRef.get(k) ?? 0, v));
      for (const [k, v] of cg) {
        match[n - 1]! += Math.min(v, maxRef.get(k) ?? 0);
        total[n - 1]! += v;
      }
    }
  }
  const precisions = match.map((m, i) => (total[i]! > 0 ? m / total[i]! : 0)) as [number, number, number, number];
  const brevityPenalty = c === 0 ? 0 : c >= r ? 1 : Math.exp(1 - r / c);
  const bleu = precisions.some((p) => p === 0)
    ? 0
    : brevityPenalty * Math.exp(precisions.reduce((s, p) => s + Math.log(p) / 4, 0));
  return { bleu4: bleu, precisions, brevityPenalty, candidateLength: c, referenceLength: r };
}

/** CIDEr-D's Gaussian length penalty σ. */
const SIGMA = 6;

/**
 * CIDEr-D over the items (document frequencies from these items' references).
 * @returns the corpus score (mean over items) and each item's score
 * @throws EdgeError E_INVALID_ARGUMENT for no items or an item without references
 */
export function ciderD(items: readonly CaptionItem[]): { cider: number; perItem: number[] } {
  check(items);
  const df = new Map<string, number>();
  const refGrams = items.map((it) =>
    it.references.map((ref) => {
      const w = captionWords(ref);
      return { len: w.length, grams: [1, 2, 3, 4].map((n) => ngrams(w, n)) };
    }),
  );
  for (const refs of refGrams) {
    const seen = new Set<string>();
    for (const ref of refs) for (const g of ref.grams) for (const k of g.keys()) seen.add(k);
    for (const k of seen) df.set(k, (df.get(k) ?? 0) + 1);
  }
  const logN = Math.log(items.length);
  const vec = (grams: Map<string, number>[]) =>
    grams.map((g) => {
      const v = new Map<string, number>();
      let sq = 0;
      for (const [k, tf] of g) {
        const x = tf * (logN - Math.log(Math.max(1, df.get(k) ?? 0)));
        v.set(k, x);
        sq += x * x;
      }
      return { v, norm: Math.sqrt(sq) };
    });
  const perItem = items.map((it, i) => {
    const cw = captionWords(it.candidate);
    const cv = vec([1, 2, 3, 4].map((n) => ngrams(cw, n)));
    let sum = 0;
    for (const ref of refGrams[i]!) {
      const rv = vec(ref.grams);
      const penalty = Math.exp(-((cw.length - ref.len) ** 2) / (2 * SIGMA * SIGMA));
      let s = 0;
      for (let n = 0; n < 4; n++) {
        let dot = 0;
        for (const [k, x] of cv[n]!.v) dot += Math.min(x, rv[n]!.v.get(k) ?? 0) * (rv[n]!.v.get(k) ?? 0);
        const den = cv[n]!.norm * rv[n]!.norm;
        s += (den > 0 ? dot / den : 0) * penalty;
      }
      sum += s / 4;
    }
    return (sum / refGrams[i]!.length) * 10;
  });
  return { cider: perItem.reduce((a, b) => a + b, 0) / perItem.length, perItem };
}

/** Share of answers equal to their reference after {@link captionWords} normalisation. */
export function exactMatch(items: readonly { answer: string; reference: string }[]): number {
  if (!Array.isArray(items) || items.length === 0)
    throw new EdgeError('E_INVALID_ARGUMENT', 'exact match needs at least one answer', { field: 'items' });
  return (
    items.filter((x) => captionWords(x.answer).join(' ') === captionWords(x.reference).join(' ')).length / items.length
  );
}
