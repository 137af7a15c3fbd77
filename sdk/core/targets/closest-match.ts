/**
 * "Did you mean ...?" for unknown target ids: the known name nearest by edit distance.
 */

/** Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `query` (case-insensitive) by edit distance; a candidate that contains
 * the query or is contained in it scores only the length difference ("orin-nano" is close to
 * "jetson-orin-nano-8gb"). Undefined when nothing is close: no containment and more than
 * max(2, 40 % of the query) edits away.
 */
export function closestMatch(query: string, candidates: readonly string[]): string | undefined {
  const q = query.toLowerCase();
  const maxEdits = Math.max(2, Math.floor(q.length * 0.4));
  let best: { name: string; score: number } | undefined;
  for (const name of candidates) {
    const n = name.toLowerCase();
    const contained = q.length >= 3 && n.length >= 3 && (n.includes(q) || q.includes(n));
    const edits = editDistance(q, n);
    const score = contained ? Math.min(edits, Math.abs(n.length - q.length)) : edits;
    if (!contained && score > maxEdits) continue;
    if (!best || score < best.score) best = { name, score };
  }
  return best?.name;
}
