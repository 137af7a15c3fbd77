/**
 * Sensor frames → model tensors: decoding, sensor configuration, radiometry per modality, fitting to
 * the model input (resize, centre crop, tiles), stitching outputs back, worker-thread pool, georeference
 * and generated scenes. Re-exports only.
 */
export { type Frame, type FramePixels, type RasterPixels, type FrameRef, frameError } from './frame.js';
export {
  decodeFrame,
  sniffFormat,
  type DecodedImage,
  type DecodeOptions,
  type EncodedFormat,
} from './codecs/decode.js';
export { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './codecs/limits.js';
export {
  RASTER_DTYPES,
  rasterToPixels,
  isComplexDType,
  bandCount,
  type Raster,
  type RasterDType,
  type PlaneArray,
} from './raster.js';
export {
  WGS84_A,
  WGS84_ES,
  crsLabel,
  deriveGeoref,
  footprintLonLat,
  mapToPixel,
  pixelAreaM2,
  pixelToLonLat,
  pixelToMap,
  type GeoReference,
  type GeoTransform,
  type LonLatPolygon,
} from './geometry/georef.js';
export {
  describeProj,
  epsgIndexRegistry,
  lonLatConverter,
  resolveCrs,
  type EpsgEntry,
  type EpsgRegistry,
  type ProjCrs,
} from './geometry/crs.js';
export { encodeGeoTiff, type EncodeGeoTiffOptions } from './codecs/geotiff-encode.js';
export { SENSOR_PRESETS, multispectralPresets } from './bands/presets.js';
export { CANONICAL_BANDS, canonicalBand, selectByMeaning, type CanonicalBand } from './bands/band-names.js';
export { findSensorMetadata, readSensorMetadata, type SensorMetadata } from './bands/sensor-metadata.js';
export { DEFAULT_NO_DATA_LIMIT, MODALITY_BANDS, type SarL2Quantity, type SensorConfig } from './bands/sensor-config.js';
export { landsatScaling, parseLandsatMtl, withLandsatScaling, type LandsatScaling } from './radiometry/landsat-mtl.js';
export {
  IMAGENET_MEAN_255,
  IMAGENET_STD_255,
  MULTISPECTRAL_MEAN_255,
  MULTISPECTRAL_STD_255,
} from './radiometry/radiometry.js';
export { checkNormalisation, type ChannelNormalisation } from './radiometry/normalisation.js';
export { STRETCH_PERCENTILES, type BandStretch, type StretchInfo, type StretchMethod } from './radiometry/stretch.js';
export { totalPower, type SarL1ChannelScaling, type SarL1Info, type SarL1Power } from './radiometry/sar-l1.js';
export { percentilesInPlace } from './radiometry/percentile.js';
export type { Interpolation } from './geometry/resample.js';
export { planTiles, type TilePlacement } from './geometry/tiling.js';
export type { FitMode, PreprocessOptions } from './preprocess/preprocess-options.js';
export {
  inputGeoref,
  inputToSource,
  type FrameLayout,
  type NoDataInfo,
  type PreprocessedFrame,
  type RegionProvenance,
  type TensorBatch,
} from './geometry/layout.js';
export { preprocessFrame } from './preprocess/preprocess.js';
export { checkAlignedPair, preprocessPair } from './preprocess/pair.js';
export { stitchDense, type Mosaic, type StitchMode } from './geometry/stitch.js';
export {
  createPreprocessPool,
  type PreprocessJobOptions,
  type PreprocessPool,
  type PreprocessPoolOptions,
} from './preprocess/pool.js';
export { createRng, type Rng } from './synthetic/rng.js';
export {
  generateQuadPolScene,
  QUADPOL_CLASSES,
  type GeneratedShip,
  type QuadPolScene,
  type QuadPolSceneOptions,
} from './synthetic/sar-quadpol.js';
export {
  generateObjectScene,
  OBJECT_SCENE_LABELS,
  type GeneratedObject,
  type ObjectScene,
  type ObjectSceneOptions,
} from './synthetic/object-scene.js';
