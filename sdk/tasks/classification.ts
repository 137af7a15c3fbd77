/**
 * Classification: `cls_logits` [N, K] → softmax → top-k labels. With several model inputs per frame
 * (tiles) each tile gets its own ranking and the frame's ranking is the mean of the tile probabilities.
 */
import { expectInteger } from '../core/validate.js';
import { checkLabels, checkValues, labelOf, stackOutput, type FrameContext, type TaskOutput } from './outputs.js';

/** One ranked class. */
export interface ClassScore {
  classId: number;
  label: string;
  /** Softmax probability in [0, 1]. */
  score: number;
}

/** Classification of one frame. Plain JSON. */
export interface ClassificationResult {
  task: 'classification';
  frameId: string;
  /** Frame ranking (best first). */
  top: ClassScore[];
  /** Per-tile rankings, when the frame was tiled into more than one input. */
  tiles?: { tile: number; top: ClassScore[] }[];
}

/** Options of {@link classificationResult}. */
export interface ClassificationOptions {
  /** Class names (`manifest.labels.classification`). */
  labels?: readonly string[];
  /** How many classes to report (default 5). */
  topK?: number;
}

/**
 * Numerically stable softmax of `logits[offset .. offset + k)`.
 * @example
 * const p = softmax(Float32Array.from([1, 2, 3]));
 */
export function softmax(logits: Float32Array, offset = 0, k = logits.length): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < k; i++) max = Math.max(max, logits[offset + i]!);
  const out = new Float64Array(k);
  let sum = 0;
  for (let i = 0; i < k; i++) {
    out[i] = Math.exp(logits[offset + i]! - max);
    sum += out[i]!;
  }
  for (let i = 0; i < k; i++) out[i]! /= sum;
  return out;
}

function rank(probs: Float64Array, topK: number, labels: readonly string[] | undefined): ClassScore[] {
  const ids = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]! || a - b);
  return ids.slice(0, topK).map((classId) => ({ classId, label: labelOf(labels, classId), score: probs[classId]! }));
}

/**
 * Ranks the classes of a frame.
 * @param logits `cls_logits` [N, K] (one tensor or one per batch)
 * @throws EdgeError E_MODEL_OUTPUT for shapes/values that break the contract; E_INVALID_ARGUMENT for bad options
 * @example
 * const result = classificationResult(outputs.cls_logits, pre, { labels: manifest.labels?.classification, topK: 3 });
 */
export function classificationResult(
  logits: TaskOutput,
  frame: FrameContext,
  options: ClassificationOptions = {},
): ClassificationResult {
  const n = frame.layout.tiles.length;
  const out = stackOutput('cls_logits', logits, 2, [undefined], n);
  const k = out.shape[1]!;
  checkValues('cls_logits', out.data);
  checkLabels('cls_logits', options.labels, k);
  const topK = options.topK === undefined ? 5 : expectInteger('options.topK', options.topK, 1, k);
  const mean = new Float64Array(k);
  const tiles: { tile: number; top: ClassScore[] }[] = [];
  for (let t = 0; t < n; t++) {
    const p = softmax(out.data, t * k, k);
    for (let i = 0; i < k; i++) mean[i]! += p[i]! / n;
    if (n > 1) tiles.push({ tile: t, top: rank(p, topK, options.labels) });
  }
  return {
    task: 'classification',
    frameId: frame.layout.frameId,
    top: rank(mean, topK, options.labels),
    ...(n > 1 ? { tiles } : {}),
  };
}
