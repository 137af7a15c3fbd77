/**
 * The runtime's metrics: throughput, per-stage latency percentiles, drops, queue depths, backend
 * in use (with the reasons other backends were skipped).
 */
import { LatencyWindow, RateMeter, type Percentiles } from './latency-stats.js';
import type { LatencyBreakdown } from './results.js';

/** A snapshot of the runtime's counters and latency percentiles (`runtime.metrics()`, the `metrics` event). */
export interface RuntimeMetrics {
  backend: string;
  /** Backends skipped by `auto` and why (e.g. `tensorrt unavailable: ...`). */
  backendSkipped: { name: string; reason: string }[];
  model: { name: string; version: string };
  frames: { received: number; completed: number; failed: number; dropped: number };
  /** Completed frames per second over the last 5 s. */
  fps: number;
  latencyMs: Record<keyof LatencyBreakdown, Percentiles>;
  queues: { admission: { depth: number; highWater: number }; ready: { depth: number; highWater: number } };
  batches: { count: number; meanInputs: number };
  swaps: number;
  mqtt?: Record<string, unknown>;
}

const STAGES: (keyof LatencyBreakdown)[] = ['preprocess', 'queue', 'inference', 'postprocess', 'total'];

/**
 * Counters and latency windows the pipeline updates as frames pass.
 * @example
 * const c = new MetricsCollector(); c.recordBatch(4); c.snapshot(base).batches.meanInputs; // 4
 */
export class MetricsCollector {
  received = 0;
  completed = 0;
  failed = 0;
  dropped = 0;
  batches = 0;
  batchInputs = 0;
  swaps = 0;
  readonly queueDepth = { admission: { depth: 0, highWater: 0 }, ready: { depth: 0, highWater: 0 } };
  private readonly windows = Object.fromEntries(STAGES.map((s) => [s, new LatencyWindow()])) as Record<
    keyof LatencyBreakdown,
    LatencyWindow
  >;
  private readonly rate = new RateMeter();

  recordResult(l: LatencyBreakdown): void {
    this.completed++;
    this.rate.tick();
    for (const s of STAGES) this.windows[s].add(l[s]);
  }

  recordBatch(inputs: number): void {
    this.batches++;
    this.batchInputs += inputs;
  }

  snapshot(
    base: Pick<RuntimeMetrics, 'backend' | 'backendSkipped' | 'model'>,
    mqtt?: Record<string, unknown>,
  ): RuntimeMetrics {
    return {
      ...base,
      frames: { received: this.received, completed: this.completed, failed: this.failed, dropped: this.dropped },
      fps: this.rate.rate(),
      latencyMs: Object.fromEntries(
        STAGES.map((s) => [s, this.windows[s].percentiles()]),
      ) as RuntimeMetrics['latencyMs'],
      queues: structuredClone(this.queueDepth),
      batches: { count: this.batches, meanInputs: this.batches ? this.batchInputs / this.batches : 0 },
      swaps: this.swaps,
      ...(mqtt ? { mqtt } : {}),
    };
  }
}

/** Flattens metrics to the scalar map MQTT metrics messages carry. */
export function flattenMetrics(m: RuntimeMetrics): Record<string, number | string | boolean | null> {
  const out: Record<string, number | string | boolean | null> = {
    backend: m.backend,
    model: `${m.model.name}@${m.model.version}`,
    fps: Number(m.fps.toFixed(3)),
    'frames.received': m.frames.received,
    'frames.completed': m.frames.completed,
    'frames.failed': m.frames.failed,
    'frames.dropped': m.frames.dropped,
    'queues.admission.depth': m.queues.admission.depth,
    'queues.ready.depth': m.queues.ready.depth,
    'batches.meanInputs': Number(m.batches.meanInputs.toFixed(3)),
    swaps: m.swaps,
  };
  for (const [stage, p] of Object.entries(m.latencyMs)) {
    out[`latency.${stage}.p50`] = Number(p.p50.toFixed(3));
    out[`latency.${stage}.p95`] = Number(p.p95.toFixed(3));
    out[`latency.${stage}.p99`] = Number(p.p99.toFixed(3));
  }
  if (m.backendSkipped.length) out.backendSkipped = m.backendSkipped.map((s) => s.reason).join('; ');
  return out;
}
