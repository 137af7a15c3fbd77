/**
 * What trackers take and give: detections in, tracks with stable ids out, plus the births and
 * deaths of a frame. Shared by {@link ByteTracker} and the IoU-greedy anchor tracker.
 */
import type { Box } from '../tasks/nms.js';

/**
 * A detection a tracker takes: a box (for an oriented box or polygon, its enclosing box), a score and
 * a class. `map.bbox` (georeferenced frames) puts map positions into the track's history.
 */
export interface TrackInput {
  box: Box;
  score: number;
  classId: number;
  map?: { bbox: [number, number, number, number] };
}

/** One position of a track. */
export interface TrackPoint {
  /** The tracker's frame index (0 for the first frame it saw). */
  frame: number;
  box: Box;
  /** Centre of the matched detection's box in map units, when the frame was georeferenced. */
  map?: [number, number];
}

/** A confirmed track as reported for a frame. */
export interface TrackReport {
  /** Stable id: 1, 2, ... in order of confirmation; never reused by one tracker. */
  id: number;
  classId: number;
  /** Score of the detection matched in this frame. */
  score: number;
  /** The box of the detection matched in this frame. */
  box: Box;
  /** The Kalman filter's estimate of the box in this frame (smoother; lags a sudden change). */
  filtered?: Box;
  /** Velocity of the box centre, pixels per frame. */
  velocity: [number, number];
  /** Frames matched since the track started. */
  hits: number;
  /** Frame index where the track started. */
  firstFrame: number;
  /** Most recent positions, oldest first (at most `historyLength`). */
  history: TrackPoint[];
}

/** What one frame did to the tracks. */
export interface TrackerStep {
  /** The tracker's index of this frame. */
  frame: number;
  /** Per input detection, in input order: the id of the confirmed track it belongs to, or undefined. */
  ids: (number | undefined)[];
  /** Confirmed tracks matched in this frame, by id. */
  tracks: TrackReport[];
  /** Ids confirmed in this frame. */
  born: number[];
  /** Ids dropped in this frame (lost for longer than `maxLostFrames`). */
  died: number[];
  /** Confirmed tracks not matched in this frame but kept for re-identification. */
  lost: number[];
}

/** A multi-object tracker: one call per frame, in frame order. */
export interface Tracker {
  update(detections: readonly TrackInput[]): TrackerStep;
}

/** Centre of a map bbox. */
export function mapCentre(d: TrackInput): [number, number] | undefined {
  const b = d.map?.bbox;
  return b ? [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2] : undefined;
}
