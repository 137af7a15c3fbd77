/**
 * The fusion step of RS-MoE: the experts' outputs become one caption or one answer.
 *
 * - Captions, `ordered-dedup`: the experts' texts in package order (theme, objects, relations) are
 *   split into sentences; a sentence is dropped when its normalised form (lower case, punctuation
 *   and repeated spaces removed) is empty, equals one already kept, or is contained in one already
 *   kept; the kept sentences are joined, each ending with a full stop. Nothing is invented: every
 *   word of the caption comes from an expert.
 * - Answers, `majority-vote`: each expert's answer is its first sentence, normalised; the answer
 *   most experts gave wins; a tie goes to the answer whose experts had the highest mean token
 *   log-probability. Empty answers do not vote.
 */

export interface ExpertText {
  expert: string;
  text: string;
  /** Mean log-probability per generated token (tie-break of the vote). */
  meanLogProb: number;
}

/** Lower case, punctuation to spaces, spaces collapsed. */
export function normaliseText(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function sentences(text: string): string[] {
  return text
    .split(/[.!?]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The fused caption and which sentences each expert contributed. */
export function fuseCaption(outputs: readonly ExpertText[]): { text: string; contributions: Record<string, number> } {
  const kept: { norm: string; text: string }[] = [];
  const contributions: Record<string, number> = {};
  for (const o of outputs) {
    contributions[o.expert] = 0;
    for (const s of sentences(o.text)) {
      const norm = normaliseText(s);
      if (!norm || kept.some((k) => k.norm === norm || ` ${k.norm} `.includes(` ${norm} `))) continue;
      // A longer sentence that contains a kept one replaces it.
      const inner = kept.findIndex((k) => ` ${norm} `.includes(` ${k.norm} `));
      if (inner >= 0) kept.splice(inner, 1);
      kept.push({ norm, text: s });
      contributions[o.expert]!++;
    }
  }
  return { text: kept.map((k) => `${k.text}.`).join(' '), contributions };
}

/** The voted answer, the votes per normalised answer, and which experts gave it. */
export function fuseAnswer(outputs: readonly ExpertText[]): {
  text: string;
  votes: Record<string, number>;
  agreeing: string[];
} {
  const groups = new Map<string, { text: string; experts: string[]; logProb: number }>();
  for (const o of outputs) {
    const first = sentences(o.text)[0] ?? '';
    const norm = normaliseText(first);
    if (!norm) continue;
    const g = groups.get(norm) ?? { text: first, experts: [], logProb: 0 };
    g.experts.push(o.expert);
    g.logProb += o.meanLogProb;
    groups.set(norm, g);
  }
  const votes = Object.fromEntries([...groups].map(([k, g]) => [k, g.experts.length]));
  const best = [...groups.values()].sort(
    (a, b) => b.experts.length - a.experts.length || b.logProb / b.experts.length - a.logProb / a.experts.length,
  )[0];
  return { text: best?.text ?? '', votes, agreeing: best?.experts ?? [] };
}
