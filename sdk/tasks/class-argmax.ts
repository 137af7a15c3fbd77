/**
 * Argmax over classes of bilinearly upsampled logits, at source resolution, without sampling every
 * class at every pixel where the answer is already known.
 *
 * Source pixels between the same four output cells form a block. An interpolated logit is a convex
 * combination of its four corners, so if one class's smallest corner beats every other class's
 * largest corner (by a margin far above float rounding), that class wins at every pixel of the block
 * and the block is filled at once. Other blocks are sampled pixel by pixel with the same arithmetic
 * as `bilinear()` (sdk/sensors/stitch.ts), ties to the lower class id, over the classes that can win
 * there (a class whose largest corner is below the leader's smallest cannot). The class map is
 * identical to sampling every class at every pixel.
 */
import type { AxisSamples } from './resample-back.js';

/** Where the logits are: `k` planes of `outW × outH`, plane `c` at `base + c·outW·outH`. */
export interface LogitPlanes {
  data: Float32Array;
  base: number;
  classes: number;
  outW: number;
  outH: number;
}

/** Runs of consecutive samples sharing one cell pair: [start, end) with its `lo`. */
function runs(s: AxisSamples): number[] {
  const out: number[] = [0];
  for (let i = 1; i < s.lo.length; i++) if (s.lo[i] !== s.lo[i - 1]) out.push(i);
  out.push(s.lo.length);
  return out;
}

/**
 * Writes the argmax class of each sampled pixel: pixel (i, j) (column i of `xs`, row j of `ys`) goes
 * to `map[origin + j·stride + i]`.
 */
export function argmaxUpsampled(
  p: LogitPlanes,
  xs: AxisSamples,
  ys: AxisSamples,
  map: Uint8Array | Uint16Array,
  origin: number,
  stride: number,
): void {
  const { data, base, classes: k, outW } = p;
  const plane = p.outW * p.outH;
  if (xs.frac.every((f) => f === 0) && ys.frac.every((f) => f === 0)) {
    // Every sample falls on a cell (same grid, or a whole-number stride): the interpolated value is
    // the cell's value exactly (weights 1 and 0; values are finite), so read it directly.
    for (let j = 0; j < ys.lo.length; j++) {
      const row = base + ys.lo[j]! * outW;
      for (let i = 0; i < xs.lo.length; i++) {
        const at = row + xs.lo[i]!;
        let cls = 0;
        let top = data[at]!;
        for (let c = 1; c < k; c++) {
          const v = data[at + c * plane]!;
          if (v > top) {
            top = v;
            cls = c;
          }
        }
        map[origin + j * stride + i] = cls;
      }
    }
    return;
  }
  const colRuns = runs(xs);
  const rowRuns = runs(ys);
  const mins = new Float64Array(k);
  const maxs = new Float64Array(k);
  const candidates = new Int32Array(k);
  for (let r = 0; r + 1 < rowRuns.length; r++) {
    const j0 = rowRuns[r]!;
    const j1 = rowRuns[r + 1]!;
    const v0 = ys.lo[j0]!;
    const v1 = ys.hi[j0]!;
    for (let q = 0; q + 1 < colRuns.length; q++) {
      const i0 = colRuns[q]!;
      const i1 = colRuns[q + 1]!;
      const u0 = xs.lo[i0]!;
      const u1 = xs.hi[i0]!;
      let scale = 0;
      for (let c = 0; c < k; c++) {
        const o = base + c * plane;
        const a = data[o + v0 * outW + u0]!;
        const b = data[o + v0 * outW + u1]!;
        const cc = data[o + v1 * outW + u0]!;
        const d = data[o + v1 * outW + u1]!;
        const lo = a < b ? a : b;
        const lo2 = cc < d ? cc : d;
        const hi = a > b ? a : b;
        const hi2 = cc > d ? cc : d;
        const mn = lo < lo2 ? lo : lo2;
        const mx = hi > hi2 ? hi : hi2;
        mins[c] = mn;
        maxs[c] = mx;
        const m = -mn > mx ? -mn : mx;
        if (m > scale) scale = m;
      }
      let best = 0;
      for (let c = 1; c < k; c++) if (mins[c]! > mins[best]!) best = c;
      let rival = -Infinity;
      for (let c = 0; c < k; c++) if (c !== best && maxs[c]! > rival) rival = maxs[c]!;
      // Rounding moves an interpolated value by a few units in the last place of `scale`.
      const margin = 1e-9 * scale;
      if (mins[best]! - rival > margin) {
        // Blocks are a few pixels wide: a plain loop beats a native fill call per row.
        for (let j = j0; j < j1; j++)
          for (let at = origin + j * stride + i0, end = origin + j * stride + i1; at < end; at++) map[at] = best;
        continue;
      }
      // Only classes whose largest corner reaches the winner's smallest can win at some pixel; the
      // others are below it everywhere in the block. Candidates stay in class order (ties → lower id).
      let nc = 0;
      for (let c = 0; c < k; c++) if (c === best || mins[best]! - maxs[c]! <= margin) candidates[nc++] = c;
      for (let j = j0; j < j1; j++) {
        const fv = ys.frac[j]!;
        for (let i = i0; i < i1; i++) {
          const fu = xs.frac[i]!;
          let cls = 0;
          let top = -Infinity;
          for (let q = 0; q < nc; q++) {
            const c = candidates[q]!;
            const o = base + c * plane;
            const a = data[o + v0 * outW + u0]!;
            const b = data[o + v0 * outW + u1]!;
            const cc = data[o + v1 * outW + u0]!;
            const d = data[o + v1 * outW + u1]!;
            const v = (a * (1 - fu) + b * fu) * (1 - fv) + (cc * (1 - fu) + d * fu) * fv;
            if (q === 0 || v > top) {
              top = v;
              cls = c;
            }
          }
          map[origin + j * stride + i] = cls;
        }
      }
    }
  }
}

/**
 * Argmax of logits read directly (outputs at input resolution): pixel i of a row of `n` pixels
 * reads class c at `data[from + c·plane + i]`.
 */
export function argmaxRow(
  data: Float32Array,
  from: number,
  plane: number,
  k: number,
  n: number,
  map: Uint8Array | Uint16Array,
  to: number,
): void {
  for (let i = 0; i < n; i++) {
    let cls = 0;
    let top = data[from + i]!;
    for (let c = 1; c < k; c++) {
      const v = data[from + c * plane + i]!;
      if (v > top) {
        top = v;
        cls = c;
      }
    }
    map[to + i] = cls;
  }
}
