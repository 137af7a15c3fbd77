/**
 * Argmax over classes of bilinearly upsampled logits, at source resolution, without sampling every
 * class at every pixel where the answer is already known.
 *
 * Source pixels between the same four output cells form a block. An interpolated logit is a convex
 * combination of its four corners, so if one class's smallest corner beats every other class's
 * largest corner (by a margin far above float rounding), that class wins at every pixel of the block
 * and the block is filled at once. That class is then the strict winner at each of the four cells,
 * so the test needs only each cell's leader, its logit and the runner-up's: they are computed once
 * per output row (one pass over the logits), and a block is decided from its four cells without
 * reading the classes again. Other blocks are sampled pixel by pixel with the same arithmetic as
 * `bilinear()` (sdk/sensors/stitch.ts), ties to the lower class id, over the classes that can win
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
  const nq = colRuns.length - 1;
  const cu0 = new Int32Array(nq);
  const cu1 = new Int32Array(nq);
  for (let q = 0; q < nq; q++) {
    cu0[q] = xs.lo[colRuns[q]!]!;
    cu1[q] = xs.hi[colRuns[q]!]!;
  }
  const rows = new LeaderRows(p);
  // One row of a row run's class map: the winners of its decided blocks, copied to each of its rows.
  const template = map instanceof Uint8Array ? new Uint8Array(xs.lo.length) : new Uint16Array(xs.lo.length);
  const undecided = new Int32Array(nq);
  const mins = new Float64Array(k);
  const maxs = new Float64Array(k);
  const candidates = new Int32Array(k);
  // The four corners of each class in the block being sampled: [v0, u0], [v0, u1], [v1, u0], [v1, u1].
  const c00 = new Float64Array(k);
  const c01 = new Float64Array(k);
  const c10 = new Float64Array(k);
  const c11 = new Float64Array(k);
  for (let r = 0; r + 1 < rowRuns.length; r++) {
    const j0 = rowRuns[r]!;
    const j1 = rowRuns[r + 1]!;
    const v0 = ys.lo[j0]!;
    const v1 = ys.hi[j0]!;
    const t = rows.get(v0, undefined);
    const b = rows.get(v1, t);
    let nu = 0;
    for (let q = 0; q < nq; q++) {
      const u0 = cu0[q]!;
      const u1 = cu1[q]!;
      const best = t.leader[u0]!;
      if (t.leader[u1] === best && b.leader[u0] === best && b.leader[u1] === best) {
        // The leader's smallest corner against every other class's largest (the runners-up).
        const lo = Math.min(t.top[u0]!, t.top[u1]!, b.top[u0]!, b.top[u1]!);
        const rival = Math.max(t.second[u0]!, t.second[u1]!, b.second[u0]!, b.second[u1]!);
        const scale = Math.max(t.scale[u0]!, t.scale[u1]!, b.scale[u0]!, b.scale[u1]!);
        // Rounding moves an interpolated value by a few units in the last place of `scale`.
        if (lo - rival > 1e-9 * scale) {
          // Blocks are a few pixels wide: a plain loop beats a native fill call per block.
          for (let i = colRuns[q]!, end = colRuns[q + 1]!; i < end; i++) template[i] = best;
          continue;
        }
      }
      undecided[nu++] = q;
    }
    for (let j = j0; j < j1; j++) map.set(template, origin + j * stride);
    for (let n = 0; n < nu; n++) {
      const q = undecided[n]!;
      const u0 = cu0[q]!;
      const u1 = cu1[q]!;
      const scale = Math.max(t.scale[u0]!, t.scale[u1]!, b.scale[u0]!, b.scale[u1]!);
      let best = 0;
      for (let c = 0; c < k; c++) {
        const o = base + c * plane;
        const a = (c00[c] = data[o + v0 * outW + u0]!);
        const bb = (c01[c] = data[o + v0 * outW + u1]!);
        const cc = (c10[c] = data[o + v1 * outW + u0]!);
        const d = (c11[c] = data[o + v1 * outW + u1]!);
        const lo = a < bb ? a : bb;
        const lo2 = cc < d ? cc : d;
        const hi = a > bb ? a : bb;
        const hi2 = cc > d ? cc : d;
        mins[c] = lo < lo2 ? lo : lo2;
        maxs[c] = hi > hi2 ? hi : hi2;
        if (mins[c]! > mins[best]!) best = c;
      }
      // Only classes whose largest corner reaches the winner's smallest can win at some pixel; the
      // others are below it everywhere in the block. Candidates stay in class order (ties → lower id).
      const margin = 1e-9 * scale;
      let nc = 0;
      for (let c = 0; c < k; c++) if (c === best || mins[best]! - maxs[c]! <= margin) candidates[nc++] = c;
      for (let j = j0; j < j1; j++) {
        const fv = ys.frac[j]!;
        for (let i = colRuns[q]!, end = colRuns[q + 1]!; i < end; i++) {
          const fu = xs.frac[i]!;
          let cls = 0;
          let top = -Infinity;
          for (let m = 0; m < nc; m++) {
            const c = candidates[m]!;
            const v = (c00[c]! * (1 - fu) + c01[c]! * fu) * (1 - fv) + (c10[c]! * (1 - fu) + c11[c]! * fu) * fv;
            if (m === 0 || v > top) {
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

/** Per cell of one output row: the leading class, its logit, the best other logit and the largest |logit|. */
interface LeaderRow {
  row: number;
  /** The class with the largest logit (the lower id on ties). */
  leader: Int32Array;
  top: Float64Array;
  /** The largest logit of the other classes: equal to `top` on a tie. */
  second: Float64Array;
  /** The largest magnitude of any class's logit, which bounds the rounding of an interpolation. */
  scale: Float64Array;
}

/**
 * The leaders of the two output rows a row run interpolates between. Consecutive row runs share a
 * row (one run's lower row is the next one's upper), so each row is computed once.
 */
class LeaderRows {
  private readonly slots: LeaderRow[];

  constructor(private readonly p: LogitPlanes) {
    const slot = (): LeaderRow => ({
      row: -1,
      leader: new Int32Array(p.outW),
      top: new Float64Array(p.outW),
      second: new Float64Array(p.outW),
      scale: new Float64Array(p.outW),
    });
    this.slots = [slot(), slot()];
  }

  /** The leaders of output row `v`, computed into a slot other than `keep` unless cached. */
  get(v: number, keep: LeaderRow | undefined): LeaderRow {
    for (const s of this.slots) if (s.row === v) return s;
    const s = this.slots[0] === keep ? this.slots[1]! : this.slots[0]!;
    const { data, base, classes: k, outW, outH } = this.p;
    const { leader, top, second, scale } = s;
    const row = base + v * outW;
    for (let u = 0; u < outW; u++) {
      const x = data[row + u]!;
      leader[u] = 0;
      top[u] = x;
      second[u] = -Infinity;
      scale[u] = x < 0 ? -x : x;
    }
    for (let c = 1; c < k; c++) {
      const o = row + c * outW * outH;
      for (let u = 0; u < outW; u++) {
        const x = data[o + u]!;
        if (x > top[u]!) {
          second[u] = top[u]!;
          top[u] = x;
          leader[u] = c;
        } else if (x > second[u]!) second[u] = x;
        const m = x < 0 ? -x : x;
        if (m > scale[u]!) scale[u] = m;
      }
    }
    s.row = v;
    return s;
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
