/**
 * Activation statistics of one tensor over calibration frames, collected in one pass: minimum,
 * maximum, largest magnitude, and a histogram of |x| whose range doubles (adjacent bins merged in
 * pairs) whenever a larger magnitude arrives, so no second pass over the frames is needed. The
 * bins covering [0, amax] number between half and all of `bins`.
 */

/** Default bin count: TensorRT's entropy calibrator uses a 2048-bin histogram of |x|. */
export const DEFAULT_BINS = 2048;

/** The statistics of one tensor, as plain data (what is saved and hashed). */
export interface TensorStatsData {
  count: number;
  min: number;
  max: number;
  /** max(|min|, |max|). */
  amax: number;
  /** Upper edge of the histogram (bins cover [0, range]). */
  range: number;
  /** Counts of |x| per bin. */
  hist: number[];
}

export class TensorStats {
  count = 0;
  min = Infinity;
  max = -Infinity;
  range = 0;
  readonly hist: Float64Array;

  constructor(readonly bins = DEFAULT_BINS) {
    this.hist = new Float64Array(bins);
  }

  get amax(): number {
    return this.count ? Math.max(Math.abs(this.min), Math.abs(this.max)) : 0;
  }

  /** Adds every value of `data` (NaN values are rejected by the caller; they are skipped here). */
  add(data: Float32Array): void {
    if (data.length === 0) return;
    let lo = this.min;
    let hi = this.max;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.min = lo;
    this.max = hi;
    const amax = Math.max(Math.abs(lo), Math.abs(hi));
    if (this.range === 0) this.range = amax > 0 ? amax : 0;
    while (amax > this.range) this.grow();
    this.count += data.length;
    const hist = this.hist;
    const last = this.bins - 1;
    if (this.range === 0) {
      hist[0]! += data.length;
      return;
    }
    const k = this.bins / this.range;
    for (let i = 0; i < data.length; i++) {
      const b = Math.floor(Math.abs(data[i]!) * k);
      hist[b > last ? last : b]!++;
    }
  }

  /** Doubles the range: bin pairs merge into the lower half, the upper half empties. */
  private grow(): void {
    const h = this.hist;
    const half = this.bins >> 1;
    for (let i = 0; i < half; i++) h[i] = h[2 * i]! + h[2 * i + 1]!;
    h.fill(0, half);
    this.range *= 2;
  }

  /** Plain data for saving and hashing. */
  toJSON(): TensorStatsData {
    return {
      count: this.count,
      min: this.min,
      max: this.max,
      amax: this.amax,
      range: this.range,
      hist: Array.from(this.hist),
    };
  }
}
