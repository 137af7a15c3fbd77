/**
 * Number formats of the planner's explanations.
 */

/** Milliseconds: whole above 100, one decimal above 1, two significant digits below (tiny models run in microseconds). */
export function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toPrecision(2);
}

/** FLOPs as GFLOPs, with three significant digits below 1. */
export function formatGflops(flops: number): string {
  const g = flops / 1e9;
  return g >= 100 ? g.toFixed(0) : g >= 1 ? g.toFixed(1) : g.toPrecision(3);
}
