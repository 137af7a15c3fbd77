/**
 * Exact percentiles of the valid samples of a band region, with linear interpolation between closest
 * ranks (numpy's default): for sorted values v[0..n-1] the p-th percentile is at rank h = p/100·(n-1),
 * v[⌊h⌋] + (h - ⌊h⌋)·(v[⌊h⌋+1] - v[⌊h⌋]). Uses selection, not a full sort: O(n) per percentile.
 */

/** A rectangle of a plane: x, y, width, height in pixels. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Valid (not masked) samples of `plane` inside `region` (row stride `stride`) as a new array. */
export function validSamples(plane: Float32Array, stride: number, region: Region, mask?: Uint8Array): Float32Array {
  const out = new Float32Array(region.width * region.height);
  let k = 0;
  for (let y = region.y; y < region.y + region.height; y++) {
    const row = y * stride;
    for (let x = region.x; x < region.x + region.width; x++) {
      const i = row + x;
      if (mask && mask[i]) continue;
      out[k++] = plane[i]!;
    }
  }
  return out.subarray(0, k);
}

/** Rearranges `a` so that a[k] is the k-th smallest (Hoare quickselect, median-of-three pivot). */
function select(a: Float32Array, k: number, lo = 0, hi = a.length - 1): number {
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three into a[mid]
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * Percentiles (0–100) of `values`, which this function reorders. Returns NaN for each when empty.
 * @example
 * const [p1, p99] = percentilesInPlace(values.slice(), [1, 99]);
 */
export function percentilesInPlace(values: Float32Array, ps: readonly number[]): number[] {
  const n = values.length;
  if (n === 0) return ps.map(() => NaN);
  return ps.map((p) => {
    const { lo, frac } = percentileRank(p, n);
    const vlo = select(values, lo);
    if (frac === 0 || lo + 1 >= n) return vlo;
    // After selecting lo, the (lo+1)-th smallest is the minimum of the upper part.
    let vhi = Infinity;
    for (let i = lo + 1; i < n; i++) if (values[i]! < vhi) vhi = values[i]!;
    return vlo + frac * (vhi - vlo);
  });
}

/**
 * Where the p-th percentile (0–100) of n sorted values lies: between ranks lo and lo + 1, at `frac`
 * of the way (frac 0: exactly rank lo).
 */
export function percentileRank(p: number, n: number): { lo: number; frac: number } {
  const h = (Math.min(100, Math.max(0, p)) / 100) * (n - 1);
  const lo = Math.floor(h);
  return { lo, frac: h - lo };
}
