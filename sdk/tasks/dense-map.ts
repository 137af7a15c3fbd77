/**
 * One-channel dense outputs (`change_prob`, `depth`) as source-resolution maps with a validity mask:
 * stitched (tiles) or resampled back (resize modes), checked against their documented range, and
 * marked invalid where the frame has no data or a centre crop left the pixel uncovered.
 */
import { expectOneOf } from '../core/validate.js';
import { stitchDense, type StitchMode } from '../sensors/geometry/stitch.js';
import type { FrameLayout } from '../sensors/geometry/layout.js';
import { checkValues, stackOutput, type FrameContext, type TaskOutput } from './outputs.js';
import { resizeSamples, sampleRow } from './resample-back.js';

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
  const mosaic =
    layout.fit === 'tile' ? stitchDense(layout, out.data, 1, oh, ow, mode) : resampleToSource(layout, out.data, oh, ow);
  const valid = mosaic.covered;
  const mask = frame.noDataMask;
  const data = mosaic.data;
  const lo = range[0];
  const hi = range[1];
  let validPixels = 0;
  for (let i = 0; i < data.length; i++) {
    if (mask !== undefined && mask[i] !== 0) valid[i] = 0;
    validPixels += valid[i]!;
    // Values the documented range allows but float rounding pushed just outside are clamped.
    data[i] = Math.min(hi, Math.max(lo, data[i]!));
  }
  return { width: mosaic.width, height: mosaic.height, data, valid, validPixels };
}

/**
 * Resize layouts: the single output sampled (bilinear) at every source pixel of the covered core;
 * pixels outside it (cut off by a centre crop) are 0 and not covered. Same values as the per-pixel
 * `stitchDense`, row by row.
 */
function resampleToSource(
  layout: FrameLayout,
  data: Float32Array,
  oh: number,
  ow: number,
): { width: number; height: number; data: Float32Array; covered: Uint8Array } {
  const { width, height } = layout.source;
  const out = new Float32Array(width * height);
  const covered = new Uint8Array(width * height);
  const { x0, y0, x1, y1, xs, ys } = resizeSamples(layout, ow, oh);
  if (x1 > x0) {
    const row = new Float64Array(x1 - x0);
    for (let y = y0; y < y1; y++) {
      sampleRow(data, 0, ow, xs, ys, y - y0, row);
      out.set(row, y * width + x0);
      covered.fill(1, y * width + x0, y * width + x1);
    }
  }
  return { width, height, data: out, covered };
}
