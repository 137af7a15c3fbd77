/**
 * Detection: boxes — axis-aligned `det_boxes` [N, M, 4] (x1, y1, x2, y2 in input pixels) or oriented
 * `det_rboxes` [N, M, 5] / `det_quads` [N, M, 8] (detection-oriented.ts) — with `det_scores` [N, M]
 * in [0, 1] and `det_classes` [N, M] → score threshold, boxes mapped back to source pixels (tile
 * origin, resize scale and crop offset), class-wise NMS across the whole frame with cross-tile
 * merging (exact polygon IoU for oriented boxes), and — when the frame is georeferenced — map
 * coordinates.
 */
import { expectInteger, expectNumber, invalidOption } from '../core/validate.js';
import {
  crsLabel,
  footprintLonLat,
  pixelToLonLat,
  pixelToMap,
  type LonLatPolygon,
} from '../sensors/geometry/georef.js';
import { inputToSource } from '../sensors/geometry/layout.js';
import { nonMaxSuppression, type Box, type Candidate } from './nms.js';
import { ORIENTED_WIDTH, orientedCandidate, type OrientedLayout } from './detection-oriented.js';
import type { OrientedBox } from '../core/geometry/oriented-box.js';
import { polygonBounds, type Point } from '../core/geometry/polygon.js';
import { rotatedNonMaxSuppression, type OrientedCandidate } from './rotated-nms.js';
import { checkValues, labelOf, stackOutput, type FrameContext, type TaskOutput } from './outputs.js';
import { EdgeError } from '../core/errors.js';

/** One detection. Coordinates are source pixel-corner coordinates. */
export interface Detection {
  classId: number;
  label: string;
  score: number;
  /** [x1, y1, x2, y2]: the box, or for an oriented detection its polygon's bounds clipped to the frame. */
  box: Box;
  /** The outline, clockwise on screen: the box's four corners, or the oriented polygon. */
  polygon: [number, number][];
  /** Oriented detections: the box, angle in radians (convention `le90`: w ≥ h, angle in [−π/2, π/2)). */
  obox?: OrientedBox;
  /** Model input (tile) it came from. */
  tile: number;
  /** Map coordinates, when the frame is georeferenced. */
  map?: {
    /** [minX, minY, maxX, maxY] of the box's corners in map units. */
    bbox: [number, number, number, number];
    /** The polygon's corners in map units: (x1,y1), (x2,y1), (x2,y2), (x1,y2) for an axis-aligned box. */
    corners: [number, number][];
    /** The same corners in WGS 84 [longitude, latitude] degrees, when the CRS has a definition. */
    lonLat?: [number, number][];
  };
  /** Id of the track the detection belongs to (runtime option `tasks.tracking`). */
  trackId?: number;
}

/** Detections of one frame. Plain JSON. */
export interface DetectionResult {
  task: 'detection';
  frameId: string;
  /** `axis`: axis-aligned boxes; `oriented`: every detection has `obox` and a rotated polygon. */
  geometry: 'axis' | 'oriented';
  width: number;
  height: number;
  crs?: string;
  /** The frame's outline in WGS 84 longitude/latitude (GeoJSON), when its CRS has a definition. */
  footprint?: LonLatPolygon;
  detections: Detection[];
  /** Candidates above the score threshold before NMS. */
  candidates: number;
  /** Candidates dropped because their box was empty or inverted. */
  invalidBoxes: number;
}

/** The detection outputs of a frame: scores, classes and at least one kind of box. */
export interface DetectionOutputs {
  /** `det_boxes`. */
  boxes?: TaskOutput;
  /** `det_rboxes`. */
  rboxes?: TaskOutput;
  /** `det_quads`. */
  quads?: TaskOutput;
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
  /** Which boxes to use when the outputs hold both kinds (default `oriented`). */
  geometry?: 'axis' | 'oriented';
}

/**
 * Post-processes detection outputs of a frame. Oriented boxes (`rboxes`, `quads`) are used when
 * given, unless `geometry: 'axis'` picks `boxes`.
 * @throws EdgeError E_MODEL_OUTPUT for outputs that break the contract; E_INVALID_ARGUMENT for bad options
 * @example
 * const det = detectionResult({ boxes: out.det_boxes, scores: out.det_scores, classes: out.det_classes }, pre, { labels });
 * const ships = detectionResult({ rboxes: out.det_rboxes, scores: out.det_scores, classes: out.det_classes }, pre, { labels });
 */
