/**
 * One-channel dense outputs (`change_prob`, `depth`) as source-resolution maps with a validity mask:
 * stitched (tiles) or resampled back (resize modes), checked against their documented range, and
 * marked invalid where the frame has no data or a centre crop left the pixel uncovered.
 */
import { expectOneOf } from '../core/validate.js';
import { stitchDense, type StitchMode } from '../sensors/geometry/stitch.js';
import type { FrameLayout } from '../sensors/geometry/layout.js';
import { checkValues, stackOutput, type FrameContext, type TaskOutput } from './outputs.js';
import { resizeSamples, RowSampler } from './resample-back.js';

/** A one-channel map at source resolution. */
export interface SourceMap {
  width: number;
  height: number;
  data: Float32Array;
  /** 1 = the value is meaningful. */
  valid: Uint8Array;
  validPixels: number;
}

/**
 * The source-resolution map of a one-channel dense output.
 * @throws EdgeError E_MODEL_OUTPUT for shapes or values that break the contract
 */
export function denseToSource(
  name: string,
  output: TaskOutput,
  frame: FrameContext,
  range: [number, number],
  stitch: StitchMode | undefined,
): SourceMap {
  const { layout } = frame;
  const out = stackOutput(name, output, 4, [1, undefined, undefined], layout.tiles.length);
  const [, , oh, ow] = out.shape as [number, number, number, number];
  checkValues(name, out.data, range[0], range[1]);
  const mode = expectOneOf('options.stitch', stitch ?? 'blend', ['blend', 'center'] as const);
  if (layout.fit !== 'tile') return resampleToSource(layout, out.data, oh, ow, range, frame.noDataMask);
  const mosaic = stitchDense(layout, out.data, 1, oh, ow, mode);
  const { data, covered: valid } = mosaic;
  const mask = frame.noDataMask;
  let validPixels = 0;
  for (let i = 0; i < data.length; i++) {
    if (mask !== undefined && mask[i] !== 0) valid[i] = 0;
    validPixels += valid[i]!;
  }
  clamp(data, 0, data.length, range[0], range[1]);
  return { width: mosaic.width, height: mosaic.height, data, valid, validPixels };
}

/**
 * Values the documented range allows but float rounding pushed just outside are clamped (and -0
 * made +0 at a bound of 0): `data[i] = min(hi, max(lo, data[i]))` for i in [from, to). Values
 * strictly inside are already their own clamp, so only the others are written.
 */
function clamp(data: Float32Array, from: number, to: number, lo: number, hi: number): void {
  for (let i = from; i < to; i++) {
    const v = data[i]!;
    if (!(v > lo && v < hi)) data[i] = Math.min(hi, Math.max(lo, v));
  }
}

/**
 * Resize layouts: the single output sampled (bilinear) at every source pixel of the covered core,
 * clamped to `range` row by row while the row is at hand; pixels outside the core (cut off by a
 * centre crop) are the clamp of 0 and not covered. Same values as the per-pixel `stitchDense`
 * followed by the clamp of every pixel.
 */
function resampleToSource(
  layout: FrameLayout,
  data: Float32Array,
  oh: number,
  ow: number,
  [lo, hi]: [number, number],
  mask: Uint8Array | undefined,
): SourceMap {
  const { width, height } = layout.source;
  const out = new Float32Array(width * height);
  const valid = new Uint8Array(width * height);
  const { x0, y0, x1, y1, xs, ys } = resizeSamples(layout, ow, oh);
  let validPixels = 0;
  if (x1 > x0) {
    const rows = new RowSampler(data, 0, ow, xs);
    for (let y = y0; y < y1; y++) {
      const at = y * width + x0;
      rows.sample(ys, y - y0, out, at);
      clamp(out, at, at + x1 - x0, lo, hi);
      valid.fill(1, at, at + x1 - x0);
    }
    validPixels = (x1 - x0) * Math.max(0, y1 - y0);
  }
  const zero = Math.min(hi, Math.max(lo, 0));
  if (!Object.is(zero, 0)) {
    // A range without 0 (none of the SDK's): the uncovered pixels hold its clamp, as covered ones would.
    for (let i = 0; i < out.length; i++) if (valid[i] === 0) out[i] = zero;
  }
  if (mask !== undefined) {
    for (let i = 0; i < out.length; i++) {
      if (mask[i] !== 0 && valid[i] !== 0) {
        valid[i] = 0;
        validPixels--;
      }
    }
  }
  return { width, height, data: out, valid, validPixels };
}
