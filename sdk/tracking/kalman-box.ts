/**
 * The constant-velocity Kalman filter of a tracked box, on the `kalman-filter` library. The state is
 * ByteTrack's (SORT's) [cx, cy, a, h, vx, vy, va, vh]: centre, aspect ratio w/h, height and their
 * velocities per frame. Process and measurement noise scale with the box height, so a large box
 * may move more pixels per frame than a small one.
 */
import kalman from 'kalman-filter';
import type { Box } from '../tasks/nms.js';

const { KalmanFilter, State } = kalman;
type KState = InstanceType<typeof State>;

/** Noise weights relative to the box height (ByteTrack's defaults). */
const POSITION_WEIGHT = 1 / 20;
const VELOCITY_WEIGHT = 1 / 160;

const diag = (v: number[]): number[][] => v.map((x, i) => v.map((_, j) => (i === j ? x : 0)));
const TRANSITION = diag([1, 1, 1, 1, 1, 1, 1, 1]).map((row, i) =>
  i < 4 ? row.map((x, j) => (j === i + 4 ? 1 : x)) : row,
);
const PROJECTION = diag([1, 1, 1, 1, 1, 1, 1, 1]).slice(0, 4);

/** A box as the filter measures it: [cx, cy, a, h]. */
export function toXyah(b: Box): [number, number, number, number] {
  const w = b[2] - b[0];
  const h = b[3] - b[1];
  return [b[0] + w / 2, b[1] + h / 2, w / Math.max(h, 1e-9), h];
}

/** The [x1, y1, x2, y2] box of a filter state. */
export function fromXyah(m: readonly number[]): Box {
  const h = Math.max(m[3]!, 0);
  const w = Math.max(m[2]! * h, 0);
  return [m[0]! - w / 2, m[1]! - h / 2, m[0]! + w / 2, m[1]! + h / 2];
}

/**
 * One box's filter: `predict()` once per frame, `update(box)` when a detection is matched to it.
 *
 * Predictions are applied lazily: between matches only the mean moves, and it moves exactly as the
 * filter's prediction would move it (position + steps × velocity), so the predicted box is exact;
 * the library's covariance prediction runs for the steps a track went unmatched when a detection
 * is matched to it again. A lost track that is never matched again costs no filter arithmetic.
 * @example
 * const k = new BoxKalman([10, 10, 30, 50]);
 * k.predict(); k.update([12, 10, 32, 50]);
 * k.box(); // ≈ [12, 10, 32, 50]
 */
export class BoxKalman {
  private state: KState;
  /** Frames predicted but not yet run through the library. */
  private pending = 0;

  constructor(first: Box) {
    const [cx, cy, a, h] = toXyah(first);
    const p = 2 * POSITION_WEIGHT * h;
    const v = 10 * VELOCITY_WEIGHT * h;
    this.state = new State({
      mean: [[cx], [cy], [a], [h], [0], [0], [0], [0]],
      covariance: diag([p * p, p * p, 1e-4, p * p, v * v, v * v, 1e-10, v * v]),
    });
  }

  /** Advances one frame. */
  predict(): void {
    this.pending++;
  }

  /** Corrects the prediction with a matched box. */
  update(box: Box): void {
    for (; this.pending > 0; this.pending--) {
      // A box whose height would go negative would turn the height-scaled noise negative: stop shrinking.
      if (this.state.mean[3]![0]! + this.state.mean[7]![0]! <= 0) this.state.mean[7]![0] = 0;
      this.state = FILTER.predict({ previousCorrected: this.state });
    }
    this.state = FILTER.correct({ predicted: this.state, observation: toXyah(box) });
  }

  /** The current box estimate (the prediction for this frame until `update`). */
  box(): Box {
    const m = this.state.mean.map((r) => r[0]!);
    const k = this.pending;
    for (let i = 0; i < 4; i++) m[i] = m[i]! + k * m[i + 4]!;
    return fromXyah(m);
  }

  /** The current velocity of the box centre, pixels per frame. */
  velocity(): [number, number] {
    return [this.state.mean[4]![0]!, this.state.mean[5]![0]!];
  }
}

const FILTER = new KalmanFilter({
  observation: {
    dimension: 4,
    stateProjection: PROJECTION,
    covariance: ({ predicted }) => {
      const s = (POSITION_WEIGHT * Math.max(predicted.mean[3]![0]!, 1)) ** 2;
      return diag([s, s, 1e-2, s]);
    },
  },
  dynamic: {
    dimension: 8,
    transition: TRANSITION,
    covariance: ({ previousCorrected }) => {
      const h = Math.max(previousCorrected.mean[3]![0]!, 1);
      const p = (POSITION_WEIGHT * h) ** 2;
      const v = (VELOCITY_WEIGHT * h) ** 2;
      return diag([p, p, 1e-4, p, v, v, 1e-10, v]);
    },
  },
});
