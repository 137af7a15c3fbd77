/**
 * Fast bilinear sampling of model outputs at source pixels. A source pixel's output coordinates
 * are separable (u depends on x only, v on y only), so the clamped cell indices and fractions are
 * computed once per column and once per row. Upsampled rows share output rows: each output row is
 * interpolated along x once (the first half of the bilinear sum, per column), and each source row
 * is then one weighted sum of two such rows. The arithmetic is the same, in the same order, as
 * `bilinear()` in sdk/sensors/stitch.ts, so results are bit-identical to sampling pixel by pixel.
 */
import type { FrameLayout } from '../sensors/geometry/layout.js';

/** Bilinear sampling positions along one axis: cells `lo`/`hi` and the fraction toward `hi`. */
export interface AxisSamples {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float64Array;
}

/**
 * Sampling positions for `count` pixels whose output coordinate (pixel centres) is `coord(i)`,
 * clamped to an axis of `len` cells.
 * @example
 * const xs = axisSamples(640, (i) => (i + 0.5) / 10 - 0.5, 64);
 */
export function axisSamples(count: number, coord: (i: number) => number, len: number): AxisSamples {
  const lo = new Int32Array(count);
  const hi = new Int32Array(count);
  const frac = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const c = Math.min(len - 1, Math.max(0, coord(i)));
    const c0 = Math.floor(c);
    lo[i] = c0;
    hi[i] = Math.min(len - 1, c0 + 1);
    frac[i] = c - c0;
  }
  return { lo, hi, frac };
}

/**
 * The core of a resize layout (the source pixels its single model input covers) and the sampling
 * positions of its columns and rows in an `outW × outH` output.
 */
export function resizeSamples(
  layout: FrameLayout,
  outW: number,
  outH: number,
): { x0: number; y0: number; x1: number; y1: number; xs: AxisSamples; ys: AxisSamples } {
  const [x0, y0, x1, y1] = layout.tiles[0]!.core;
  // As sourceToOutput(): source corner coordinates → input grid → output pixel centres.
  const xs = axisSamples(
    x1 - x0,
    (i) => (((x0 + i + 0.5 - layout.offsetX) / layout.scaleX) * outW) / layout.input.width - 0.5,
    outW,
  );
  const ys = axisSamples(
    y1 - y0,
    (i) => (((y0 + i + 0.5 - layout.offsetY) / layout.scaleY) * outH) / layout.input.height - 0.5,
    outH,
  );
  return { x0, y0, x1, y1, xs, ys };
}

/**
 * Bilinear samples of one plane at the columns `xs`, row by row. Keeps the last two output rows
 * interpolated along x, so the source rows between the same two output rows (several, when
 * upsampling) read them instead of the plane.
 * @example
 * const rows = new RowSampler(depth, 0, ow, xs);
 * for (let j = 0; j < ys.lo.length; j++) rows.sample(ys, j, out, (y0 + j) * width + x0);
 */
export class RowSampler {
  private readonly lines: Float64Array[];
  private readonly at = [-1, -1];

  constructor(
    private readonly src: Float32Array,
    private readonly base: number,
    private readonly w: number,
    private readonly xs: AxisSamples,
  ) {
    this.lines = [new Float64Array(xs.lo.length), new Float64Array(xs.lo.length)];
  }

  /** `out[to + i]` = the plane at (xs[i], row `j` of ys), rounded to float32 as a store does. */
  sample(ys: AxisSamples, j: number, out: Float32Array, to: number): void {
    const top = this.line(ys.lo[j]!, -1);
    const bottom = this.line(ys.hi[j]!, ys.lo[j]!);
    const fv = ys.frac[j]!;
    const n = top.length;
    for (let i = 0; i < n; i++) out[to + i] = top[i]! * (1 - fv) + bottom[i]! * fv;
  }

  /** Output row `v` interpolated at every column; computed into the slot not holding row `keep`. */
  private line(v: number, keep: number): Float64Array {
    if (this.at[0] === v) return this.lines[0]!;
    if (this.at[1] === v) return this.lines[1]!;
    const slot = this.at[0] === keep ? 1 : 0;
    const line = this.lines[slot]!;
    const row = this.base + v * this.w;
    const { lo, hi, frac } = this.xs;
    const src = this.src;
    for (let i = 0; i < line.length; i++) {
      const fu = frac[i]!;
      line[i] = src[row + lo[i]!]! * (1 - fu) + src[row + hi[i]!]! * fu;
    }
    this.at[slot] = v;
    return line;
  }
}
