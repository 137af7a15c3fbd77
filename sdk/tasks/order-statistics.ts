/**
 * Exact percentiles of large float32 arrays by radix selection: every float32 maps to a 32-bit key
 * that sorts like the value, so one histogram of the top 16 key bits finds the bucket of each wanted
 * rank, and one more pass sorts only the values of those buckets. Two linear passes for any number
 * of percentiles, against one quickselect (plus a scan) per percentile; the values are the same:
 * linear interpolation between closest ranks (numpy's default), as `percentilesInPlace`.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Sort key of a float32 (given as its bit pattern): negative values reversed, below the positives. */
function keyOf(bits: number): number {
  // -0 is read as +0, as a comparison-based selection treats them as equal.
  if (bits === 0x80000000) return 0x80000000;
  return bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
}

/**
 * Percentiles (0–100) of `values`, which are not modified. NaN for each when `values` is empty.
 * Values must not be NaN.
 * @example
 * const [p5, p50, p95] = percentiles(depthValues, [5, 50, 95]);
 */
export function percentiles(values: Float32Array, ps: readonly number[]): number[] {
  const n = values.length;
  if (n === 0) return ps.map(() => NaN);
  const plan = ps.map((p) => {
    const h = (Math.min(100, Math.max(0, p)) / 100) * (n - 1);
    const lo = Math.floor(h);
    return { lo, frac: h - lo };
  });
  const ranks = [...new Set(plan.flatMap(({ lo, frac }) => (frac === 0 || lo + 1 >= n ? [lo] : [lo, lo + 1])))].sort(
    (a, b) => a - b,
  );
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);

  // Pass 1: histogram of the top 16 key bits.
  const hist = new Uint32Array(65536);
  for (let i = 0; i < n; i++) hist[keyOf(bits[i]!) >>> 16]!++;
  // Bucket of each wanted rank, and the rank's position inside its bucket.
  const where = new Map<number, { bucket: number; offset: number }>();
  const wanted = new Map<number, number>(); // bucket → slot in `lists`
  let below = 0;
  let r = 0;
  for (let b = 0; b < 65536 && r < ranks.length; b++) {
    const count = hist[b]!;
    while (r < ranks.length && ranks[r]! < below + count) {
      where.set(ranks[r]!, { bucket: b, offset: ranks[r]! - below });
      if (!wanted.has(b)) wanted.set(b, wanted.size);
      r++;
    }
    below += count;
  }
  // Pass 2: the keys of the wanted buckets, sorted.
  const lists = [...wanted.keys()].map((b) => new Uint32Array(hist[b]!));
  const fill = new Uint32Array(lists.length);
  const slotOf = new Int32Array(65536).fill(-1);
  for (const [b, slot] of wanted) slotOf[b] = slot;
  for (let i = 0; i < n; i++) {
    const k = keyOf(bits[i]!);
    const slot = slotOf[k >>> 16]!;
    if (slot >= 0) lists[slot]![fill[slot]!++] = k;
  }
  for (const l of lists) l.sort();
  const valueAt = (rank: number): number => {
    const w = where.get(rank)!;
    const k = lists[wanted.get(w.bucket)!]![w.offset]!;
    u32[0] = k & 0x80000000 ? (k & 0x7fffffff) >>> 0 : ~k >>> 0;
    return f32[0]!;
  };
  return plan.map(({ lo, frac }) => {
    const vlo = valueAt(lo);
    if (frac === 0 || lo + 1 >= n) return vlo;
    const vhi = valueAt(lo + 1);
    return vlo + frac * (vhi - vlo);
  });
}
