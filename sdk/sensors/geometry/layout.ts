/**
 * The geometry and provenance of a preprocessed frame: how model-input pixels map back to source
 * pixels (and through the georeference to the map). Everything here is plain JSON, so the layout can
 * travel with results over MQTT; task post-processing (sdk/tasks) needs only this plus the optional
 * no-data mask.
 */
import type { ModalityId } from '../../core/modalities.js';
import { deriveGeoref, type GeoReference } from './georef.js';
import type { FitMode } from '../preprocess/preprocess-options.js';
import type { ReductionMethod } from '../codecs/reduce.js';
import type { SarL1Info } from '../radiometry/sar-l1.js';
import type { StretchInfo } from '../radiometry/stretch.js';
import type { TilePlacement } from './tiling.js';

/** No-data bookkeeping of a frame. */
export interface NoDataInfo {
  /** The no-data value applied (source units), if any. */
  value?: number;
  /** Fraction of source pixels that are no data. */
  fraction: number;
  /** Fraction at or above which the frame/tile is flagged. */
  limit: number;
  /** True when the frame's fraction reaches the limit. */
  flagged: boolean;
  /** Tile mode: indices of tiles whose own fraction reaches the limit. */
  flaggedTiles: number[];
}

/** Radiometric provenance of one model input (one tile, or the whole frame). */
export interface RegionProvenance {
  /** Tile index the statistics belong to; absent for frame-wide statistics. */
  tile?: number;
  stretch?: StretchInfo;
  sarL1?: SarL1Info;
}

/** Layout of a preprocessed frame. Plain JSON. */
export interface FrameLayout {
  frameId: string;
  modality: ModalityId;
  timestamp: number | string;
  sensorId: string;
  bandNames: string[];
  fit: FitMode;
  /** Source size in pixels: what the file declares (after EXIF orientation), and what every mapping below refers to. */
  source: { width: number; height: number };
  /**
   * Present when the frame was decoded below its source size (resize fits only; codecs/reduce.ts):
   * the decoded size and how it was made. Radiometric statistics were taken at this size.
   */
  decoded?: { width: number; height: number; method: ReductionMethod };
  /** Model input: spatial size and channels. */
  input: { width: number; height: number; channels: number };
  /**
   * Model-input pixel (u, v) of tile t lies at source pixel
   * (t.x + offsetX + u·scaleX, t.y + offsetY + v·scaleY) (corner coordinates).
   */
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
  /** Tile mode: the minimum overlap between neighbouring tiles; 0 for resize modes. */
  overlap: number;
  /** Tiles in the order their tensors appear in the batches (one for resize modes). */
  tiles: TilePlacement[];
  georef?: GeoReference;
  noData: NoDataInfo;
  radiometry: { statistics: 'tile' | 'frame'; regions: RegionProvenance[] };
}

/** A batch of model inputs: float32 NCHW. */
export interface TensorBatch {
  data: Float32Array;
  shape: [number, number, number, number];
  /** Indices (into `layout.tiles`) of the batch's items, in order. */
  tiles: number[];
}

/** A frame ready for the model. */
export interface PreprocessedFrame {
  layout: FrameLayout;
  batches: TensorBatch[];
  /** Source-resolution no-data mask (1 = no data); absent when no pixel is missing. */
  noDataMask?: Uint8Array;
  warnings: string[];
}

/**
 * Source-pixel coordinates of model-input pixel (u, v) of `tile`.
 * @example
 * const [x, y] = inputToSource(pre.layout, pre.layout.tiles[0]!, 0, 0);
 */
export function inputToSource(layout: FrameLayout, tile: TilePlacement, u: number, v: number): [number, number] {
  return [tile.x + layout.offsetX + u * layout.scaleX, tile.y + layout.offsetY + v * layout.scaleY];
}

/**
 * Georeference of the model-input grid of `tile` (undefined when the frame has none): pixel (u, v) of
 * a model output at input resolution maps to the map through it.
 * @example
 * const g = inputGeoref(pre.layout, pre.layout.tiles[3]!); pixelToMap(g!, u + 0.5, v + 0.5);
 */
export function inputGeoref(layout: FrameLayout, tile: TilePlacement): GeoReference | undefined {
  if (!layout.georef) return undefined;
  return deriveGeoref(layout.georef, tile.x + layout.offsetX, tile.y + layout.offsetY, layout.scaleX, layout.scaleY);
}
