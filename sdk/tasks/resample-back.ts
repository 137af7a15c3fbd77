/**
 * Fast bilinear sampling of model outputs at source pixels. A source pixel's output coordinates
 * are separable (u depends on x only, v on y only), so the clamped cell indices and fractions are
 * computed once per column and once per row, and each row is sampled in one tight loop. The
 * arithmetic is the same, in the same order, as `bilinear()` in sdk/sensors/stitch.ts, so results
 * are bit-identical to sampling pixel by pixel.
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
 * Bilinear samples of one row: `out[i]` = plane at (xs[i], row `j` of ys), plane at `base` in `src`
 * with row stride `w`.
 */
export function sampleRow(
  src: Float32Array,
  base: number,
  w: number,
  xs: AxisSamples,
  ys: AxisSamples,
  j: number,
  out: Float64Array,
): void {
  const r0 = base + ys.lo[j]! * w;
  const r1 = base + ys.hi[j]! * w;
  const fv = ys.frac[j]!;
  const { lo, hi, frac } = xs;
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const u0 = lo[i]!;
    const u1 = hi[i]!;
    const fu = frac[i]!;
    const a = src[r0 + u0]!;
    const b = src[r0 + u1]!;
    const c = src[r1 + u0]!;
    const d = src[r1 + u1]!;
    out[i] = (a * (1 - fu) + b * fu) * (1 - fv) + (c * (1 - fu) + d * fu) * fv;
  }
}
