/**
 * Optimal one-to-one assignment under a cost threshold, on the `munkres` library (Hungarian
 * algorithm). Pairs dearer than the threshold are not matches, so they are gated out before the
 * solve: the solver then never trades a good match for a forbidden one.
 */
import { munkres } from 'munkres';

/** Matches of an assignment plus the rows and columns left over. */
export interface Assignment {
  matches: [row: number, col: number][];
  unmatchedRows: number[];
  unmatchedCols: number[];
}

/**
 * Minimum-cost assignment of rows to columns, keeping pairs with cost ≤ `maxCost`.
 * @param cols column count (needed when `cost` has no rows)
 * @example
 * assign([[0.1, 0.9], [0.8, 0.2]], 0.5).matches; // [[0, 0], [1, 1]]
 */
export function assign(cost: number[][], maxCost: number, cols = cost[0]?.length ?? 0): Assignment {
  const rows = cost.length;
  if (rows === 0 || cols === 0) return { matches: [], unmatchedRows: range(rows), unmatchedCols: range(cols) };
  // A gated pair costs more than any allowed set of matches together, so it is chosen only where
  // nothing else is left, and then discarded.
  const forbidden = maxCost * (Math.min(rows, cols) + 1) + 1;
  const gated = cost.map((r) => r.map((c) => (c <= maxCost ? c : forbidden)));
  const matches: [number, number][] = [];
  const rowUsed = new Array<boolean>(rows).fill(false);
  const colUsed = new Array<boolean>(cols).fill(false);
  for (const [r, c] of munkres(gated)) {
    if (cost[r]![c]! > maxCost) continue;
    matches.push([r, c]);
    rowUsed[r] = true;
    colUsed[c] = true;
  }
  return {
    matches,
    unmatchedRows: range(rows).filter((r) => !rowUsed[r]),
    unmatchedCols: range(cols).filter((c) => !colUsed[c]),
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
