/**
 * Tracker options: written form → resolved form, each value checked once where the tracker (or the
 * runtime's `tasks.tracking`) is set up.
 */
import { expectInteger, expectNumber, invalidOption, is, rejectUnknownKeys } from '../core/validate.js';

/** Options of {@link ByteTracker} (`tasks.tracking` of a runtime). Every field is optional. */
export interface TrackingOptions {
  /** Detections at or above this score take part in the first association (default 0.5). */
  highThreshold?: number;
  /** Detections between this and `highThreshold` take part in the second association only (default 0.1). */
  lowThreshold?: number;
  /** A high detection left unmatched starts a track only at or above this score (default 0.6). */
  newTrackThreshold?: number;
  /** Least IoU between a track's predicted box and a high detection to match them (default 0.2). */
  matchIou?: number;
  /** Least IoU to match a still-tracked track with a low detection (default 0.5). */
  lowMatchIou?: number;
  /** Least IoU to confirm a new track with a detection in the next frame (default 0.3). */
  confirmIou?: number;
  /** Frames a track may go unmatched (lost, kept for re-identification) before it dies (default 30). */
  maxLostFrames?: number;
  /** Match detections only to tracks of the same class (default true). */
  classAware?: boolean;
  /** Positions kept per track in its history (default 30). */
  historyLength?: number;
}

/** Tracker options with every default filled in. */
export type ResolvedTrackingOptions = Required<TrackingOptions>;

/** The defaults (ByteTrack's published settings, `maxLostFrames` for a 30 fps stream). */
export const TRACKING_DEFAULTS: ResolvedTrackingOptions = {
  highThreshold: 0.5,
  lowThreshold: 0.1,
  newTrackThreshold: 0.6,
  matchIou: 0.2,
  lowMatchIou: 0.5,
  confirmIou: 0.3,
  maxLostFrames: 30,
  classAware: true,
  historyLength: 30,
};

/**
 * Checks tracker options and fills in the defaults.
 * @param name how the options are named in errors (e.g. `options.tasks.tracking`)
 * @throws EdgeError E_INVALID_ARGUMENT naming the option, e.g. `options.tasks.tracking.matchIou`
 * @example
 * resolveTrackingOptions({ maxLostFrames: 60 }).highThreshold; // 0.5
 */
export function resolveTrackingOptions(o: unknown = {}, name = 'options'): ResolvedTrackingOptions {
  if (!is.object(o)) throw invalidOption(name, 'an object of tracking options', o);
  rejectUnknownKeys(name, o, Object.keys(TRACKING_DEFAULTS));
  const unit = (k: keyof TrackingOptions) => expectNumber(`${name}.${k}`, o[k] ?? TRACKING_DEFAULTS[k], 0, 1);
  const r: ResolvedTrackingOptions = {
    highThreshold: unit('highThreshold'),
    lowThreshold: unit('lowThreshold'),
    newTrackThreshold: unit('newTrackThreshold'),
    matchIou: unit('matchIou'),
    lowMatchIou: unit('lowMatchIou'),
    confirmIou: unit('confirmIou'),
    maxLostFrames: expectInteger(
      `${name}.maxLostFrames`,
      o.maxLostFrames ?? TRACKING_DEFAULTS.maxLostFrames,
      0,
      100_000,
    ),
    classAware: o.classAware ?? TRACKING_DEFAULTS.classAware,
    historyLength: expectInteger(
      `${name}.historyLength`,
      o.historyLength ?? TRACKING_DEFAULTS.historyLength,
      1,
      10_000,
    ),
  } as ResolvedTrackingOptions;
  if (typeof r.classAware !== 'boolean') throw invalidOption(`${name}.classAware`, 'a boolean', r.classAware);
  if (r.lowThreshold > r.highThreshold)
    throw invalidOption(`${name}.lowThreshold`, `a score at most highThreshold (${r.highThreshold})`, r.lowThreshold);
  if (r.newTrackThreshold < r.highThreshold)
    throw invalidOption(
      `${name}.newTrackThreshold`,
      `a score at least highThreshold (${r.highThreshold})`,
      r.newTrackThreshold,
    );
  return r;
}
