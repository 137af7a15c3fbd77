/**
 * The runtime's single calls outside the streaming pipeline: one frame (`infer`), and one set of
 * co-registered frames through a multi-input entry (`change`, `fuse`). Each holds the serving model
 * for its duration, delivers its outcome to events and MQTT like a streamed frame's, and resolves
 * once the outcome is stored for publishing.
 */
import { EdgeError } from '../core/errors.js';
import type { EntryManifest } from '../package/package-manifest.js';
import { invalidOption } from '../core/validate.js';
import { checkFrameFields, type Frame } from '../sensors/frame.js';
import type { FrameStages } from '../pipeline/frame-stages.js';
import type { LoadedModel } from '../pipeline/loaded-model.js';
import type { MetricsCollector } from '../pipeline/metrics.js';
import type { ModelLease } from '../pipeline/model-lease.js';
import type { Prepared } from '../pipeline/preprocess.js';
import { failure, failureError, type FrameOutcome, type InferenceResult } from '../pipeline/results.js';

/** What a single call needs from the runtime. */
export interface CallHost {
  readonly metrics: MetricsCollector;
  readonly stages: FrameStages;
  /** A hold on the serving model for the call. */
  lease(): ModelLease;
  /** Events and MQTT for the outcome; `stored` settles once it is stored for publishing. */
  deliver(outcome: FrameOutcome): Promise<{ stored: Promise<void> }>;
}

/** What a multi-input call runs: the entry, its frames and the input name of each. */
export interface MultiPlan {
  entry: EntryManifest;
  frames: Frame[];
  names: string[];
}

/**
 * Runs one frame: preprocessing, inference, post-processing.
 * @throws EdgeError the frame's failure (see Runtime.infer)
 */
export async function inferFrame(host: CallHost, frame: Frame): Promise<InferenceResult> {
  const t0 = performance.now();
  host.metrics.received++;
  const id = typeof frame?.id === 'string' && frame.id.length > 0 ? frame.id : '(no id)';
  const lease = host.lease();
  const model = lease.model;
  let outcome: FrameOutcome;
  try {
    const entry = host.stages.entryOf(model, frame);
    const pre = await host.stages.preprocess(frame, model);
    const item: Prepared = { seq: 0, id, frame, admittedAt: t0, pre, preprocessMs: performance.now() - t0, lease };
    [outcome] = (await host.stages.processBatch(model, entry, [item])) as [FrameOutcome];
  } catch (err) {
    host.metrics.failed++;
    outcome = failure(id, 'preprocess', err);
  } finally {
    lease.release();
  }
  return settle(host, outcome);
}

/**
 * A multi-input entry (change, fusion) on one set of co-registered frames; `plan` picks the entry
 * and orders the frames for the serving model.
 * @throws EdgeError the call's failure (see Runtime.change, Runtime.fuse)
 */
export async function inferMulti(
  host: CallHost,
  first: Frame,
  plan: (m: LoadedModel) => MultiPlan,
): Promise<InferenceResult> {
  const lease = host.lease();
  const model = lease.model;
  const t0 = performance.now();
  host.metrics.received++;
  let outcome: FrameOutcome;
  try {
    const { entry, frames, names } = plan(model);
    outcome = await host.stages.runMulti(model, entry, frames, names, first, t0);
  } catch (err) {
    host.metrics.failed++;
    outcome = failure(first.id, 'inference', err);
  } finally {
    lease.release();
  }
  return settle(host, outcome);
}

/** Delivers a call's outcome and waits until it is stored; a failure becomes its error. */
export async function settle(host: Pick<CallHost, 'deliver'>, outcome: FrameOutcome): Promise<InferenceResult> {
  await (
    await host.deliver(outcome)
  ).stored;
  if (!outcome.ok) throw failureError(outcome);
  return outcome;
}

/**
 * The plan of a change-detection call, after checking the two frames.
 * @throws EdgeError E_FRAME_INVALID (not frames, or not of one modality)
 */
export function changePlan(before: Frame, after: Frame): (m: LoadedModel) => MultiPlan {
  const a = checkFrameFields(before);
  checkFrameFields(after);
  if (before.modality !== after.modality) {
    throw new EdgeError(
      'E_FRAME_INVALID',
      `frame ${JSON.stringify(a.id)}: change detection needs two frames of one modality, got ${before.modality} and ${after.modality}`,
      { field: 'after.modality' },
    );
  }
  return (model) => {
    const entry = model.changeEntry(before.modality);
    return { entry, frames: [before, after], names: ['image_t0', 'image_t1'] };
  };
}

/**
 * The plan of a fusion call, after checking the frames: one per modality, in the entry's input order.
 * @throws EdgeError E_INVALID_ARGUMENT (field `frames`), E_FRAME_INVALID
 */
export function fusionPlan(frames: Frame[]): (m: LoadedModel) => MultiPlan {
  if (!Array.isArray(frames) || frames.length < 2)
    throw invalidOption('frames', 'an array of at least two frames (one per modality)', frames);
  frames.forEach(checkFrameFields);
  const modalities = frames.map((f) => f.modality);
  if (new Set(modalities).size !== modalities.length)
    throw invalidOption('frames', 'one frame per modality', modalities.join(', '));
  return (model) => {
    const entry = model.fusionEntry(modalities);
    const ordered = entry.inputs.map((i) => frames.find((f) => f.modality === i.modality)!);
    return { entry, frames: ordered, names: entry.inputs.map((i) => i.name) };
  };
}