export function detectionResult(
  outputs: DetectionOutputs,
  frame: FrameContext,
  options: DetectionOptions = {},
): DetectionResult {
  const { layout } = frame;
  const n = layout.tiles.length;
  const geometry = options.geometry ?? 'oriented';
  if (geometry !== 'axis' && geometry !== 'oriented')
    throw invalidOption('options.geometry', '"axis" or "oriented"', geometry);
  const oriented: OrientedLayout | undefined =
    outputs.rboxes && (geometry === 'oriented' || !outputs.boxes)
      ? 'rbox'
      : outputs.quads && (geometry === 'oriented' || !outputs.boxes)
        ? 'quad'
        : undefined;
  const boxName = oriented === 'rbox' ? 'det_rboxes' : oriented === 'quad' ? 'det_quads' : 'det_boxes';
  const boxOutput = oriented === 'rbox' ? outputs.rboxes : oriented === 'quad' ? outputs.quads : outputs.boxes;
  if (!boxOutput)
    throw new EdgeError('E_MODEL_OUTPUT', 'detection needs det_boxes, det_rboxes or det_quads; none was given', {
      field: 'det_boxes',
    });
  const boxes = stackOutput(boxName, boxOutput, 3, [undefined, oriented ? ORIENTED_WIDTH[oriented] : 4], n);
  const m = boxes.shape[1]!;
  const scores = stackOutput('det_scores', outputs.scores, 2, [m], n);
  const classes = stackOutput('det_classes', outputs.classes, 2, [m], n);
  checkValues(boxName, boxes.data);
  checkValues('det_scores', scores.data, 0, 1);
  const k = options.labels?.length;
  for (let i = 0; i < classes.data.length; i++) {
    const c = classes.data[i]!;
    if (!Number.isInteger(c) || c < 0 || (k !== undefined && c >= k)) {
      throw new EdgeError(
        'E_MODEL_OUTPUT',
        `output det_classes: value ${i} is ${c}; class ids must be integers in [0, ${k ?? 'K'})`,
        { field: 'det_classes' },
      );
    }
  }
  const threshold = expectNumber('options.scoreThreshold', options.scoreThreshold ?? 0.25, 0, 1);
  const iouThreshold = expectNumber('options.iouThreshold', options.iouThreshold ?? 0.5, 0, 1);
  const crossTileIos = expectNumber('options.crossTileIos', options.crossTileIos ?? 0.6, 0, 1);
  const maxDetections = expectInteger('options.maxDetections', options.maxDetections ?? 100, 1);
  const { width, height } = layout.source;
  const nms = {
    iouThreshold,
    ...(layout.fit === 'tile' && n > 1 ? { crossTileIos } : {}),
    classAgnostic: options.classAgnostic ?? false,
    maxDetections,
  };
  let invalid = 0;
  let count: number;
  let kept: { box: Box; polygon: Point[]; obox?: OrientedBox; score: number; classId: number; tile: number }[];
  if (oriented) {
    const candidates: (OrientedCandidate & { tile: number })[] = [];
    for (const t of layout.tiles) {
      for (let j = 0; j < m; j++) {
        const i = t.index * m + j;
        const score = scores.data[i]!;
        if (score < threshold) continue;
        const shape = orientedCandidate(layout, t, oriented, boxes.data, i);
        if (!shape) {
          invalid++;
          continue;
        }
        candidates.push({ ...shape, score, classId: classes.data[i]!, tile: t.index });
      }
    }
    count = candidates.length;
    kept = rotatedNonMaxSuppression(candidates, nms).map((c) => {
      const [x0, y0, x1, y1] = polygonBounds(c.polygon!);
      return {
        ...c,
        polygon: c.polygon!,
        box: [clamp(x0, 0, width), clamp(y0, 0, height), clamp(x1, 0, width), clamp(y1, 0, height)],
      };
    });
  } else {
    const candidates: (Candidate & { tile: number })[] = [];
    for (const t of layout.tiles) {
      for (let j = 0; j < m; j++) {
        const i = t.index * m + j;
        const score = scores.data[i]!;
        if (score < threshold) continue;
        const [u1, v1, u2, v2] = [
          boxes.data[4 * i]!,
          boxes.data[4 * i + 1]!,
          boxes.data[4 * i + 2]!,
          boxes.data[4 * i + 3]!,
        ];
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
    count = candidates.length;
    kept = nonMaxSuppression(candidates, nms).map((c) => {
      const [x1, y1, x2, y2] = c.box;
      return {
        ...c,
        polygon: [
          [x1, y1],
          [x2, y1],
          [x2, y2],
          [x1, y2],
        ],
      };
    });
  }
  const georef = layout.georef;
  const crs = georef ? crsLabel(georef) : undefined;
  const footprint = georef ? footprintLonLat(georef, width, height) : undefined;
  return {
    task: 'detection',
    frameId: layout.frameId,
    geometry: oriented ? 'oriented' : 'axis',
    width,
    height,
    ...(crs !== undefined ? { crs } : {}),
    ...(footprint ? { footprint } : {}),
    detections: kept.map((c) => {
      const d: Detection = {
        classId: c.classId,
        label: labelOf(options.labels, c.classId),
        score: c.score,
        box: c.box,
        polygon: c.polygon.map(([x, y]) => [x, y]),
        ...(c.obox ? { obox: c.obox } : {}),
        tile: c.tile,
      };
      if (georef) {
        const corners = c.polygon.map(([x, y]) => pixelToMap(georef, x, y));
        const xs = corners.map((p) => p[0]);
        const ys = corners.map((p) => p[1]);
        d.map = { bbox: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], corners };
        if (footprint) {
          const lonLat = c.polygon.map(([x, y]) => pixelToLonLat(georef, x, y));
          if (lonLat.every((p) => p !== undefined)) d.map.lonLat = lonLat as [number, number][];
        }
      }
      return d;
    }),
    candidates: count,
    invalidBoxes: invalid,
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
