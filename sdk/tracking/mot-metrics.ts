/**
 * Multi-object tracking scores of a tracker's output against ground truth: CLEAR MOT (MOTA, MOTP,
 * ID switches; Bernardin & Stiefelhagen 2008) and the identity scores IDF1, IDP, IDR (Ristani et
 * al. 2016). A hypothesis box matches a ground-truth box when their IoU is at least the threshold.
 */
import { munkres } from 'munkres';
import { iou, type Box } from '../tasks/nms.js';
import { assign } from './assign.js';

/** Ground-truth and tracker boxes of one frame, each with its identity. */
export interface MotFrame {
  gt: { id: number; box: Box }[];
  hyp: { id: number; box: Box }[];
}

/** Scores of a sequence (or several sequences added up). */
export interface MotScores {
  frames: number;
  /** Ground-truth boxes. */
  gt: number;
  /** Tracker boxes. */
  hyp: number;
  matches: number;
  falsePositives: number;
  misses: number;
  idSwitches: number;
  /** 1 − (misses + false positives + ID switches) / ground-truth boxes. */
  mota: number;
  /** Mean IoU of the matched pairs. */
  motp: number;
  /** Boxes on the best one-to-one pairing of ground-truth and tracker identities. */
  idtp: number;
  idf1: number;
  idp: number;
  idr: number;
  gtIds: number;
  hypIds: number;
}

/**
 * Scores a tracker's output.
 * @example
 * const s = motScores([{ gt: [{ id: 1, box: [0, 0, 10, 10] }], hyp: [{ id: 7, box: [0, 0, 10, 10] }] }]);
 * s.mota; // 1
 */
export function motScores(frames: readonly MotFrame[], iouThreshold = 0.5): MotScores {
  let gt = 0;
  let hyp = 0;
  let matches = 0;
  let idSwitches = 0;
  let iouSum = 0;
  /** Last tracker id each ground-truth id was matched to. */
  const lastMatch = new Map<number, number>();
  /** Matches of the previous frame, kept while still valid (CLEAR MOT's correspondence rule). */
  let previous = new Map<number, number>();
  /** Frames in which a (gt, hyp) pair overlaps, for IDF1. */
  const overlap = new Map<number, Map<number, number>>();
  const gtIds = new Set<number>();
  const hypIds = new Set<number>();
  for (const fr of frames) {
    gt += fr.gt.length;
    hyp += fr.hyp.length;
    fr.gt.forEach((g) => gtIds.add(g.id));
    fr.hyp.forEach((h) => hypIds.add(h.id));
    const ious = fr.gt.map((g) => fr.hyp.map((h) => iou(g.box, h.box)));
    ious.forEach((row, gi) =>
      row.forEach((v, hi) => {
        if (v < iouThreshold) return;
        const m = overlap.get(fr.gt[gi]!.id) ?? new Map<number, number>();
        m.set(fr.hyp[hi]!.id, (m.get(fr.hyp[hi]!.id) ?? 0) + 1);
        overlap.set(fr.gt[gi]!.id, m);
      }),
    );
    const pairs: [number, number][] = [];
    const gtUsed = new Set<number>();
    const hypUsed = new Set<number>();
    fr.gt.forEach((g, gi) => {
      const h = previous.get(g.id);
      const hi = h === undefined ? -1 : fr.hyp.findIndex((x) => x.id === h);
      if (hi >= 0 && !hypUsed.has(hi) && ious[gi]![hi]! >= iouThreshold) {
        pairs.push([gi, hi]);
        gtUsed.add(gi);
        hypUsed.add(hi);
      }
    });
    const gRest = fr.gt.map((_, i) => i).filter((i) => !gtUsed.has(i));
    const hRest = fr.hyp.map((_, i) => i).filter((i) => !hypUsed.has(i));
    const a = assign(
      gRest.map((gi) => hRest.map((hi) => 1 - ious[gi]![hi]!)),
      1 - iouThreshold,
      hRest.length,
    );
    for (const [r, c] of a.matches) pairs.push([gRest[r]!, hRest[c]!]);
    const now = new Map<number, number>();
    for (const [gi, hi] of pairs) {
      const g = fr.gt[gi]!.id;
      const h = fr.hyp[hi]!.id;
      const before = lastMatch.get(g);
      if (before !== undefined && before !== h) idSwitches++;
      lastMatch.set(g, h);
      now.set(g, h);
      iouSum += ious[gi]![hi]!;
    }
    matches += pairs.length;
    previous = now;
  }
  const idtp = identityMatches(overlap, [...gtIds], [...hypIds]);
  const misses = gt - matches;
  const falsePositives = hyp - matches;
  return {
    frames: frames.length,
    gt,
    hyp,
    matches,
    falsePositives,
    misses,
    idSwitches,
    mota: gt ? 1 - (misses + falsePositives + idSwitches) / gt : 0,
    motp: matches ? iouSum / matches : 0,
    idtp,
    idf1: gt + hyp ? (2 * idtp) / (gt + hyp) : 0,
    idp: hyp ? idtp / hyp : 0,
    idr: gt ? idtp / gt : 0,
    gtIds: gtIds.size,
    hypIds: hypIds.size,
  };
}

/** Most boxes a one-to-one pairing of ground-truth and tracker identities explains. */
function identityMatches(overlap: Map<number, Map<number, number>>, gtIds: number[], hypIds: number[]): number {
  if (gtIds.length === 0 || hypIds.length === 0) return 0;
  let max = 0;
  const gain = gtIds.map((g) => hypIds.map((h) => overlap.get(g)?.get(h) ?? 0));
  gain.forEach((row) => row.forEach((v) => (max = Math.max(max, v))));
  let total = 0;
  for (const [r, c] of munkres(gain.map((row) => row.map((v) => max - v)))) total += gain[r]![c]!;
  return total;
}
