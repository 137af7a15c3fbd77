/**
 * What a runtime reports about itself: metrics on demand and every `metricsIntervalMs` (the
 * `metrics` event, and over MQTT), and its state messages (running, stopped, swapped).
 */
import type { TypedEmitter } from '../core/typed-emitter.js';
import type { Clock, ClockTimer } from '../core/clock.js';
import type { ResultPublisher } from '../mqtt/publisher.js';
import type { LoadedModel } from '../pipeline/loaded-model.js';
import { flattenMetrics, type MetricsCollector, type RuntimeMetrics } from '../pipeline/metrics.js';
import type { BackendSelection } from './backends/select.js';
import type { ResultPublishing } from './result-publishing.js';
import type { RuntimeEvents } from './runtime-events.js';

/** What reporting reads from the runtime. */
export interface ReportingSource {
  readonly events: TypedEmitter<RuntimeEvents>;
  readonly metrics: MetricsCollector;
  readonly selection: BackendSelection;
  readonly publisher: ResultPublisher | undefined;
  readonly publishing: ResultPublishing | undefined;
  /** The serving model now. */
  serving(): LoadedModel;
}

/**
 * Metrics and state of one runtime, with the periodic metrics on `clock` (started at once; the
 * system clock's timers never keep the process alive).
 * @example
 * const reporting = new RuntimeReporting(source, 10_000, systemClock);
 * reporting.snapshot().fps; reporting.stop();
 */
export class RuntimeReporting {
  private timer: ClockTimer | undefined;

  constructor(
    private readonly src: ReportingSource,
    private readonly intervalMs: number,
    private readonly clock: Clock,
  ) {
    this.schedule();
  }

  /** The next periodic tick, `intervalMs` from now; each tick schedules the next before it runs. */
  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      this.schedule();
      void this.tick();
    }, this.intervalMs);
  }

  /** Current metrics: frames, fps, per-stage latency percentiles, queue depths, batching, backend, MQTT. */
  snapshot(): RuntimeMetrics {
    const { metrics, selection, publisher, publishing } = this.src;
    const m = this.src.serving();
    return metrics.snapshot(
      {
        backend: selection.backend.name,
        backendSkipped: selection.skipped,
        model: { name: m.name, version: m.version },
      },
      publisher
        ? {
            ...(publisher.status() as unknown as Record<string, unknown>),
            resultsPublished: publishing!.published,
            resultsFailed: publishing!.failed,
          }
        : undefined,
    );
  }

  /** Emits the metrics and publishes them (with MQTT); never rejects. */
  async tick(): Promise<void> {
    const m = this.snapshot();
    this.src.events.emit('metrics', m);
    await this.src.publisher?.publishMetrics(flattenMetrics(m)).catch(() => undefined);
  }

  /** The runtime's state message. */
  state(status: 'running' | 'stopped'): Record<string, unknown> {
    const m = this.src.serving();
    return {
      status,
      model: `${m.name}@${m.version}`,
      packageHash: m.pkg.packageHash,
      backend: this.src.selection.backend.name,
    };
  }

  /** Stops the periodic metrics. */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
