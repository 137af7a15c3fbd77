/**
 * Change detection: `change_prob` [N, 1, H, W] in [0, 1] → a change mask at a threshold, the changed
 * pixel count and area, and an RLE mask for transport (0 unchanged, 1 changed, 255 no data).
 */
import { expectNumber } from '../core/validate.js';
import type { StitchMode } from '../sensors/geometry/stitch.js';
import { areaUnitOf, labelAreas, type AreaUnit } from './areas.js';
import { denseToSource } from './dense-map.js';
import { encodeMaskRle, type RleMask } from './mask-rle.js';
import type { FrameContext, TaskOutput } from './outputs.js';

/** Mask value of no-data pixels in change masks. */
export const CHANGE_NO_DATA = 255;

/** Change detection of one frame pair. Plain JSON except the documented typed arrays. */
export interface ChangeResult extends AreaUnit {
  task: 'change';
  frameId: string;
  width: number;
  height: number;
  threshold: number;
  validPixels: number;
  changedPixels: number;
  /** changedPixels / validPixels. */
  changedFraction: number;
  /** Changed ground area (m², or pixels when `areaUnit` is `pixel`). */
  changedArea: number;
  /** 0 unchanged, 1 changed, {@link CHANGE_NO_DATA} no data; RLE-encoded. */
  mask: RleMask;
  /** Change probability at source resolution (only with `includeRasters`). */
  probability?: Float32Array;
  /** The change mask as an array (only with `includeRasters`). */
  changeMask?: Uint8Array;
}

/** Options of {@link changeResult}. */
export interface ChangeOptions {
  /** Probability at or above which a pixel counts as changed (default 0.5). */
  threshold?: number;
  /** Tiled frames: how overlaps combine (default `blend`). */
  stitch?: StitchMode;
  includeRasters?: boolean;
}

/**
 * Thresholds a change probability map.
 * @param frame the t0 (or t1) frame's context; both share one layout
 * @throws EdgeError E_MODEL_OUTPUT for outputs outside the contract; E_INVALID_ARGUMENT for bad options
 * @example
 * const change = changeResult(outputs.change_prob, t0, { threshold: 0.6 });
 */
export function changeResult(probability: TaskOutput, frame: FrameContext, options: ChangeOptions = {}): ChangeResult {
  const threshold = expectNumber('options.threshold', options.threshold ?? 0.5, 0, 1);
  const map = denseToSource('change_prob', probability, frame, [0, 1], options.stitch);
  const mask = new Uint8Array(map.data.length);
  // Compared at float32 precision, the precision of the probabilities (0.9 means the float32 0.9).
  const thr = Math.fround(threshold);
  for (let i = 0; i < mask.length; i++) mask[i] = !map.valid[i] ? CHANGE_NO_DATA : map.data[i]! >= thr ? 1 : 0;
  const georef = frame.layout.georef;
  const { counts, areas } = labelAreas(mask, map.width, map.height, 2, georef);
  const changed = counts[1]!;
  return {
    task: 'change',
    frameId: frame.layout.frameId,
    width: map.width,
    height: map.height,
    ...areaUnitOf(georef, map.width, map.height),
    threshold,
    validPixels: map.validPixels,
    changedPixels: changed,
    changedFraction: map.validPixels ? changed / map.validPixels : 0,
    changedArea: areas[1]!,
    mask: encodeMaskRle(mask, map.width, map.height),
    ...(options.includeRasters ? { probability: map.data, changeMask: mask } : {}),
  };
}
