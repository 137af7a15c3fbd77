/**
 * `runtime.inferTensors`: raw input tensors through an entry, every output back as a raw output.
 * For models whose inputs are not images (audio, tabular) or callers that preprocess themselves.
 */
import type { Clock } from '../core/clock.js';
import { EdgeError } from '../core/errors.js';
import type { BackendName } from '../core/backend.js';
import type { HostTensor } from '../core/host-tensor.js';
import type { EntryManifest } from '../package/package-manifest.js';
import type { LoadedModel } from '../pipeline/loaded-model.js';
import { failure, type FrameOutcome, type InferenceResult, type TaskOptions } from '../pipeline/results.js';
import { rawOutputsResult } from '../tasks/raw-outputs.js';
import { settle, type CallHost } from './frame-calls.js';
import { checkTensorFeeds } from './tensor-feeds.js';

/** What a tensor call needs from the runtime. */
export interface TensorCallHost extends Pick<CallHost, 'metrics' | 'lease' | 'deliver'> {
  readonly backend: BackendName;
  readonly tasks: TaskOptions;
  /** Stamps results that come without a timestamp. */
  readonly clock: Clock;
}

/** Options of one tensor call. */
export interface TensorCallOptions {
  entry?: string;
  timestamp?: number | string;
}

/**
 * Runs `feeds` through an entry of the serving model.
 * @throws EdgeError E_INVALID_ARGUMENT (entry, feeds), E_INFERENCE
 */
export async function inferTensors(
  host: TensorCallHost,
  id: string,
  feeds: Record<string, HostTensor>,
  options: TensorCallOptions,
): Promise<InferenceResult> {
  const t0 = performance.now();
  host.metrics.received++;
  const lease = host.lease();
  const model = lease.model;
  let outcome: FrameOutcome;
  try {
    const entry = tensorEntry(model, options.entry);
    const checked = checkTensorFeeds(entry, feeds);
    const t1 = performance.now();
    const outputs = await model.run(entry.name, checked);
    const t2 = performance.now();
    const raw = rawOutputsResult(outputs, id, host.tasks.raw === false ? {} : (host.tasks.raw ?? {}));
    const t3 = performance.now();
    const latency = { preprocess: t1 - t0, queue: 0, inference: t2 - t1, postprocess: t3 - t2, total: t3 - t0 };
    host.metrics.recordBatch(1);
    host.metrics.recordResult(latency);
    const first = checked[entry.inputs[0]!.name]!;
    outcome = {
      ok: true,
      frameId: id,
      modality: 'tensor',
      entry: entry.name,
      timestamp: options.timestamp ?? host.clock.now(),
      model: { name: model.name, version: model.version, packageHash: model.pkg.packageHash },
      backend: host.backend,
      tasks: { raw },
      latencyMs: latency,
      frame: { width: 0, height: 0, inputs: first.shape.length > 0 ? first.shape[0]! : 1 },
      warnings: [],
    };
  } catch (err) {
    host.metrics.failed++;
    outcome = failure(id, 'inference', err);
  }
  lease.release();
  return settle(host, outcome);
}

/** The named entry, else the package's only entry, else its only imported one. */
function tensorEntry(model: LoadedModel, name: string | undefined): EntryManifest {
  const m = model.pkg.manifest;
  const entries = m.entries;
  const entry =
    name !== undefined
      ? model.pkg.entry(name)
      : entries.length === 1
        ? entries[0]!
        : entries.filter((e) => e.kind === 'imported').length === 1
          ? entries.find((e) => e.kind === 'imported')!
          : undefined;
  if (!entry)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `package ${m.name} has several entries (${entries.map((e) => e.name).join(', ')}); name one`,
      { field: 'options.entry' },
    );
  return entry;
}
