/**
 * The transforms of a conversion plan, as plain functions on float32 arrays (row-major).
 */
import { EdgeError } from '../../sdk/internal.js';
import { relativeCoordsTable } from '../ringmoe/emit/attention.js';
import type { Feed, SourceRef } from './plan-types.js';

/** [rows, cols] → [cols, rows]. */
export function transpose2d(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]!;
  return out;
}

/** q, k, v weights [D, D] as [out, in] → [D, 3D] as [in, out] with columns q | k | v. */
export function fuseQkv(q: Float32Array, k: Float32Array, v: Float32Array, D: number): Float32Array {
  const out = new Float32Array(D * 3 * D);
  [q, k, v].forEach((w, p) => {
    for (let o = 0; o < D; o++) for (let i = 0; i < D; i++) out[i * 3 * D + p * D + o] = w[o * D + i]!;
  });
  return out;
}

/** Relative position index of tokens i, j of a w×w window into a (2w−1)² table. */
export function relativeIndex(i: number, j: number, w: number): number {
  return (Math.floor(i / w) - Math.floor(j / w) + w - 1) * (2 * w - 1) + ((i % w) - (j % w) + w - 1);
}

/** Gathers a per-offset table [(2w−1)², heads] into the bias [1, heads, w², w²]. */
export function gatherBias(table: ArrayLike<number>, w: number, heads: number): Float32Array {
  const t = w * w;
  const out = new Float32Array(heads * t * t);
  for (let i = 0; i < t; i++) {
    for (let j = 0; j < t; j++) {
      const idx = relativeIndex(i, j, w);
      for (let h = 0; h < heads; h++) out[(h * t + i) * t + j] = table[idx * heads + h]!;
    }
  }
  return out;
}

/**
 * SwinV2's continuous position bias: 16·sigmoid(fc2(relu(fc1(coords)))) for each relative
 * offset (log-spaced coords normalised by w − 1), gathered to [1, heads, w², w²]. Torch layouts:
 * fc1 weight [H, 2], fc1 bias [H], fc2 weight [heads, H] (no bias).
 */
export function cpbBias(
  fc1w: Float32Array,
  fc1b: Float32Array,
  fc2w: Float32Array,
  w: number,
  heads: number,
): Float32Array {
  const coords = relativeCoordsTable(w);
  const H = fc1b.length;
  const n = (2 * w - 1) ** 2;
  // float32 hidden activations and table, as the float32 model computes them
  const table = new Float32Array(n * heads);
  const h = new Float32Array(H);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < H; k++)
      h[k] = Math.max(0, coords[r * 2]! * fc1w[k * 2]! + coords[r * 2 + 1]! * fc1w[k * 2 + 1]! + fc1b[k]!);
    for (let o = 0; o < heads; o++) {
      let s = 0;
      for (let k = 0; k < H; k++) s += h[k]! * fc2w[o * H + k]!;
      table[r * heads + o] = 16 / (1 + Math.exp(-s));
    }
  }
  return gatherBias(table, w, heads);
}

/** SwinV2's logit scale: exp(min(x, ln 100)). */
export function logitScale(x: Float32Array): Float32Array {
  return Float32Array.from(x, (v) => Math.exp(Math.min(v, Math.log(100))));
}

/**
 * Computes the package tensor of `feed` from its sources; `read` returns a source's values (or
 * a range of them), undefined for an absent optional source.
 */
export function applyTransform(
  feed: Feed,
  read: (ref: SourceRef, start?: number, count?: number) => Float32Array | undefined,
): Float32Array {
  const tr = feed.transform;
  const need = (i: number) => {
    const ref = feed.sources[i]!;
    const v = read(ref);
    if (v) return v;
    if (ref.optional) return new Float32Array(ref.dims.reduce((a, b) => a * b, 1));
    throw new EdgeError('E_INTERNAL', `source ${ref.name} of ${feed.target} is absent`);
  };
  switch (tr.op) {
    case 'copy':
      return need(0);
    case 'transpose': {
      const [r, c] = feed.sources[0]!.dims as [number, number];
      return transpose2d(need(0), r, c);
    }
    case 'slice': {
      const v = read(feed.sources[0]!, tr.start, tr.count);
      if (!v) throw new EdgeError('E_INTERNAL', `source ${feed.sources[0]!.name} of ${feed.target} is absent`);
      return v;
    }
    case 'fuse-qkv':
      return fuseQkv(need(0), need(1), need(2), feed.dims[0]!);
    case 'concat': {
      const parts = feed.sources.map((_, i) => need(i));
      const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    }
    case 'table-bias':
      return gatherBias(need(0), tr.window, tr.heads);
    case 'cpb-bias':
      return cpbBias(need(0), need(1), need(2), tr.window, tr.heads);
    case 'logit-scale':
      return logitScale(need(0));
    case 'const':
      return new Float32Array(feed.dims.reduce((a, b) => a * b, 1)).fill(tr.value);
    case 'seed':
      throw new EdgeError('E_INTERNAL', `${feed.target} is seeded, not computed from the checkpoint`);
  }
}
