/**
 * Frame → model tensors: decode, apply the sensor configuration, normalise per modality, fit to the
 * model input (resize, resize + centre crop, or tiles) and batch. Runs on the calling thread; use
 * `createPreprocessPool` to run it on worker threads.
 */
import { decodeFrame } from '../codecs/decode.js';
import { describeReduction, type Reduction, type ReduceRequest } from '../codecs/reduce.js';
import { checkFrameFields, frameError, type Frame } from '../frame.js';
import { resolveCrs } from '../geometry/crs.js';
import { checkGeoReference } from '../geometry/georef.js';
import type { FrameLayout, PreprocessedFrame, RegionProvenance, TensorBatch } from '../geometry/layout.js';
import {
  resolvePreprocessOptions,
  type PreprocessOptions,
  type ResolvedPreprocessOptions,
} from './preprocess-options.js';
import {
  applyAffine,
  applyAffineToCopy,
  channelsFor,
  normaliseRegion,
  opticalAtInputSize,
  regionBeforeAffine,
} from '../radiometry/radiometry.js';
import { resampleMask, resamplePlanes, type AxisMap } from '../geometry/resample.js';
import { needsBandEvidence } from '../bands/band-meaning.js';
import { integerSensorBands, type IntegerSensorBands } from '../bands/integer-bands.js';
import { applySensorConfig, type SensorBands } from '../bands/sensor-bands.js';
import { DEFAULT_NO_DATA_LIMIT, resolveSensorConfig, type SensorConfig } from '../bands/sensor-config.js';
import { findSensorMetadata } from '../bands/sensor-metadata.js';
import { cutTile, planTiles, type TilePlacement } from '../geometry/tiling.js';

/**
 * Preprocesses one frame for a model with a fixed input size.
 * @param frame the sensor frame (pixels as encoded bytes, a file path, or raw samples)
 * @param options input size, fit mode and radiometry choices (see {@link PreprocessOptions})
 * @returns tensors in batches plus the layout that maps outputs back to the frame
 * @throws EdgeError E_INVALID_ARGUMENT for bad options; E_FRAME_DECODE / E_FRAME_INVALID for frames
 *   that cannot be decoded or do not fit the modality
 * @example
 * const pre = await preprocessFrame(
 *   { id: 'olinda', modality: 'multispectral', timestamp: Date.now(), pixels: 'L7_ETMs.tif', sensor: 'landsat7-etm' },
 *   { inputSize: 192, fit: 'tile' },
 * );
 * for (const batch of pre.batches) await session.run({ image: { dtype: 'float32', shape: batch.shape, data: batch.data } });
 */
export async function preprocessFrame(frame: Frame, options: PreprocessOptions): Promise<PreprocessedFrame> {
  const opts = resolvePreprocessOptions(options);
  // Frame fields and sensor configuration first: a wrong modality or preset fails before decoding.
  const config = resolveSensorConfig(frame?.sensor, frame?.modality, checkFrameFields(frame));
  const reduce = reduceFor(frame, config, opts);
  const decoded = await decodeFrame(frame, { limits: opts.limits, ...(reduce ? { reduce } : {}) });
  const ref = decoded.ref;
  // Product metadata beside the file is read only when nothing else says which band is which.
  const metadata =
    needsBandEvidence(config) && typeof frame.pixels === 'string' ? await findSensorMetadata(frame.pixels) : undefined;
  // Integer samples the sensor does not scale are stretched by counting (radiometry/stretch-integer.ts),
  // from the decoder's planes as they are: the same values without a float copy of every band.
  const bands = integerSensorBands(decoded, config, ref, metadata) ?? applySensorConfig(decoded, config, ref, metadata);
  const warnings = [...decoded.warnings, ...bands.warnings];
  // A caller's georeference is checked, then completed from its EPSG code or PROJ definition.
  const georef =
    frame.georef !== undefined
      ? await resolveCrs(
          checkGeoReference(frame.georef, (why) => frameError('E_FRAME_INVALID', ref, why, { field: 'frame.georef' })),
          (m) => warnings.push(m),
        )
      : decoded.georef;
  const limit = opts.noDataLimit ?? config.noDataLimit ?? DEFAULT_NO_DATA_LIMIT;
  // Geometry refers to the source; a frame decoded smaller keeps its source size here.
  const srcW = decoded.reduced?.sourceWidth ?? bands.width;
  const srcH = decoded.reduced?.sourceHeight ?? bands.height;
  const fraction = bands.noDataCount / (bands.width * bands.height);
  const channels = channelsFor(frame.modality, opts);
  if (fraction >= 1) throw frameError('E_FRAME_INVALID', ref, 'every pixel is no data');

  const layout: FrameLayout = {
    frameId: frame.id,
    modality: frame.modality,
    timestamp: frame.timestamp,
    sensorId: bands.sensorId,
    bandNames: bands.bandNames,
    fit: opts.fit,
    source: { width: srcW, height: srcH },
    ...(decoded.reduced
      ? { decoded: { width: bands.width, height: bands.height, method: decoded.reduced.method } }
      : {}),
    input: { width: opts.width, height: opts.height, channels },
    scaleX: 1,
    scaleY: 1,
    offsetX: 0,
    offsetY: 0,
    overlap: opts.fit === 'tile' ? opts.overlap : 0,
    tiles: [],
    ...(georef ? { georef } : {}),
    noData: {
      ...(bands.noDataValue !== undefined && !Number.isNaN(bands.noDataValue) ? { value: bands.noDataValue } : {}),
      fraction,
      limit,
      flagged: fraction > 0 && fraction >= limit,
      flaggedTiles: [],
    },
    radiometry: { statistics: opts.fit === 'tile' ? opts.statistics : 'frame', regions: [] },
  };
  const items =
    opts.fit === 'tile'
      ? tileInputs(bands, frame, opts, layout)
      : resizedInput(bands, frame, opts, layout, decoded.reduced);
  // Routine for optical frames; worth a note where statistics were taken at the reduced size.
  if (decoded.reduced && !reduce?.always) warnings.push(describeReduction(decoded.reduced, bands.width, bands.height));
  if (layout.noData.flagged)
    warnings.push(`${(fraction * 100).toFixed(1)} % of the frame is no data (limit ${(limit * 100).toFixed(1)} %)`);
  const mask =
    bands.noDataMask && decoded.reduced ? maskAtSource(bands.noDataMask, decoded.reduced, bands) : bands.noDataMask;
  return {
    layout,
    batches: batch(items, channels, opts),
    ...(mask ? { noDataMask: mask } : {}),
    warnings,
  };
}

