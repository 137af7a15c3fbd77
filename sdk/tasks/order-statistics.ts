/**
 * Exact percentiles of large float32 arrays by radix selection: every float32 maps to a 32-bit key
 * that sorts like the value, so one histogram of the top 16 key bits finds the bucket of each wanted
 * rank, and one more pass gathers only the values of those buckets, where a quickselect finds the
 * rank. Two linear passes for any number of percentiles, against one quickselect (plus a scan) per
 * percentile over the whole array; the values are the same: linear interpolation between closest
 * ranks (numpy's default), as `percentilesInPlace`.
 *
 * NaN has keys too (its bit pattern): a positive NaN sorts above +Infinity, a negative one below
 * -Infinity.
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
 * Percentiles (0–100) of `values`, which are not modified; with `valid`, of only the values whose
 * entry in it is not 0 (instead of copying them out first). NaN for each when there is no value.
 * @example
 * const [p5, p50, p95] = percentiles(depthValues, [5, 50, 95]);
 * const [median] = percentiles(map.data, [50], map.valid);
 */
export function percentiles(values: Float32Array, ps: readonly number[], valid?: Uint8Array): number[] {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const hist = valid === undefined ? histogram(bits) : histogramWhere(bits, valid);
  let n = values.length;
  if (valid !== undefined) {
    n = 0;
    for (let b = 0; b < 65536; b++) n += hist[b]!;
  }
  if (n === 0) return ps.map(() => NaN);
  const plan = ps.map((p) => {
    const h = (Math.min(100, Math.max(0, p)) / 100) * (n - 1);
    const lo = Math.floor(h);
    return { lo, frac: h - lo };
  });
  const ranks = [...new Set(plan.flatMap(({ lo, frac }) => (frac === 0 || lo + 1 >= n ? [lo] : [lo, lo + 1])))].sort(
    (a, b) => a - b,
  );
  // Bucket of each wanted rank, and the rank's position inside its bucket.
  const bucketOf = new Int32Array(ranks.length);
  const offsetOf = new Int32Array(ranks.length);
  // `below`: how many values the buckets before `b` hold.
  let below = 0;
  let b = 0;
  for (let r = 0; r < ranks.length; r++) {
    const rank = ranks[r]!;
    while (below + hist[b]! <= rank) below += hist[b++]!;
    bucketOf[r] = b;
    offsetOf[r] = rank - below;
  }
  // Pass 2: the keys of the wanted buckets, each bucket's into a list of its own: `slotOf` maps the
  // buckets from the first wanted one to the last to their list (-1: not wanted).
  const first = bucketOf[0]!;
  const slotOf = new Int32Array(bucketOf[ranks.length - 1]! - first + 1).fill(-1);
  const lists: Uint32Array[] = [];
  for (const b of bucketOf) {
    if (slotOf[b - first] !== -1) continue;
    slotOf[b - first] = lists.length;
    lists.push(new Uint32Array(hist[b]!));
  }
  if (valid === undefined) gather(bits, first, slotOf, lists);
  else gatherWhere(bits, valid, first, slotOf, lists);
  // Each rank selected in its bucket, in increasing order: a selection leaves every later rank of
  // the bucket to its right.
  const from = new Int32Array(lists.length);
  const keyAt = new Float64Array(ranks.length);
  for (let i = 0; i < ranks.length; i++) {
    const slot = slotOf[bucketOf[i]! - first]!;
    const list = lists[slot]!;
    keyAt[i] = select(list, from[slot]!, list.length - 1, offsetOf[i]!);
    from[slot] = offsetOf[i]!;
  }
  const valueAt = (rank: number): number => {
    const k = keyAt[ranks.indexOf(rank)]!;
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

/**
 * The histogram's storage, reused by every call (zeroing 256 KiB is cheaper than a fresh buffer
 * each frame, whose release the garbage collector pays for).
 */
const counts = new Int32Array(65536);

/** Counts of the top 16 key bits (in the shared `counts`: read it before the next call). */
function histogram(bits: Uint32Array): Int32Array {
  const hist = counts.fill(0);
  for (let i = 0; i < bits.length; i++) hist[keyOf(bits[i]!) >>> 16]!++;
  return hist;
}

function histogramWhere(bits: Uint32Array, valid: Uint8Array): Int32Array {
  const hist = counts.fill(0);
  for (let i = 0; i < bits.length; i++) if (valid[i] !== 0) hist[keyOf(bits[i]!) >>> 16]!++;
  return hist;
}

/**
 * The keys of each bucket with a slot into that slot's list (sized to the bucket's count); bucket
 * `first + j` has slot `slotOf[j]` (-1: none).
 */
function gather(bits: Uint32Array, first: number, slotOf: Int32Array, lists: Uint32Array[]): void {
  const fill = new Int32Array(lists.length);
  const span = slotOf.length;
  for (let i = 0; i < bits.length; i++) {
    const k = keyOf(bits[i]!);
    // Unsigned: buckets below `first` wrap to large offsets, out of the span.
    const j = ((k >>> 16) - first) >>> 0;
    if (j >= span) continue;
    const slot = slotOf[j]!;
    if (slot >= 0) lists[slot]![fill[slot]!++] = k;
  }
}

function gatherWhere(
  bits: Uint32Array,
  valid: Uint8Array,
  first: number,
  slotOf: Int32Array,
  lists: Uint32Array[],
): void {
  const fill = new Int32Array(lists.length);
  const span = slotOf.length;
  for (let i = 0; i < bits.length; i++) {
    if (valid[i] === 0) continue;
    const k = keyOf(bits[i]!);
    const j = ((k >>> 16) - first) >>> 0;
    if (j >= span) continue;
    const slot = slotOf[j]!;
    if (slot >= 0) lists[slot]![fill[slot]!++] = k;
  }
}

/**
 * The `k`-th smallest of `a[lo..hi]` (k absolute), by quickselect: afterwards `a[k]` holds it, with
 * nothing larger to its left and nothing smaller to its right inside [lo, hi].
 */
function select(a: Uint32Array, lo: number, hi: number, k: number): number {
  while (hi > lo) {
    // Median of three as the pivot; Hoare partition stops on equal keys, so runs of one key split
    // evenly instead of degrading to quadratic time.
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo - 1;
    let j = hi + 1;
    for (;;) {
      do i++;
      while (a[i]! < pivot);
      do j--;
      while (a[j]! > pivot);
      if (i >= j) break;
      swap(a, i, j);
    }
    if (k <= j) hi = j;
    else lo = j + 1;
  }
  return a[k]!;
}

function swap(a: Uint32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
