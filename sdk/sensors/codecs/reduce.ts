/**
 * Decoding at the model's resolution. When preprocessing resamples the whole frame to one model input
 * (fit `resize` or `resize-crop`), the full-resolution raster is never needed: a decoder may return
 * a smaller raster of the whole frame, as long as it is at least the size the frame is resampled to.
 * sharp resizes inside libvips while it decodes (JPEG and WebP shrink on load), a TIFF is read from
 * an overview (a reduced-resolution directory) or averaged block by block while its tiles or strips
 * are read. The decoded raster then records the source size and how source pixels map onto it.
 */
import type { Interpolation } from '../geometry/resample.js';

/** What a consumer of the decoded raster asks of a decoder that may reduce. */
export interface ReduceRequest {
  /**
   * The size the whole frame will be resampled to, given the frame's (oriented) source size. A
   * reduced raster is never smaller than this.
   */
  target(sourceWidth: number, sourceHeight: number): { width: number; height: number };
  /** The target when it does not depend on the source size (fit `resize`): a decoder may start before it has read the header. */
  size?: { width: number; height: number };
  /**
   * Reduce whenever the format allows, even when the full-resolution frame fits the limits: true
   * only where the radiometry takes no statistics over the frame (optical), so decoding smaller
   * changes nothing but the resampling. Otherwise the decoder reduces only a frame that would be
   * refused at full resolution.
   */
  always: boolean;
  /** The consumer's resampling kernel; sharp resizes with the same one. */
  interpolation: Interpolation;
  /** No-data value (source units) the consumer applies; averaging blocks leaves it out. */
  noData?: number;
}

/** How a reduced raster was made. */
export type ReductionMethod = 'decoder-resize' | 'overview' | 'block-average';

/** A decoded raster smaller than its source: the source size and the mapping between the two. */
export interface Reduction {
  /** Source (declared, oriented) size in pixels. */
  sourceWidth: number;
  sourceHeight: number;
  /** Source pixels per decoded pixel along x and y: decoded pixel x covers source [x·scaleX, (x+1)·scaleX). */
  scaleX: number;
  scaleY: number;
  method: ReductionMethod;
  /** The overview's directory index, for `overview`. */
  overview?: number;
}

/** sharp's kernel for a preprocessing interpolation. */
export function sharpKernel(interpolation: Interpolation): 'nearest' | 'linear' | 'cubic' {
  return interpolation === 'nearest' ? 'nearest' : interpolation === 'bicubic' ? 'cubic' : 'linear';
}

/** A one-line note for the frame's warnings. */
export function describeReduction(r: Reduction, width: number, height: number): string {
  const how =
    r.method === 'overview'
      ? `from TIFF overview ${r.overview}`
      : r.method === 'block-average'
        ? `by averaging ${r.scaleX}×${r.scaleY} blocks while reading`
        : 'resized inside the decoder';
  return `decoded at ${width}×${height} from ${r.sourceWidth}×${r.sourceHeight} (${how})`;
}
