/**
 * Model outputs → typed task results (classification, segmentation, detection, change, depth), plain
 * JSON for MQTT, plus the RLE mask encoding. Re-exports only.
 */
export type { FrameContext, TaskOutput } from './outputs.js';
export {
  classificationResult,
  softmax,
  type ClassificationOptions,
  type ClassificationResult,
  type ClassScore,
} from './classification.js';
export {
  NO_DATA_CLASS_U16,
  NO_DATA_CLASS_U8,
  segmentationResult,
  type SegmentationOptions,
  type SegmentationResult,
  type SegmentClass,
} from './segmentation.js';
export {
  detectionResult,
  type Detection,
  type DetectionOptions,
  type DetectionOutputs,
  type DetectionResult,
} from './detection.js';
export { boxArea, iou, nonMaxSuppression, type Box, type Candidate, type NmsOptions } from './nms.js';
export {
  boxCorners,
  enclosingBoxAt,
  fromQuad,
  fromRotatedRect,
  minAreaRect,
  normalizeBox,
  toQuad,
  toRotatedRect,
  type AngleConvention,
  type OrientedBox,
  type RotatedRect,
} from '../core/geometry/oriented-box.js';
export {
  clipConvex,
  convexHull,
  intersectionArea,
  polygonArea,
  polygonIou,
  type Point,
} from '../core/geometry/polygon.js';
export { rotatedNonMaxSuppression, type OrientedCandidate } from './rotated-nms.js';
export { CHANGE_NO_DATA, changeResult, type ChangeOptions, type ChangeResult } from './change.js';
export { depthResult, type DepthOptions, type DepthResult, type DepthStats } from './depth.js';
export { decodeMaskRle, encodeMaskRle, type RleMask } from './mask-rle.js';
export type { AreaUnit } from './areas.js';
