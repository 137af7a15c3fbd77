/**
 * Latency percentiles over a sliding window of recent samples (bounded memory), per stage.
 */
/** Summary of a latency window, in milliseconds. */
export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

/**
 * The most recent `size` samples (a ring buffer) and their percentiles.
 * @example
 * const w = new LatencyWindow(); w.add(12.5); w.percentiles().p95;
 */
export class LatencyWindow {
  private readonly samples: Float64Array;
  private next = 0;
  private filled = 0;
  private total = 0;

  constructor(readonly size = 2048) {
    this.samples = new Float64Array(size);
  }

  add(ms: number): void {
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.size;
    this.filled = Math.min(this.filled + 1, this.size);
    this.total++;
  }

  /** Samples ever added (not just those in the window). */
  get count(): number {
    return this.total;
  }

  percentiles(): Percentiles {
    if (this.filled === 0) return { count: 0, p50: 0, p95: 0, p99: 0, mean: 0, max: 0 };
    const s = Array.from(this.samples.subarray(0, this.filled)).sort((a, b) => a - b);
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
    return {
      count: this.total,
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
      mean: s.reduce((a, b) => a + b, 0) / s.length,
      max: s[s.length - 1]!,
    };
  }
}

/**
 * Events per second over a sliding time window.
 * @example
 * const fps = new RateMeter(5000); fps.tick(); fps.rate();
 */
export class RateMeter {
  private readonly stamps: number[] = [];

  constructor(
    readonly windowMs = 5000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  tick(n = 1): void {
    const t = this.now();
    for (let i = 0; i < n; i++) this.stamps.push(t);
    this.trim(t);
  }

  rate(): number {
    const t = this.now();
    this.trim(t);
    if (this.stamps.length < 2) return this.stamps.length;
    const span = (t - this.stamps[0]!) / 1000;
    return span > 0 ? this.stamps.length / Math.max(span, 1e-3) : this.stamps.length;
  }

  private trim(t: number): void {
    while (this.stamps.length && t - this.stamps[0]! > this.windowMs) this.stamps.shift();
  }
}