/**
 * Resize fits resample the whole frame to one size, so the decoder may decode at that size (see
 * codecs/reduce.ts): always for optical frames (their radiometry takes no statistics, so only the
 * resampling changes; not with nearest, whose pick the decoder would not reproduce, nor with a
 * no-data value, whose pixels a resize would blend), otherwise only for frames that would be over
 * the limits at full resolution.
 */
function reduceFor(frame: Frame, config: SensorConfig, opts: ResolvedPreprocessOptions): ReduceRequest | undefined {
  if (opts.fit === 'tile') return undefined;
  return {
    target: (w, h) =>
      opts.fit === 'resize-crop' ? resizeCropSize(w, h, opts) : { width: opts.width, height: opts.height },
    ...(opts.fit === 'resize' ? { size: { width: opts.width, height: opts.height } } : {}),
    always: frame.modality === 'optical' && opts.interpolation !== 'nearest' && config.noData === undefined,
    interpolation: opts.interpolation,
    ...(config.noData !== undefined ? { noData: config.noData } : {}),
  };
}

/** resize-crop: the size the frame is resized to before the centred crop (aspect kept). */
function resizeCropSize(
  srcW: number,
  srcH: number,
  opts: ResolvedPreprocessOptions,
): { width: number; height: number } {
  const s = Math.max(opts.width / (opts.cropRatio * srcW), opts.height / (opts.cropRatio * srcH));
  return { width: Math.max(opts.width, Math.round(srcW * s)), height: Math.max(opts.height, Math.round(srcH * s)) };
}

/** A no-data mask of a reduced decode, brought to source resolution (nearest), as tasks index it. */
function maskAtSource(mask: Uint8Array, r: Reduction, bands: { width: number; height: number }): Uint8Array {
  return resampleMask(
    mask,
    { srcLen: bands.width, dstLen: r.sourceWidth, offset: 0, scale: 1 / r.scaleX },
    { srcLen: bands.height, dstLen: r.sourceHeight, offset: 0, scale: 1 / r.scaleY },
  );
}

