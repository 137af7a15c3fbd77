/**
 * Number formats shared by readable output: counts, bytes, milliseconds, FLOPs.
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

/** 1234567 → "1.23M"; for parameter counts. */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

/** Bytes → "12.3 MiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}
