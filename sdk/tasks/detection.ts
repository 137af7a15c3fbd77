/**
 * Detection: `det_boxes` [N, M, 4] (x1, y1, x2, y2 in input pixels), `det_scores` [N, M] in [0, 1] and
 * `det_classes` [N, M] → score threshold, boxes mapped back to source pixels (tile origin, resize
 * scale and crop offset), class-wise NMS across the whole frame with cross-tile merging, and — when the
 * frame is georeferenced — map coordinates.
 */
import { expectInteger, expectNumber } from '../core/validate.js';
import { crsLabel, pixelToMap } from '../sensors/georef.js';
import { inputToSource } from '../sensors/layout.js';
import { nonMaxSuppression, type Box, type Candidate } from './nms.js';
import { checkValues, labelOf, stackOutput, type FrameContext, type TaskOutput } from './outputs.js';
import { EdgeError } from '../core/errors.js';

/** One detection. Boxes are [x1, y1, x2, y2] in source pixel-corner coordinates. */
export interface Detection {
  classId: number;
  label: string;
  score: number;
  box: Box;
  /** Model input (tile) it came from. */
  tile: number;
  /** Map coordinates, when the frame is georeferenced. */
  map?: {
    /** [minX, minY, maxX, maxY] of the box's corners in map units. */
    bbox: [number, number, number, number];
    /** The four corners (x1,y1), (x2,y1), (x2,y2), (x1,y2) in map units. */
    corners: [number, number][];
  };
  /** Id of the track the detection belongs to (runtime option `tasks.tracking`). */
  trackId?: number;
}

/** Detections of one frame. Plain JSON. */
export interface DetectionResult {
  task: 'detection';
  frameId: string;
  width: number;
  height: number;
  crs?: string;
  detections: Detection[];
  /** Candidates above the score threshold before NMS. */
  candidates: number;
  /** Candidates dropped because their box was empty or inverted. */
  invalidBoxes: number;
}

/** The three detection outputs of a frame. */
export interface DetectionOutputs {
  boxes: TaskOutput;
  scores: TaskOutput;
  classes: TaskOutput;
}

/** Options of {@link detectionResult}. */
export interface DetectionOptions {
  /** Class names (`manifest.labels.detection`); also bounds the class ids. */
  labels?: readonly string[];
  /** Minimum score (default 0.25). */
  scoreThreshold?: number;
  /** NMS IoU threshold (default 0.5). */
  iouThreshold?: number;
  /** Tiled frames: intersection-over-smaller above which boxes from different tiles merge (default 0.6). */
  crossTileIos?: number;
  /** Most detections to return (default 100). */
  maxDetections?: number;
  /** Suppress across classes (default false). */
  classAgnostic?: boolean;
}

/**
 * Post-processes detection outputs of a frame.
 * @throws EdgeError E_MODEL_OUTPUT for outputs that break the contract; E_INVALID_ARGUMENT for bad options
 * @example
 * const det = detectionResult({ boxes: out.det_boxes, scores: out.det_scores, classes: out.det_classes }, pre, { labels });
 */
export function detectionResult(outputs: DetectionOutputs, frame: FrameContext, options: DetectionOptions = {}): DetectionResult {
  const { layout } = frame;
  const n = layout.tiles.length;
  const boxes = stackOutput('det_boxes', outputs.boxes, 3, [undefined, 4], n);
  const m = boxes.shape[1]!;
  const scores = stackOutput('det_scores', outputs.scores, 2, [m], n);
  const classes = stackOutput('det_classes', outputs.classes, 2, [m], n);
  checkValues('det_boxes', boxes.data);
  checkValues('det_scores', scores.data, 0, 1);
  const k = options.labels?.length;
  for (let i = 0; i < classes.data.length; i++) {
    const c = classes.data[i]!;
    if (!Number.isInteger(c) || c < 0 || (k !== undefined && c >= k)) {
      throw new EdgeError('E_MODEL_OUTPUT', `output det_classes: value ${i} is ${c}; class ids must be integers in [0, ${k ?? 'K'})`, { field: 'det_classes' });
    }
  }
  const threshold = expectNumber('options.scoreThreshold', options.scoreThreshold ?? 0.25, 0, 1);
  const iouThreshold = expectNumber('options.iouThreshold', options.iouThreshold ?? 0.5, 0, 1);
  const crossTileIos = expectNumber('options.crossTileIos', options.crossTileIos ?? 0.6, 0, 1);
  const maxDetections = expectInteger('options.maxDetections', options.maxDetections ?? 100, 1);
  const { width, height } = layout.source;
  const candidates: (Candidate & { tile: number })[] = [];
  let invalid = 0;
  for (const t of layout.tiles) {
    for (let j = 0; j < m; j++) {
      const i = t.index * m + j;
      const score = scores.data[i]!;
      if (score < threshold) continue;
      const [u1, v1, u2, v2] = [boxes.data[4 * i]!, boxes.data[4 * i + 1]!, boxes.data[4 * i + 2]!, boxes.data[4 * i + 3]!];
      const [x1, y1] = inputToSource(layout, t, u1, v1);
      const [x2, y2] = inputToSource(layout, t, u2, v2);
      const box: Box = [clamp(x1, 0, width), clamp(y1, 0, height), clamp(x2, 0, width), clamp(y2, 0, height)];
      if (!(box[2] > box[0] && box[3] > box[1])) {
        invalid++;
        continue;
      }
      candidates.push({ box, score, classId: classes.data[i]!, tile: t.index });
    }
  }
  const kept = nonMaxSuppression(candidates, {
    iouThreshold,
    ...(layout.fit === 'tile' && n > 1 ? { crossTileIos } : {}),
    classAgnostic: options.classAgnostic ?? false,
    maxDetections,
  });
  const georef = layout.georef;
  const crs = georef ? crsLabel(georef) : undefined;
  return {
    task: 'detection',
    frameId: layout.frameId,
    width,
    height,
    ...(crs !== undefined ? { crs } : {}),
    detections: kept.map((c) => {
      const d: Detection = { classId: c.classId, label: labelOf(options.labels, c.classId), score: c.score, box: c.box, tile: c.tile };
      if (georef) {
        const [x1, y1, x2, y2] = c.box;
        const corners = ([[x1, y1], [x2, y1], [x2, y2], [x1, y2]] as const).map(([x, y]) => pixelToMap(georef, x, y));
        const xs = corners.map((p) => p[0]);
        const ys = corners.map((p) => p[1]);
        d.map = { bbox: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], corners };
      }
      return d;
    }),
    candidates: candidates.length,
    invalidBoxes: invalid,
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
