/**
 * Tracking on the runtime's result path (`tasks.tracking`): one {@link ByteTracker} per entry (a
 * device's detection stream), fed each result in delivery order. It writes the track id into each
 * tracked detection and adds a `tracking` task result (the frame's tracks with their history, and
 * the ids born and died), which the runtime publishes like any task.
 */
import type { Box } from '../tasks/nms.js';
import type { DetectionResult } from '../tasks/detection.js';
import { ByteTracker } from './byte-tracker.js';
import type { TrackReport } from './track.js';
import { resolveTrackingOptions, type ResolvedTrackingOptions, type TrackingOptions } from './tracking-options.js';

/** The `tracking` task result of one frame. Plain JSON. */
export interface TrackingResult {
  task: 'tracking';
  frameId: string;
  /** The tracker's index of this frame (frames of the stream that had detection results). */
  frame: number;
  /** CRS of the map positions in the tracks' history, when georeferenced. */
  crs?: string;
  /** Confirmed tracks matched in this frame, by id. */
  tracks: (TrackReport & { label: string })[];
  /** Ids confirmed in this frame. */
  born: number[];
  /** Ids ended in this frame (unmatched for longer than `maxLostFrames`). */
  died: number[];
  /** Ids not matched in this frame but kept for re-identification. */
  lost: number[];
}

/** Results that {@link ResultTracking.apply} reads and amends. */
export interface TrackableResult {
  frameId: string;
  entry: string;
  tasks: { detection?: DetectionResult; tracking?: TrackingResult };
}

/**
 * The trackers of one runtime.
 * @example
 * const tracking = new ResultTracking({ maxLostFrames: 60 });
 * runtime.on('result', (r) => tracking.apply(r)); // the runtime does this itself with tasks.tracking
 */
export class ResultTracking {
  private readonly o: ResolvedTrackingOptions;
  private readonly trackers = new Map<string, ByteTracker>();

  /** @throws EdgeError E_INVALID_ARGUMENT naming `options.tasks.tracking.<option>` */
  constructor(options: TrackingOptions | true = true) {
    this.o = resolveTrackingOptions(options === true ? {} : options, 'options.tasks.tracking');
  }

  /**
   * Tracks the detections of `r` (in place: `trackId` on detections, `tasks.tracking` added).
   * Returns the tracking result, or undefined when `r` has no detection result.
   */
  apply(r: TrackableResult): TrackingResult | undefined {
    const det = r.tasks.detection;
    if (!det) return undefined;
    let tracker = this.trackers.get(r.entry);
    if (!tracker) {
      tracker = new ByteTracker(this.o);
      this.trackers.set(r.entry, tracker);
    }
    const step = tracker.update(det.detections);
    det.detections.forEach((d, i) => {
      const id = step.ids[i];
      if (id !== undefined) d.trackId = id;
    });
    const labelOf = new Map(det.detections.map((d) => [d.classId, d.label]));
    const tracking: TrackingResult = {
      task: 'tracking',
      frameId: r.frameId,
      frame: step.frame,
      ...(det.crs !== undefined ? { crs: det.crs } : {}),
      tracks: step.tracks.map((t) => ({
        ...t,
        box: [...t.box] as Box,
        label: labelOf.get(t.classId) ?? String(t.classId),
      })),
      born: step.born,
      died: step.died,
      lost: step.lost,
    };
    r.tasks.tracking = tracking;
    return tracking;
  }
}