/** The whole frame as one model input (resize or resize-crop). */
function resizedInput(
  bands: SensorBands | IntegerSensorBands,
  frame: Frame,
  opts: ResolvedPreprocessOptions,
  layout: FrameLayout,
  reduced: Reduction | undefined,
): Float32Array[] {
  // The layout maps model input to source pixels; the decoded raster is 1/fx of the source.
  const srcW = layout.source.width;
  const srcH = layout.source.height;
  const fx = reduced?.scaleX ?? 1;
  const fy = reduced?.scaleY ?? 1;
  let scaleX = srcW / opts.width;
  let scaleY = srcH / opts.height;
  let offsetX = 0;
  let offsetY = 0;
  if (opts.fit === 'resize-crop') {
    // Resize so the input is a centred cropRatio crop of the resized frame, aspect kept.
    const { width: rw, height: rh } = resizeCropSize(srcW, srcH, opts);
    scaleX = srcW / rw;
    scaleY = srcH / rh;
    offsetX = Math.round((rw - opts.width) / 2) * scaleX;
    offsetY = Math.round((rh - opts.height) / 2) * scaleY;
  }
  Object.assign(layout, { scaleX, scaleY, offsetX, offsetY });
  // The core of the single input is the source area it covers (all of it, or the centre crop).
  const x1 = Math.min(srcW, Math.round(offsetX + opts.width * scaleX));
  const y1 = Math.min(srcH, Math.round(offsetY + opts.height * scaleY));
  layout.tiles.push({
    index: 0,
    x: 0,
    y: 0,
    width: srcW,
    height: srcH,
    core: [Math.round(offsetX), Math.round(offsetY), x1, y1],
  });
  const mapX = { srcLen: bands.width, dstLen: opts.width, offset: snap(offsetX / fx), scale: scaleX / fx };
  const mapY = { srcLen: bands.height, dstLen: opts.height, offset: snap(offsetY / fy), scale: scaleY / fy };
  // A frame at the input size: resampling would copy the planes as they are, so they are
  // normalised directly (the same values without the copy); optical bands are also clamped in
  // the same pass instead of into planes of their own.
  const atInputSize = wholePlane(mapX) && wholePlane(mapY);
  // (Optical bands are never the decoder's integer planes: those are multispectral or SAR-L2.)
  if (atInputSize && frame.modality === 'optical' && 'planes' in bands) {
    const direct = opticalAtInputSize(bands, opts);
    if (direct) {
      layout.radiometry.regions.push(provenance({}));
      return [direct];
    }
  }
  // Resampled in the 8-bit domain and normalised at the model's size: the two commute (see
  // regionBeforeAffine), and SAR-L2's one band is resampled once, not three times.
  const full = { x: 0, y: 0, width: bands.width, height: bands.height };
  const region = regionBeforeAffine(bands, frame.modality, full, opts);
  layout.radiometry.regions.push(provenance(region.info));
  if (atInputSize) {
    const direct = applyAffineToCopy(region.planes, region.channel, region.affine, opts.width * opts.height);
    if (direct) return [direct];
  }
  const resampled = region.planes.map((p) => resamplePlanes(p, 1, mapX, mapY, opts.interpolation));
  return [applyAffine(resampled, region.channel, region.affine, opts.width * opts.height)];
}

/** Native-resolution tiles. */
function tileInputs(
  bands: SensorBands | IntegerSensorBands,
  frame: Frame,
  opts: ResolvedPreprocessOptions,
  layout: FrameLayout,
): Float32Array[] {
  const srcW = bands.width;
  const srcH = bands.height;
  const tiles = planTiles(srcW, srcH, opts.width, opts.height, opts.overlap);
  layout.tiles = tiles;
  const per = layout.input.channels * opts.width * opts.height;
  const mask = bands.noDataMask;
  for (const t of tiles) {
    if (!mask) break;
    let missing = 0;
    for (let y = t.y; y < t.y + t.height; y++) for (let x = t.x; x < t.x + t.width; x++) missing += mask[y * srcW + x]!;
    if (missing > 0 && missing / (t.width * t.height) >= layout.noData.limit) layout.noData.flaggedTiles.push(t.index);
  }
  if (opts.statistics === 'frame') {
    const norm = normaliseRegion(bands, frame.modality, { x: 0, y: 0, width: srcW, height: srcH }, opts);
    layout.radiometry.regions.push(provenance(norm.info));
    return tiles.map((t) => {
      const out = new Float32Array(per);
      cutTile(norm.data, norm.channels, srcW, srcH, t, opts.width, opts.height, out, 0);
      return out;
    });
  }
  return tiles.map((t: TilePlacement) => {
    const norm = normaliseRegion(bands, frame.modality, { x: t.x, y: t.y, width: t.width, height: t.height }, opts);
    layout.radiometry.regions.push({ tile: t.index, ...provenance(norm.info) });
    const out = new Float32Array(per);
    const local: TilePlacement = { ...t, x: 0, y: 0 };
    cutTile(norm.data, norm.channels, t.width, t.height, local, opts.width, opts.height, out, 0);
    return out;
  });
}

/** An axis map that puts every output pixel on the source pixel of the same index (scale 1, all of it). */
function wholePlane(m: AxisMap): boolean {
  return m.scale === 1 && m.offset === 0 && m.dstLen === m.srcLen;
}

/** A whole-pixel offset that division left a rounding error away from whole (so a crop stays a copy). */
function snap(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - r) < 1e-9 ? r : v;
}

function provenance(info: {
  stretch?: RegionProvenance['stretch'];
  sarL1?: RegionProvenance['sarL1'];
}): RegionProvenance {
  return { ...(info.stretch ? { stretch: info.stretch } : {}), ...(info.sarL1 ? { sarL1: info.sarL1 } : {}) };
}

function batch(items: Float32Array[], channels: number, opts: ResolvedPreprocessOptions): TensorBatch[] {
  const per = channels * opts.width * opts.height;
  const out: TensorBatch[] = [];
  for (let start = 0; start < items.length; start += opts.batchSize) {
    const n = Math.min(opts.batchSize, items.length - start);
    const data = n === 1 ? items[start]! : new Float32Array(n * per);
    if (n > 1) for (let k = 0; k < n; k++) data.set(items[start + k]!, k * per);
    out.push({
      data,
      shape: [n, channels, opts.height, opts.width],
      tiles: Array.from({ length: n }, (_, k) => start + k),
    });
  }
  return out;
}
