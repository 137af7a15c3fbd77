/**
 * What a frame that ran through records: the result record (model, backend, tasks, source
 * geometry) and, for a frame that came through the queue, its latency breakdown.
 */
import type { BackendName } from '../core/backend.js';
import type { Frame } from '../sensors/frame.js';
import { crsLabel, footprintLonLat } from '../sensors/geometry/georef.js';
import type { PreprocessedFrame } from '../sensors/geometry/layout.js';
import type { LoadedModel } from './loaded-model.js';
import type { Prepared } from './preprocess.js';
import type { InferenceResult, LatencyBreakdown } from './results.js';

/**
 * The result record of one frame.
 * @example
 * const r = frameResult(model, 'onnxruntime', 'optical', frame, pre, tasks, latency);
 */
export function frameResult(
  model: LoadedModel,
  backend: BackendName,
  entry: string,
  frame: Frame,
  pre: PreprocessedFrame,
  tasks: InferenceResult['tasks'],
  latencyMs: LatencyBreakdown,
): InferenceResult {
  const georef = pre.layout.georef;
  const crs = georef ? crsLabel(georef) : undefined;
  const footprint = georef ? footprintLonLat(georef, pre.layout.source.width, pre.layout.source.height) : undefined;
  return {
    ok: true,
    frameId: frame.id,
    modality: frame.modality,
    entry,
    timestamp: frame.timestamp,
    model: { name: model.name, version: model.version, packageHash: model.pkg.packageHash },
    backend,
    tasks,
    latencyMs,
    frame: {
      width: pre.layout.source.width,
      height: pre.layout.source.height,
      inputs: pre.layout.tiles.length,
      ...(crs ? { crs } : {}),
      ...(footprint ? { footprint } : {}),
    },
    warnings: pre.warnings,
  };
}

/**
 * The latency breakdown of a queued frame whose batch started inference at `t0` (all times
 * performance.now()); its post-processing ran from `p0` to `done`.
 */
export function queuedLatency(
  it: Pick<Prepared, 'preprocessMs' | 'admittedAt'>,
  t0: number,
  inferenceMs: number,
  p0: number,
  done: number,
): LatencyBreakdown {
  return {
    preprocess: it.preprocessMs,
    queue: Math.max(0, t0 - it.admittedAt - it.preprocessMs),
    inference: inferenceMs,
    postprocess: done - p0,
    total: done - it.admittedAt,
  };
}
