/**
 * ByteTrack (Zhang et al., ECCV 2022): multi-object tracking by associating every detection box,
 * low-score ones included. Per frame:
 *
 * 1. every track's constant-velocity Kalman filter predicts its box;
 * 2. high-score detections are matched to tracked and lost tracks (Hungarian on 1 − IoU);
 * 3. tracks still unmatched that were tracked in the previous frame are matched to the low-score
 *    detections (an occluded object scores low but is still there; a false positive rarely lies on
 *    a track's predicted box);
 * 4. tracks started in the previous frame are confirmed by a remaining high-score detection, or
 *    dropped;
 * 5. remaining detections above `newTrackThreshold` start tracks; tracks lost for more than
 *    `maxLostFrames` die.
 *
 * Ids are handed out when a track is confirmed, so a false positive seen once uses up no id.
 */
import { iou } from '../tasks/nms.js';
import { assign } from './assign.js';
import { BoxKalman } from './kalman-box.js';
import {
  mapCentre,
  type TrackerStep,
  type TrackInput,
  type TrackPoint,
  type TrackReport,
  type Tracker,
} from './track.js';
import { resolveTrackingOptions, type ResolvedTrackingOptions, type TrackingOptions } from './tracking-options.js';

interface Track {
  /** 0 until confirmed. */
  id: number;
  state: 'new' | 'tracked' | 'lost';
  kalman: BoxKalman;
  classId: number;
  score: number;
  hits: number;
  firstFrame: number;
  lastFrame: number;
  history: TrackPoint[];
}

/**
 * A ByteTrack tracker for one detection stream.
 * @example
 * const tracker = new ByteTracker({ maxLostFrames: 60 });
 * for (const frame of frames) {
 *   const step = tracker.update(frame.detections);
 *   step.ids.forEach((id, i) => console.log(frame.detections[i].box, id));
 * }
 */
export class ByteTracker implements Tracker {
  private readonly o: ResolvedTrackingOptions;
  private tracks: Track[] = [];
  private frame = -1;
  private nextId = 1;

  /** @throws EdgeError E_INVALID_ARGUMENT for bad options */
  constructor(options: TrackingOptions = {}) {
    this.o = resolveTrackingOptions(options);
  }

  /** The resolved options. */
  get options(): Readonly<ResolvedTrackingOptions> {
    return this.o;
  }

  /** Confirmed tracks alive (tracked or lost). */
  get alive(): number {
    return this.tracks.filter((t) => t.id > 0).length;
  }

  /** Takes the detections of the next frame. */
  update(detections: readonly TrackInput[]): TrackerStep {
    const f = ++this.frame;
    const o = this.o;
    const matchedDet = new Map<number, Track>();
    const born: number[] = [];
    const died: number[] = [];
    for (const t of this.tracks) t.kalman.predict();

    const high: number[] = [];
    const low: number[] = [];
    detections.forEach((d, i) => {
      if (d.score >= o.highThreshold) high.push(i);
      else if (d.score >= o.lowThreshold) low.push(i);
    });

    const confirmed = this.tracks.filter((t) => t.state !== 'new');
    const fresh = this.tracks.filter((t) => t.state === 'new');
    const take = (t: Track, i: number): void => {
      const d = detections[i]!;
      t.kalman.update(d.box);
      t.state = 'tracked';
      t.score = d.score;
      t.hits++;
      t.lastFrame = f;
      this.record(t, d);
      matchedDet.set(i, t);
    };

    // First association: high detections against tracked and lost tracks.
    const first = this.match(confirmed, high, detections, o.matchIou);
    first.matches.forEach(([ti, di]) => take(confirmed[ti]!, high[di]!));
    // Second: the tracks tracked until the last frame that are still unmatched, against low detections.
    const left = first.unmatchedRows.map((ti) => confirmed[ti]!).filter((t) => t.state === 'tracked');
    const second = this.match(left, low, detections, o.lowMatchIou);
    second.matches.forEach(([ti, di]) => take(left[ti]!, low[di]!));
    const secondMatched = new Set(second.matches.map(([ti]) => left[ti]!));
    for (const ti of first.unmatchedRows) {
      const t = confirmed[ti]!;
      if (!secondMatched.has(t)) t.state = 'lost';
    }
    // Third: tracks started in the last frame, confirmed by a remaining high detection or dropped.
    const rest = first.unmatchedCols.map((di) => high[di]!);
    const third = this.match(fresh, rest, detections, o.confirmIou);
    for (const [ti, di] of third.matches) {
      const t = fresh[ti]!;
      take(t, rest[di]!);
      t.id = this.nextId++;
      born.push(t.id);
    }
    const dropped = new Set(third.unmatchedRows.map((ti) => fresh[ti]!));
    // New tracks; on the tracker's first frame they are confirmed at once.
    const starts: Track[] = [];
    for (const di of third.unmatchedCols) {
      const i = rest[di]!;
      const d = detections[i]!;
      if (d.score < o.newTrackThreshold) continue;
      const t: Track = {
        id: 0,
        state: 'new',
        kalman: new BoxKalman(d.box),
        classId: d.classId,
        score: d.score,
        hits: 1,
        firstFrame: f,
        lastFrame: f,
        history: [],
      };
      this.record(t, d);
      if (f === 0) {
        t.id = this.nextId++;
        t.state = 'tracked';
        born.push(t.id);
      }
      matchedDet.set(i, t);
      starts.push(t);
    }
    const kept: Track[] = [];
    for (const t of this.tracks) {
      if (dropped.has(t)) continue;
      if (t.state === 'lost' && f - t.lastFrame > o.maxLostFrames) {
        died.push(t.id);
        continue;
      }
      kept.push(t);
    }
    this.tracks = [...kept, ...starts];

    const ids = detections.map((_, i) => {
      const t = matchedDet.get(i);
      return t && t.id > 0 ? t.id : undefined;
    });
    const tracks: TrackReport[] = this.tracks
      .filter((t) => t.id > 0 && t.state === 'tracked' && t.lastFrame === f)
      .sort((a, b) => a.id - b.id)
      .map((t) => ({
        id: t.id,
        classId: t.classId,
        score: t.score,
        box: t.history.at(-1)!.box,
        filtered: t.kalman.box(),
        velocity: t.kalman.velocity(),
        hits: t.hits,
        firstFrame: t.firstFrame,
        history: t.history.slice(),
      }));
    const lost = this.tracks
      .filter((t) => t.id > 0 && t.state === 'lost')
      .map((t) => t.id)
      .sort((a, b) => a - b);
    return { frame: f, ids, tracks, born, died, lost };
  }

  /** Hungarian assignment of `tracks` to the detections `dets` (indices) on 1 − IoU. */
  private match(
    tracks: Track[],
    dets: number[],
    detections: readonly TrackInput[],
    minIou: number,
  ): ReturnType<typeof assign> {
    const boxes = tracks.map((t) => t.kalman.box());
    const cost = tracks.map((t, ti) =>
      dets.map((di) => {
        const d = detections[di]!;
        if (this.o.classAware && d.classId !== t.classId) return Infinity;
        return 1 - iou(boxes[ti]!, d.box);
      }),
    );
    return assign(cost, 1 - minIou, dets.length);
  }

  private record(t: Track, d: TrackInput): void {
    const m = mapCentre(d);
    t.history.push({ frame: this.frame, box: [...d.box], ...(m ? { map: m } : {}) });
    if (t.history.length > this.o.historyLength) t.history.splice(0, t.history.length - this.o.historyLength);
  }
}
