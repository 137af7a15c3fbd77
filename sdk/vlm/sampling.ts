/**
 * Token choice from logits: greedy argmax, nucleus (top-p) sampling from a seeded generator, and
 * log-softmax for beam scores. A seed makes sampling reproducible on every platform.
 */

/** Index of the largest value (the first one on ties). */
export function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** log softmax(v / temperature) as float64. */
export function logSoftmax(v: Float32Array, temperature = 1): Float64Array {
  let max = -Infinity;
  for (const x of v) if (x / temperature > max) max = x / temperature;
  let sum = 0;
  for (const x of v) sum += Math.exp(x / temperature - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(v, (x) => x / temperature - lse);
}

/** A small seeded generator (mulberry32 over a 32-bit state mixed from the seed and a stream number). */
export class SeededRandom {
  private state: number;
  constructor(seed: number, stream = 0) {
    this.state = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35)) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/**
 * Nucleus sampling: the smallest set of most likely tokens whose probability reaches `topP`,
 * renormalised, sampled with `rng`.
 */
export function sampleTopP(logits: Float32Array, topP: number, temperature: number, rng: SeededRandom): number {
  const lp = logSoftmax(logits, temperature);
  const order = Array.from(lp.keys()).sort((a, b) => lp[b]! - lp[a]! || a - b);
  const kept: number[] = [];
  let mass = 0;
  for (const i of order) {
    kept.push(i);
    mass += Math.exp(lp[i]!);
    if (mass >= topP) break;
  }
  let u = rng.next() * mass;
  for (const i of kept) {
    u -= Math.exp(lp[i]!);
    if (u < 0) return i;
  }
  return kept[kept.length - 1]!;
}
