/**
 * Turning an entry's outputs for one frame into the typed result a caller (and MQTT) receives.
 */
import type { ErrorCode } from '../core/errors.js';
import { EdgeError, messageOf } from '../core/errors.js';
import type { EntryManifest, PackageManifest } from '../package/package-manifest.js';
import type { ModalityId } from '../core/modalities.js';
import type { PreprocessedFrame } from '../sensors/geometry/layout.js';
import type { LonLatPolygon } from '../sensors/geometry/georef.js';
import { changeResult, type ChangeOptions, type ChangeResult } from '../tasks/change.js';
import {
  classificationResult,
  type ClassificationOptions,
  type ClassificationResult,
} from '../tasks/classification.js';
import { depthResult, type DepthOptions, type DepthResult } from '../tasks/depth.js';
import { detectionResult, type DetectionOptions, type DetectionResult } from '../tasks/detection.js';
import { segmentationResult, type SegmentationOptions, type SegmentationResult } from '../tasks/segmentation.js';
import type { TrackingResult } from '../tracking/result-tracking.js';
import type { TrackingOptions } from '../tracking/tracking-options.js';
import { rawOutputsResult, type RawOutputsOptions, type RawOutputsResult } from '../tasks/raw-outputs.js';
import type { BackendName } from '../core/backend.js';
import type { HostTensor } from '../core/host-tensor.js';

/** Per-task options; `false` turns a task off. */
export interface TaskOptions {
  classification?: false | Omit<ClassificationOptions, 'labels'>;
  segmentation?: false | Omit<SegmentationOptions, 'labels'>;
  detection?: false | Omit<DetectionOptions, 'labels'>;
  depth?: false | DepthOptions;
  change?: false | ChangeOptions;
  /** Include the pooled embedding (off by default: it is large and rarely sent over the air). */
  features?: boolean;
  /** Track detections across frames (ByteTrack; off by default): `true` or tracker options (docs/tracking.md). */
  tracking?: boolean | TrackingOptions;
  /** Raw outputs of imported models (`kind: 'raw'`): on by default; `false` leaves them out. */
  raw?: false | RawOutputsOptions;
}

/** Results per task, for the tasks the entry has and the options leave on. */
export interface TaskResults {
  classification?: ClassificationResult;
  segmentation?: SegmentationResult;
  detection?: DetectionResult;
  depth?: DepthResult;
  change?: ChangeResult;
  features?: { embedding: number[] };
  /** Tracks of the detections (with `tasks.tracking`). */
  tracking?: TrackingResult;
  raw?: RawOutputsResult;
}

/** Where a frame's time went, in milliseconds. */
export interface LatencyBreakdown {
  /** Decode + radiometry + fitting (on a worker thread when a pool is used). */
  preprocess: number;
  /** Waiting for the engine (queues and batching). */
  queue: number;
  /** The batch's inference time (shared by the frames of the batch). */
  inference: number;
  postprocess: number;
  /** Admission to result. */
  total: number;
}

/** The result of one frame. Plain JSON (no typed arrays unless a task asks for rasters). */
export interface InferenceResult {
  ok: true;
  frameId: string;
  modality: ModalityId;
  entry: string;
  timestamp: number | string;
  model: { name: string; version: string; packageHash: string };
  backend: BackendName;
  tasks: TaskResults;
  latencyMs: LatencyBreakdown;
  /** Source size, model inputs (tiles) used, and the CRS and WGS 84 footprint (GeoJSON) when georeferenced. */
  frame: { width: number; height: number; inputs: number; crs?: string; footprint?: LonLatPolygon };
  warnings: string[];
}

/** A frame that produced no result, and why. */
export interface FrameFailure {
  ok: false;
  frameId: string;
  stage: 'admission' | 'preprocess' | 'inference' | 'postprocess' | 'dropped';
  error: { code: ErrorCode; message: string; file?: string; field?: string; hint?: string };
}

/** What a frame came to: a result (`ok: true`) or a failure with its reason. */
export type FrameOutcome = InferenceResult | FrameFailure;

/** The failure record of an error at `stage`. */
export function failure(frameId: string, stage: FrameFailure['stage'], err: unknown): FrameFailure {
  const e =
    err instanceof EdgeError
      ? err
      : new EdgeError(stage === 'inference' ? 'E_INFERENCE' : 'E_INTERNAL', messageOf(err), { cause: err });
  return { ok: false, frameId, stage, error: e.toJSON() };
}

