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
 * The candidate closest to `query` (case-insensitive). A candidate that contains the query, or is
 * contained in it, wins over edit distance ("orin-nano" → "jetson-orin-nano-8gb"). Undefined when
 * there are no candidates.
 */
export function closestMatch(query: string, candidates: readonly string[]): string | undefined {
  const q = query.toLowerCase();
  let best: { name: string; score: number } | undefined;
  for (const name of candidates) {
    const n = name.toLowerCase();
    const containment = n.includes(q) || q.includes(n) ? -1000 + Math.abs(n.length - q.length) : 0;
    const score = containment || editDistance(q, n);
    if (!best || score < best.score) best = { name, score };
  }
  return best?.name;
}
