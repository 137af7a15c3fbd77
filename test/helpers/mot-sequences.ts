/**
 * Generated tracking sequences with known ground truth, for the tracker tests and the tracking
 * benchmark: boxes moving at near-constant velocity through a 1280×720 view, crossing each other,
 * passing behind static occluders (a partly hidden object is detected with a low score, a hidden one
 * not at all), with missed detections, jittered boxes and false positives. Seeded, so every run
 * sees the same sequences.
 */
import type { Box } from '../../sdk/tasks/nms.js';
import type { TrackInput } from '../../sdk/tracking/track.js';

/** What a sequence contains. */
export interface SequenceSpec {
  name: string;
  seed: number;
  frames: number;
  /** Objects entering over the sequence. */
  objects: number;
  /** Static occluders (bridges, trees, clouds). */
  occluders: number;
  /** Chance that a visible object goes undetected in a frame. */
  missRate: number;
  /** Mean false positives per frame. */
  falsePositives: number;
  /** Standard deviation of the box corners' noise, as a fraction of the box size. */
  jitter: number;
  /** Share of objects moving on shared horizontal lanes in opposite directions (they cross). */
  crossingShare: number;
}

/** One generated frame. */
export interface SequenceFrame {
  gt: { id: number; box: Box; visibility: number }[];
  detections: TrackInput[];
}

export const WIDTH = 1280;
export const HEIGHT = 720;

/** The sequences BENCHMARKS.md reports. */
export const SEQUENCES: SequenceSpec[] = [
  {
    name: 'crossing',
    seed: 11,
    frames: 300,
    objects: 24,
    occluders: 1,
    missRate: 0.05,
    falsePositives: 0.5,
    jitter: 0.03,
    crossingShare: 0.8,
  },
  {
    name: 'occlusion',
    seed: 23,
    frames: 300,
    objects: 20,
    occluders: 4,
    missRate: 0.08,
    falsePositives: 1,
    jitter: 0.04,
    crossingShare: 0.3,
  },
  {
    name: 'noisy',
    seed: 37,
    frames: 300,
    objects: 30,
    occluders: 2,
    missRate: 0.15,
    falsePositives: 3,
    jitter: 0.06,
    crossingShare: 0.5,
  },
];

/** A small, seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Generates a sequence.
 * @example
 * const frames = generateSequence(SEQUENCES[0]);
 */
export function generateSequence(spec: SequenceSpec): SequenceFrame[] {
  const rand = rng(spec.seed);
  const uniform = (a: number, b: number) => a + (b - a) * rand();
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const occluders: Box[] = Array.from({ length: spec.occluders }, () => {
    const w = uniform(60, 140);
    const x = uniform(200, WIDTH - 200 - w);
    return [x, 0, x + w, HEIGHT];
  });
  const lanes = [HEIGHT * 0.3, HEIGHT * 0.5, HEIGHT * 0.7];
  interface Obj {
    id: number;
    start: number;
    x: number;
    y: number;
    vx: number;
    vy: number;
    w: number;
    h: number;
  }
  const objects: Obj[] = Array.from({ length: spec.objects }, (_, k) => {
    const crossing = rand() < spec.crossingShare;
    const right = rand() < 0.5;
    const speed = uniform(2, 7);
    const w = uniform(30, 70);
    const h = uniform(30, 70);
    const y = crossing ? lanes[k % lanes.length]! - h / 2 + uniform(-8, 8) : uniform(40, HEIGHT - 40 - h);
    return {
      id: k + 1,
      start: Math.floor(uniform(0, spec.frames * 0.6)),
      x: right ? -w + 1 : WIDTH - 1,
      y,
      vx: right ? speed : -speed,
      vy: crossing ? uniform(-0.3, 0.3) : uniform(-1.5, 1.5),
      w,
      h,
    };
  });
  const frames: SequenceFrame[] = [];
  for (let f = 0; f < spec.frames; f++) {
    const live = objects.filter((o) => o.start <= f && o.x + o.w > 0 && o.x < WIDTH && o.y + o.h > 0 && o.y < HEIGHT);
    const boxes = live.map((o): Box => [
      Math.max(0, o.x),
      Math.max(0, o.y),
      Math.min(WIDTH, o.x + o.w),
      Math.min(HEIGHT, o.y + o.h),
    ]);
    const frame: SequenceFrame = { gt: [], detections: [] };
    live.forEach((o, i) => {
      const b = boxes[i]!;
      const area = (b[2] - b[0]) * (b[3] - b[1]);
      // Occluders hide what passes behind them; an object hides the objects of higher id beneath it.
      let hidden = occluders.reduce((s, oc) => s + overlapArea(b, oc), 0);
      live.forEach((other, j) => {
        if (other.id < o.id) hidden += overlapArea(b, boxes[j]!);
      });
      const visibility = Math.max(0, 1 - hidden / area);
      if (visibility < 0.25 || area < 100) return;
      frame.gt.push({ id: o.id, box: b, visibility });
      if (rand() < spec.missRate) return;
      const jw = spec.jitter * (b[2] - b[0]);
      const jh = spec.jitter * (b[3] - b[1]);
      const box: Box = [b[0] + gauss() * jw, b[1] + gauss() * jh, b[2] + gauss() * jw, b[3] + gauss() * jh];
      if (box[2] <= box[0] || box[3] <= box[1]) return;
      frame.detections.push({ box, score: visibility >= 0.7 ? uniform(0.55, 0.95) : uniform(0.12, 0.45), classId: 0 });
    });
    for (let k = poisson(spec.falsePositives, rand); k > 0; k--) {
      const w = uniform(20, 80);
      const h = uniform(20, 80);
      const x = uniform(0, WIDTH - w);
      const y = uniform(0, HEIGHT - h);
      frame.detections.push({ box: [x, y, x + w, y + h], score: uniform(0.1, 0.7), classId: 0 });
    }
    // Detectors emit in score order, not object order.
    frame.detections.sort((a, b) => b.score - a.score);
    frames.push(frame);
    for (const o of objects) {
      if (o.start > f) continue;
      o.vx += gauss() * 0.05;
      o.vy += gauss() * 0.05;
      o.x += o.vx;
      o.y += o.vy;
    }
  }
  return frames;
}

function overlapArea(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

function poisson(lambda: number, rand: () => number): number {
  const l = Math.exp(-lambda);
  let k = 0;
  let p = rand();
  while (p > l) {
    k++;
    p *= rand();
  }
  return k;
}