/** Output names an entry must produce for the enabled tasks. */
export function neededOutputs(entry: EntryManifest, tasks: TaskOptions): string[] {
  const want = new Set<string>();
  const has = (n: string) => entry.outputs.some((o) => o.name === n);
  if (tasks.classification !== false && has('cls_logits')) want.add('cls_logits');
  if (tasks.segmentation !== false && has('seg_logits')) want.add('seg_logits');
  if (tasks.detection !== false && (has('det_boxes') || has('det_rboxes') || has('det_quads'))) {
    const geometry = tasks.detection?.geometry ?? 'oriented';
    const oriented = has('det_rboxes') ? 'det_rboxes' : has('det_quads') ? 'det_quads' : undefined;
    want.add(oriented && (geometry === 'oriented' || !has('det_boxes')) ? oriented : 'det_boxes');
    ['det_scores', 'det_classes'].forEach((n) => want.add(n));
  }
  if (tasks.depth !== false && has('depth')) want.add('depth');
  if (tasks.change !== false && has('change_prob')) want.add('change_prob');
  if (tasks.features && has('embedding')) want.add('embedding');
  if (tasks.raw !== false) for (const o of entry.outputs) if (o.kind === 'raw') want.add(o.name);
  if (want.size === 0) entry.outputs.forEach((o) => want.add(o.name));
  return [...want];
}

/** Runs the task post-processing of one frame's outputs. */
export function taskResults(
  outputs: Record<string, HostTensor>,
  frame: PreprocessedFrame,
  manifest: PackageManifest,
  tasks: TaskOptions,
): TaskResults {
  const labels = manifest.labels ?? {};
  const r: TaskResults = {};
  if (outputs.cls_logits && tasks.classification !== false) {
    r.classification = classificationResult(outputs.cls_logits, frame, {
      ...(tasks.classification ?? {}),
      ...(labels.classification ? { labels: labels.classification } : {}),
    });
  }
  if (outputs.seg_logits && tasks.segmentation !== false) {
    r.segmentation = segmentationResult(outputs.seg_logits, frame, {
      ...(tasks.segmentation ?? {}),
      ...(labels.segmentation ? { labels: labels.segmentation } : {}),
    });
  }
  if (
    (outputs.det_boxes || outputs.det_rboxes || outputs.det_quads) &&
    outputs.det_scores &&
    outputs.det_classes &&
    tasks.detection !== false
  ) {
    r.detection = detectionResult(
      {
        ...(outputs.det_boxes ? { boxes: outputs.det_boxes } : {}),
        ...(outputs.det_rboxes ? { rboxes: outputs.det_rboxes } : {}),
        ...(outputs.det_quads ? { quads: outputs.det_quads } : {}),
        scores: outputs.det_scores,
        classes: outputs.det_classes,
      },
      frame,
      { ...(tasks.detection ?? {}), ...(labels.detection ? { labels: labels.detection } : {}) },
    );
  }
  if (outputs.depth && tasks.depth !== false) r.depth = depthResult(outputs.depth, frame, tasks.depth ?? {});
  if (outputs.change_prob && tasks.change !== false)
    r.change = changeResult(outputs.change_prob, frame, tasks.change ?? {});
  if (outputs.embedding && tasks.features) {
    const e = outputs.embedding;
    const d = e.shape[1]!;
    const mean = new Array<number>(d).fill(0);
    const n = e.shape[0]!;
    const x = e.data as Float32Array;
    for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k]! += x[i * d + k]! / n;
    r.features = { embedding: mean };
  }
  if (tasks.raw !== false) {
    const raw = Object.fromEntries(
      Object.entries(outputs).filter(([name]) =>
        manifest.entries.some((e) => e.outputs.some((o) => o.name === name && o.kind === 'raw')),
      ),
    );
    if (Object.keys(raw).length) r.raw = rawOutputsResult(raw, frame.layout.frameId, tasks.raw ?? {});
  }
  return r;
}

/**
 * The EdgeError a failed single-frame call throws: code, file, field, hint and message as the
 * failure reports them.
 * @example
 * if (!outcome.ok) throw failureError(outcome);
 */
export function failureError(f: FrameFailure): EdgeError {
  const e = new EdgeError(f.error.code, 'x', {
    ...(f.error.file !== undefined ? { file: f.error.file } : {}),
    ...(f.error.field !== undefined ? { field: f.error.field } : {}),
    ...(f.error.hint !== undefined ? { hint: f.error.hint } : {}),
  });
  // The failure's message already carries the file/field prefix and the hint.
  Object.defineProperty(e, 'message', {
    value: f.error.message,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  return e;
}
