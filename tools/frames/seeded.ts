/**
 * Deterministic seeded weights. Each tensor draws from its own stream, seeded from (seed, key), so
 * a tensor's values do not depend on the order tensors are generated in, and the same seed always
 * gives the same bytes on every platform (integer arithmetic, then one float conversion).
 */
import { createHash } from 'node:crypto';

/** sfc32: a small, fast, well-tested 32-bit generator. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;

  constructor(seed: number, key: string) {
    const h = createHash('sha256').update(`${seed}:${key}`).digest();
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    this.d = h.readUInt32LE(12);
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in (0, 1). */
  uniform(): number {
    return (this.nextU32() + 0.5) / 4294967296;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** `n` values ~ N(0, std²), truncated at ±2 std (as timm's trunc_normal_), from stream (seed, key). */
export function truncNormal(seed: number, key: string, n: number, std: number): Float32Array {
  const rng = new Rng(seed, key);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let x = rng.normal();
    while (x < -2 || x > 2) x = rng.normal();
    out[i] = x * std;
  }
  return out;
}

/** `n` values uniform in [lo, hi) from stream (seed, key). */
export function uniformArray(seed: number, key: string, n: number, lo: number, hi: number): Float32Array {
  const rng = new Rng(seed, key);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng.uniform();
  return out;
}

/** A float32 array filled with `value`. */
export function filled(n: number, value: number): Float32Array {
  return new Float32Array(n).fill(value);
}
