/**
 * Agreement metrics between a reference model's outputs and a candidate's (pruned, quantized) on
 * the same inputs: cosine similarity of features, top-1 agreement, pixel agreement, box matching.
 * Pure functions over output tensors.
 */
import type { HostTensor } from '../../sdk/internal.js';
import { boxCorners } from '../../sdk/internal.js';
import { convexHull, polygonBounds, polygonIou, type Point } from '../../sdk/internal.js';

/** Per-sample cosine similarity of two [N, ...] float tensors. */
export function cosinePerSample(a: HostTensor, b: HostTensor): number[] {
  const n = a.shape[0]!;
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  const per = x.length / n;
  const out: number[] = [];
  for (let s = 0; s < n; s++) {
    let dot = 0;
    let nx = 0;
    let ny = 0;
    for (let i = s * per; i < (s + 1) * per; i++) {
      dot += x[i]! * y[i]!;
      nx += x[i]! * x[i]!;
      ny += y[i]! * y[i]!;
    }
    out.push(nx === 0 && ny === 0 ? 1 : dot / (Math.sqrt(nx) * Math.sqrt(ny) || 1e-30));
  }
  return out;
}

/** Argmax over axis 1 of [N, K, ...rest]; returns [N * prod(rest)] indices. */
export function argmaxAxis1(t: HostTensor): Int32Array {
  const [n, k] = [t.shape[0]!, t.shape[1]!];
  const rest = t.shape.slice(2).reduce((p, d) => p * d, 1);
  const x = t.data as Float32Array;
  const out = new Int32Array(n * rest);
  for (let s = 0; s < n; s++) {
    for (let r = 0; r < rest; r++) {
      let best = 0;
      let bv = -Infinity;
      for (let c = 0; c < k; c++) {
        const v = x[(s * k + c) * rest + r]!;
        if (v > bv) {
          bv = v;
          best = c;
        }
      }
      out[s * rest + r] = best;
    }
  }
  return out;
}

/** Fraction of positions where two label arrays agree, per sample of `n`. */
export function agreementPerSample(a: Int32Array | Uint8Array, b: Int32Array | Uint8Array, n: number): number[] {
  const per = a.length / n;
  const out: number[] = [];
  for (let s = 0; s < n; s++) {
    let same = 0;
    for (let i = s * per; i < (s + 1) * per; i++) if (a[i] === b[i]) same++;
    out.push(same / per);
  }
  return out;
}

/** Thresholded binary map of a probability tensor. */
export function threshold(t: HostTensor, at: number): Uint8Array {
  const x = t.data as Float32Array;
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! >= at ? 1 : 0;
  return out;
}

export interface Box {
  box: [number, number, number, number];
  score: number;
  cls: number;
  /** Oriented candidates (det_rboxes, det_quads): the polygon; IoU is then the polygons' exact IoU. */
  poly?: Point[];
}

export function iou(a: Box['box'], b: Box['box']): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Candidate boxes of sample `s` with score ≥ `minScore` (`boxes` [N, M, 4 | 5 | 8]: x1,y1,x2,y2, cx,cy,w,h,angle or corner points). */
export function boxesOf(
  boxes: HostTensor,
  scores: HostTensor,
  classes: HostTensor,
  s: number,
  minScore: number,
): Box[] {
  const m = scores.shape[1]!;
  const width = boxes.shape[2];
  if (width === 5 || width === 8) return orientedBoxesOf(boxes, scores, classes, s, minScore, width);
  const bx = boxes.data as Float32Array;
  const sc = scores.data as Float32Array;
  const cl = classes.data as BigInt64Array;
  const out: Box[] = [];
  for (let i = 0; i < m; i++) {
    const score = sc[s * m + i]!;
    if (score < minScore) continue;
    const o = (s * m + i) * 4;
    out.push({ box: [bx[o]!, bx[o + 1]!, bx[o + 2]!, bx[o + 3]!], score, cls: Number(cl[s * m + i]) });
  }
  return out;
}

/**
 * Greedy one-to-one matching of candidate boxes to reference boxes (highest score first, same
 * class, IoU ≥ `minIou`). Reference boxes play the role of ground truth.
 */
export function matchBoxes(ref: Box[], cand: Box[], minIou: number): { matched: number; ious: number[] } {
  const used = new Set<number>();
  const ious: number[] = [];
  for (const c of [...cand].sort((a, b) => b.score - a.score)) {
    let best = -1;
    let bestIou = minIou;
    ref.forEach((r, i) => {
      if (used.has(i) || r.cls !== c.cls) return;
      const v = r.poly && c.poly ? polygonIou(r.poly, c.poly) : iou(r.box, c.box);
      if (v >= bestIou) {
        bestIou = v;
        best = i;
      }
    });
    if (best >= 0) {
      used.add(best);
      ious.push(bestIou);
    }
  }
  return { matched: used.size, ious };
}

function orientedBoxesOf(
  boxes: HostTensor,
  scores: HostTensor,
  classes: HostTensor,
  s: number,
  minScore: number,
  width: 5 | 8,
): Box[] {
  const m = scores.shape[1]!;
  const bx = boxes.data as Float32Array;
  const sc = scores.data as Float32Array;
  const cl = classes.data as BigInt64Array;
  const out: Box[] = [];
  for (let i = 0; i < m; i++) {
    const score = sc[s * m + i]!;
    if (score < minScore) continue;
    const o = (s * m + i) * width;
    const poly: Point[] =
      width === 5
        ? boxCorners({ cx: bx[o]!, cy: bx[o + 1]!, w: bx[o + 2]!, h: bx[o + 3]!, angle: bx[o + 4]! })
        : convexHull([0, 1, 2, 3].map((k) => [bx[o + 2 * k]!, bx[o + 2 * k + 1]!] as Point));
    out.push({ box: polygonBounds(poly), poly, score, cls: Number(cl[s * m + i]) });
  }
  return out;
}
