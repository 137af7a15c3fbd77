/**
 * The anchor ByteTrack is measured against: a plain IoU tracker. Detections at or above
 * `highThreshold` are matched greedily (best IoU first) to each track's last matched box, without a
 * motion model and without low-score detections; a detection left over starts a track at once; a
 * track unmatched for more than `maxLostFrames` frames dies.
 */
import { iou } from '../tasks/nms.js';
import { mapCentre, type TrackerStep, type TrackInput, type TrackPoint, type Tracker } from './track.js';

/** Options of {@link IouTracker}. */
export interface IouTrackerOptions {
  /** Least score of a detection (default 0.5). */
  highThreshold?: number;
  /** Least IoU between a track's last box and a detection (default 0.3). */
  matchIou?: number;
  /** Frames a track may go unmatched before it dies (default 30). */
  maxLostFrames?: number;
  /** Match only within a class (default true). */
  classAware?: boolean;
}

interface IouTrack {
  id: number;
  box: TrackInput['box'];
  classId: number;
  score: number;
  hits: number;
  firstFrame: number;
  lastFrame: number;
  history: TrackPoint[];
}

/**
 * A greedy IoU tracker.
 * @example
 * const step = new IouTracker().update([{ box: [0, 0, 10, 10], score: 0.9, classId: 0 }]);
 * step.ids; // [1]
 */
export class IouTracker implements Tracker {
  private tracks: IouTrack[] = [];
  private frame = -1;
  private nextId = 1;
  private readonly o: Required<IouTrackerOptions>;

  constructor(options: IouTrackerOptions = {}) {
    this.o = { highThreshold: 0.5, matchIou: 0.3, maxLostFrames: 30, classAware: true, ...options };
  }

  update(detections: readonly TrackInput[]): TrackerStep {
    const f = ++this.frame;
    const pairs: [number, number, number][] = [];
    this.tracks.forEach((t, ti) =>
      detections.forEach((d, di) => {
        if (d.score < this.o.highThreshold || (this.o.classAware && d.classId !== t.classId)) return;
        const v = iou(t.box, d.box);
        if (v >= this.o.matchIou) pairs.push([v, ti, di]);
      }),
    );
    pairs.sort((a, b) => b[0] - a[0]);
    const trackOf = new Map<number, IouTrack>();
    const usedTracks = new Set<number>();
    for (const [, ti, di] of pairs) {
      if (usedTracks.has(ti) || trackOf.has(di)) continue;
      usedTracks.add(ti);
      const t = this.tracks[ti]!;
      const d = detections[di]!;
      Object.assign(t, { box: d.box, score: d.score, lastFrame: f, hits: t.hits + 1 });
      this.push(t, d, f);
      trackOf.set(di, t);
    }
    const born: number[] = [];
    detections.forEach((d, di) => {
      if (trackOf.has(di) || d.score < this.o.highThreshold) return;
      const t: IouTrack = {
        id: this.nextId++,
        box: d.box,
        classId: d.classId,
        score: d.score,
        hits: 1,
        firstFrame: f,
        lastFrame: f,
        history: [],
      };
      this.push(t, d, f);
      this.tracks.push(t);
      trackOf.set(di, t);
      born.push(t.id);
    });
    const died = this.tracks.filter((t) => f - t.lastFrame > this.o.maxLostFrames).map((t) => t.id);
    this.tracks = this.tracks.filter((t) => f - t.lastFrame <= this.o.maxLostFrames);
    return {
      frame: f,
      ids: detections.map((_, di) => trackOf.get(di)?.id),
      tracks: this.tracks
        .filter((t) => t.lastFrame === f)
        .map((t) => ({
          id: t.id,
          classId: t.classId,
          score: t.score,
          box: t.box,
          velocity: [0, 0] as [number, number],
          hits: t.hits,
          firstFrame: t.firstFrame,
          history: t.history.slice(),
        })),
      born,
      died,
      lost: this.tracks.filter((t) => t.lastFrame < f).map((t) => t.id),
    };
  }

  private push(t: IouTrack, d: TrackInput, f: number): void {
    const m = mapCentre(d);
    t.history.push({ frame: f, box: d.box, ...(m ? { map: m } : {}) });
    if (t.history.length > 30) t.history.shift();
  }
}
