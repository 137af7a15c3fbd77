/**
 * Semantic segmentation: `seg_logits` [N, K, H, W] → a class map at the frame's full source
 * resolution (argmax over K; ties go to the lower class id), per-class pixel counts and areas, and an
 * RLE mask for transport.
 *
 * Tiled frames: `center` (default) takes every pixel from the tile whose core holds it — no K-plane
 * mosaic is built, so memory stays at one byte per pixel; `blend` averages the logits over overlaps
 * first (K float32 planes at source resolution). Resized frames: logits are interpolated bilinearly at
 * each source pixel before the argmax; pixels a centre crop cut off are no data.
 */
import type { FrameLayout } from '../sensors/geometry/layout.js';
import { stitchDense, type StitchMode } from '../sensors/geometry/stitch.js';
import { expectOneOf } from '../core/validate.js';
import { areaUnitOf, labelAreas, type AreaUnit } from './areas.js';
import { encodeMaskRle, type RleMask } from './mask-rle.js';
import { checkLabels, checkValues, labelOf, stackOutput, type FrameContext, type TaskOutput } from './outputs.js';
import { argmaxRow, argmaxUpsampled } from './class-argmax.js';
import { axisSamples, resizeSamples } from './resample-back.js';

/** Class-map value of no-data pixels (Uint8Array maps; Uint16Array maps use 65535). */
export const NO_DATA_CLASS_U8 = 255;
/** Class-map value of no-data pixels in Uint16Array maps (more than 255 classes). */
export const NO_DATA_CLASS_U16 = 65535;

/** One class of a segmentation. */
export interface SegmentClass {
  classId: number;
  label: string;
  pixels: number;
  /** Share of the valid (not no-data) pixels. */
  fraction: number;
  /** Ground area in m² (or pixels when `areaUnit` is `pixel`). */
  area: number;
}

/** Segmentation of one frame. Plain JSON except `classMap` (only with `includeRasters`). */
export interface SegmentationResult extends AreaUnit {
  task: 'segmentation';
  frameId: string;
  width: number;
  height: number;
  classes: SegmentClass[];
  noDataPixels: number;
  /** Class map, RLE-encoded; no-data pixels hold {@link NO_DATA_CLASS_U8} (or 65535 with > 255 classes). */
  mask: RleMask;
  /** Row-major class map at source resolution (only with `includeRasters`). */
  classMap?: Uint8Array | Uint16Array;
}

/** Options of {@link segmentationResult}. */
export interface SegmentationOptions {
  /** Class names (`manifest.labels.segmentation`). */
  labels?: readonly string[];
  /** Tiled frames: how overlaps combine (default `center`). */
  stitch?: StitchMode;
  /** Include the raw class map typed array (default false). */
  includeRasters?: boolean;
}

/**
 * Builds the class map and statistics of a frame.
 * @throws EdgeError E_MODEL_OUTPUT for outputs that break the contract
 * @example
 * const seg = segmentationResult(outputs.seg_logits, pre, { labels: manifest.labels?.segmentation });
 */
export function segmentationResult(
  logits: TaskOutput,
  frame: FrameContext,
  options: SegmentationOptions = {},
): SegmentationResult {
  const { layout } = frame;
  const out = stackOutput('seg_logits', logits, 4, [undefined, undefined, undefined], layout.tiles.length);
  const [, k, oh, ow] = out.shape as [number, number, number, number];
  checkValues('seg_logits', out.data);
  checkLabels('seg_logits', options.labels, k);
  const mode = expectOneOf('options.stitch', options.stitch ?? 'center', ['center', 'blend'] as const);
  const { width, height } = layout.source;
  const wide = k > 255;
  const NODATA = wide ? NO_DATA_CLASS_U16 : NO_DATA_CLASS_U8;
  const map = wide ? new Uint16Array(width * height).fill(NODATA) : new Uint8Array(width * height).fill(NODATA);
  fillClassMap(map, layout, out.data, k, oh, ow, mode);
  if (frame.noDataMask) for (let i = 0; i < map.length; i++) if (frame.noDataMask[i]) map[i] = NODATA;
  const { counts, areas } = labelAreas(map, width, height, k, layout.georef);
  const valid = counts.reduce((a, b) => a + b, 0);
  return {
    task: 'segmentation',
    frameId: layout.frameId,
    width,
    height,
    ...areaUnitOf(layout.georef, width, height),
    classes: counts.map((pixels, classId) => ({
      classId,
      label: labelOf(options.labels, classId),
      pixels,
      fraction: valid ? pixels / valid : 0,
      area: areas[classId]!,
    })),
    noDataPixels: width * height - valid,
    mask: encodeMaskRle(map, width, height),
    ...(options.includeRasters ? { classMap: map } : {}),
  };
}

/** Writes the argmax class of every covered source pixel into `map` (others keep their value). */
function fillClassMap(
  map: Uint8Array | Uint16Array,
  layout: FrameLayout,
  data: Float32Array,
  k: number,
  oh: number,
  ow: number,
  mode: StitchMode,
): void {
  const { width, height } = layout.source;
  const plane = oh * ow;
  if (layout.fit === 'tile' && mode === 'blend') {
    const mosaic = stitchDense(layout, data, k, oh, ow, 'blend').data;
    for (let y = 0; y < height; y++) argmaxRow(mosaic, y * width, width * height, k, width, map, y * width);
    return;
  }
  if (layout.fit === 'tile') {
    const same = oh === layout.input.height && ow === layout.input.width;
    for (const t of layout.tiles) {
      const base = t.index * k * plane;
      const [x0, y0, x1, y1] = t.core;
      if (x1 <= x0 || y1 <= y0) continue;
      if (same) {
        for (let y = y0; y < y1; y++)
          argmaxRow(data, base + (y - t.y) * ow + (x0 - t.x), plane, k, x1 - x0, map, y * width + x0);
        continue;
      }
      const xs = axisSamples(x1 - x0, (i) => ((x0 + i - t.x + 0.5) * ow) / layout.input.width - 0.5, ow);
      const ys = axisSamples(y1 - y0, (j) => ((y0 + j - t.y + 0.5) * oh) / layout.input.height - 0.5, oh);
      argmaxUpsampled({ data, base, classes: k, outW: ow, outH: oh }, xs, ys, map, y0 * width + x0, width);
    }
    return;
  }
  const { x0, y0, x1, y1, xs, ys } = resizeSamples(layout, ow, oh);
  if (x1 <= x0 || y1 <= y0) return;
  argmaxUpsampled({ data, base: 0, classes: k, outW: ow, outH: oh }, xs, ys, map, y0 * width + x0, width);
}
