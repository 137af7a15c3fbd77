/**
 * The views of a runtime that its pipeline and its single calls get: each sees only the pieces it
 * uses (the serving model's leases, the frame stages, delivery, metrics, the open work).
 */
import type { FrameStages } from '../pipeline/frame-stages.js';
import type { MetricsCollector } from '../pipeline/metrics.js';
import type { ServingModel } from '../pipeline/serving-model.js';
import type { StreamHost } from '../pipeline/stream.js';
import type { Clock } from '../core/clock.js';
import type { CallHost } from './frame-calls.js';
import type { OpenWork } from './open-work.js';
import type { ResolvedRuntimeOptions } from './options.js';
import type { OutcomeDelivery } from './outcome-delivery.js';
import type { TensorCallHost } from './tensor-call.js';

/** The pieces of a runtime the hosts are made of. */
export interface RuntimePieces {
  readonly o: ResolvedRuntimeOptions;
  readonly metrics: MetricsCollector;
  readonly stages: FrameStages;
  readonly serving: ServingModel;
  readonly delivery: OutcomeDelivery;
  readonly work: OpenWork;
  readonly clock: Clock;
}

/** What `infer`, `change` and `fuse` run with. */
export function callHost(p: RuntimePieces): CallHost {
  return {
    metrics: p.metrics,
    stages: p.stages,
    lease: () => p.serving.lease(),
    deliver: (out) => p.delivery.deliver(out),
  };
}

/** What `inferTensors` runs with. */
export function tensorCallHost(p: RuntimePieces): TensorCallHost {
  return { ...callHost(p), backend: p.stages.backend, tasks: p.o.tasks, clock: p.clock };
}

/** What `run` streams with. */
export function streamHost(p: RuntimePieces): StreamHost {
  return {
    metrics: p.metrics,
    batchMax: p.o.batchMax,
    batchDeadlineMs: p.o.batchDeadlineMs,
    acquire: () => p.serving.lease(),
    entryOf: (m, f) => p.stages.entryOf(m, f),
    preprocess: (f, m) => p.stages.preprocess(f, m),
    inferBatch: (m, e, items) => p.stages.inferBatch(m, e, items),
    postprocessBatch: (batch) => p.stages.postprocessBatch(batch),
    deliver: (out) => p.delivery.deliver(out),
    closing: () => p.work.closing,
    register: (stream) => p.work.register(stream),
  };
}
