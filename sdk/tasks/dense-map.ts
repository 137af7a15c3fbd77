/**
 * One-channel dense outputs (`change_prob`, `depth`) as source-resolution maps with a validity mask:
 * stitched (tiles) or resampled back (resize modes), checked against their documented range, and
 * marked invalid where the frame has no data or a centre crop left the pixel uncovered.
 */
import { expectOneOf } from '../core/validate.js';
import { stitchDense, type StitchMode } from '../sensors/stitch.js';
import { checkValues, stackOutput, type FrameContext, type TaskOutput } from './outputs.js';

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
export function denseToSource(name: string, output: TaskOutput, frame: FrameContext, range: [number, number], stitch: StitchMode | undefined): SourceMap {
  const { layout } = frame;
  const out = stackOutput(name, output, 4, [1, undefined, undefined], layout.tiles.length);
  const [, , oh, ow] = out.shape as [number, number, number, number];
  checkValues(name, out.data, range[0], range[1]);
  const mode = expectOneOf('options.stitch', stitch ?? 'blend', ['blend', 'center'] as const);
  const mosaic = stitchDense(layout, out.data, 1, oh, ow, mode);
  const valid = mosaic.covered;
  const mask = frame.noDataMask;
  let validPixels = 0;
  for (let i = 0; i < valid.length; i++) {
    if (mask && mask[i]) valid[i] = 0;
    validPixels += valid[i]!;
  }
  // Values the documented range allows but float rounding pushed just outside are clamped.
  const data = mosaic.data;
  for (let i = 0; i < data.length; i++) data[i] = Math.min(range[1], Math.max(range[0], data[i]!));
  return { width: mosaic.width, height: mosaic.height, data, valid, validPixels };
}
