/**
 * Multi-object tracking: ByteTrack on a Kalman filter and Hungarian assignment, the IoU-greedy
 * anchor, the runtime's result tracking and the MOT scores. Re-exports only.
 */
export { ByteTracker } from './byte-tracker.js';
export { IouTracker, type IouTrackerOptions } from './iou-tracker.js';
export { ResultTracking, type TrackingResult } from './result-tracking.js';
export { motScores, type MotFrame, type MotScores } from './mot-metrics.js';
export {
  TRACKING_DEFAULTS,
  resolveTrackingOptions,
  type ResolvedTrackingOptions,
  type TrackingOptions,
} from './tracking-options.js';
export type { TrackInput, TrackPoint, TrackReport, TrackerStep, Tracker } from './track.js';
