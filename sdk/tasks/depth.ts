/**
 * Depth / elevation: `depth` [N, 1, H, W] (non-negative metres) → a source-resolution map and its
 * statistics over valid pixels (no-data and uncovered pixels excluded): min, max, mean, standard
 * deviation and percentiles (linear interpolation between closest ranks).
 */
import { EdgeError } from '../core/errors.js';
import type { StitchMode } from '../sensors/geometry/stitch.js';
import { denseToSource } from './dense-map.js';
import { percentiles as orderPercentiles } from './order-statistics.js';
import type { FrameContext, TaskOutput } from './outputs.js';

/** Depth statistics in metres. */
export interface DepthStats {
  validPixels: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Percentile → value, keyed `p<percentile>` (e.g. `p50`). */
  percentiles: Record<string, number>;
}

/** Depth of one frame. Plain JSON except `depth` (only with `includeRasters`). */
export interface DepthResult {
  task: 'depth';
  frameId: string;
  width: number;
  height: number;
  unit: 'm';
  stats: DepthStats;
  /** Depth in metres at source resolution, NaN where invalid (only with `includeRasters`). */
  depth?: Float32Array;
}

/** Options of {@link depthResult}. */
export interface DepthOptions {
  /** Percentiles to report (default [5, 25, 50, 75, 95]). */
  percentiles?: number[];
  /** Tiled frames: how overlaps combine (default `blend`). */
  stitch?: StitchMode;
  includeRasters?: boolean;
}

/**
 * Depth map statistics of a frame.
 * @throws EdgeError E_MODEL_OUTPUT for negative or non-finite depths; E_INVALID_ARGUMENT for bad options;
 *   E_FRAME_INVALID when no pixel is valid
 * @example
 * const depth = depthResult(outputs.depth, pre, { percentiles: [10, 50, 90] });
 */
export function depthResult(depth: TaskOutput, frame: FrameContext, options: DepthOptions = {}): DepthResult {
  const ps = options.percentiles ?? [5, 25, 50, 75, 95];
  if (!Array.isArray(ps) || !ps.every((p) => typeof p === 'number' && p >= 0 && p <= 100)) {
    throw new EdgeError('E_INVALID_ARGUMENT', 'Expected percentiles between 0 and 100 for options.percentiles', {
      field: 'options.percentiles',
    });
  }
  const map = denseToSource('depth', depth, frame, [0, Infinity], options.stitch);
  if (map.validPixels === 0)
    throw new EdgeError(
      'E_FRAME_INVALID',
      `frame ${JSON.stringify(frame.layout.frameId)}: no valid pixel to compute depth statistics from`,
    );
  // Statistics over the valid pixels in index order, read in place (most frames: every pixel).
  const { data, valid } = map;
  const mask = map.validPixels === data.length ? undefined : valid;
  const k = map.validPixels;
  const { sum, min, max } = sumMinMax(data, mask);
  const mean = sum / k;
  const sq = sumOfSquares(data, mask, mean);
  const pv = orderPercentiles(data, ps, mask);
  const percentiles: Record<string, number> = {};
  ps.forEach((p, i) => (percentiles[`p${p}`] = pv[i]!));
  let raster: Float32Array | undefined;
  if (options.includeRasters) {
    raster = map.data;
    for (let i = 0; i < raster.length; i++) if (!map.valid[i]) raster[i] = NaN;
  }
  return {
    task: 'depth',
    frameId: frame.layout.frameId,
    width: map.width,
    height: map.height,
    unit: 'm',
    stats: { validPixels: k, min, max, mean, std: Math.sqrt(sq / k), percentiles },
    ...(raster ? { depth: raster } : {}),
  };
}

// The loops over the map live in functions of their own: V8 then optimises depthResult with
// feedback from whole calls, instead of compiling it mid-loop and leaving it again at the first
// line after the loop on every frame.

/** Sum, smallest and largest of the values of `data` whose `mask` entry is not 0 (every value without one), in index order. */
function sumMinMax(data: Float32Array, mask: Uint8Array | undefined): { sum: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (mask !== undefined && mask[i] === 0) continue;
    const v = data[i]!;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { sum, min, max };
}

/** Σ (v − mean)² over the same values, in index order. */
function sumOfSquares(data: Float32Array, mask: Uint8Array | undefined, mean: number): number {
  let sq = 0;
  for (let i = 0; i < data.length; i++) if (mask === undefined || mask[i] !== 0) sq += (data[i]! - mean) ** 2;
  return sq;
}
