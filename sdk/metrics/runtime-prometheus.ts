/**
 * Prometheus metrics of a runtime (prom-client): frames, failures by code and stage, drops,
 * per-stage latency histograms, queue depths, the MQTT connection state, outbox depth and age,
 * the serving model, tracks and — given the device's OTA agent — its OTA state. Counters and
 * gauges are read from the runtime at scrape time; latencies and failures are observed per frame
 * from its events.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AGENT_STATES, type AgentReport } from '../ota/agent/agent-states.js';
import type { Runtime } from '../runtime/runtime.js';
import type { RuntimeEvents } from '../runtime/runtime-events.js';
import { LATENCY_BUCKETS, enumSeries, readCounter, readGauge } from './prometheus-helpers.js';

const MQTT_STATES = ['connecting', 'online', 'offline', 'closed'] as const;
const STAGES = ['preprocess', 'queue', 'inference', 'postprocess', 'total'] as const;

/** Options of {@link runtimeMetrics}. */
export interface RuntimeMetricsOptions {
  /** Registry to add the metrics to (default: a new one). */
  registry?: Registry;
  /** The device's OTA agent (anything with `onReport`), for `ringmoe_ota_state`. */
  ota?: { onReport(listener: (r: AgentReport) => void): () => void };
  /** Labels added to every series (e.g. `{ device: 'drone-7' }`). */
  labels?: Record<string, string>;
}

/** A runtime's metrics registry; `detach()` stops listening to the runtime. */
export interface RuntimeMetricsHandle {
  registry: Registry;
  detach(): void;
}

/**
 * Registers a runtime's metrics.
 * @example
 * const { registry } = runtimeMetrics(runtime, { labels: { device: 'drone-7' } });
 * const server = await serveMetrics(registry, { port: 9464 }); // curl http://127.0.0.1:9464/metrics
 */
export function runtimeMetrics(runtime: Runtime, options: RuntimeMetricsOptions = {}): RuntimeMetricsHandle {
  const registry = options.registry ?? new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  const snap = () => runtime.metrics();
  const mqtt = () =>
    snap().mqtt as
      | {
          state?: string;
          outbox?: { pending: number; pendingBytes: number; dropped: number; expired: number; rejected: number };
          resultsPublished?: number;
          resultsFailed?: number;
        }
      | undefined;
  readCounter(registry, 'ringmoe_frames_received_total', 'Frames admitted by the runtime.', [], () => [
    [{}, snap().frames.received],
  ]);
  readCounter(registry, 'ringmoe_frames_completed_total', 'Frames that produced a result.', [], () => [
    [{}, snap().frames.completed],
  ]);
  readCounter(
    registry,
    'ringmoe_frames_failed_total',
    'Frames that produced no result (dropped ones included).',
    [],
    () => [[{}, snap().frames.failed]],
  );
  readCounter(registry, 'ringmoe_frames_dropped_total', 'Live frames dropped by the drop-oldest policy.', [], () => [
    [{}, snap().frames.dropped],
  ]);
  readGauge(registry, 'ringmoe_frames_per_second', 'Completed frames per second over the last 5 s.', [], () => [
    [{}, snap().fps],
  ]);
  readGauge(registry, 'ringmoe_queue_depth', 'Frames waiting in a pipeline queue.', ['queue'], () => {
    const q = snap().queues;
    return [
      [{ queue: 'admission' }, q.admission.depth],
      [{ queue: 'ready' }, q.ready.depth],
    ];
  });
  readCounter(registry, 'ringmoe_batches_total', 'Engine calls (batches) run.', [], () => [[{}, snap().batches.count]]);
  readCounter(registry, 'ringmoe_model_swaps_total', 'Hot swaps of the serving model.', [], () => [[{}, snap().swaps]]);
  readGauge(registry, 'ringmoe_model_info', 'The serving model (value 1).', ['model', 'version', 'backend'], () => {
    const m = snap();
    return [[{ model: m.model.name, version: m.model.version, backend: m.backend }, 1]];
  });
  // MQTT and OTA series exist only when the runtime publishes and an agent is given (a series that
  // reads 0 would say "connected to nothing" or "empty outbox" where there is none).
  if (snap().mqtt) {
    readGauge(
      registry,
      'ringmoe_mqtt_connection_state',
      'MQTT link of the result publisher (1 for the current state; absent without MQTT).',
      ['state'],
      () => enumSeries(MQTT_STATES, mqtt()?.state),
    );
    readGauge(registry, 'ringmoe_outbox_pending_messages', 'Messages in the outbox waiting for the broker.', [], () =>
      mqtt()?.outbox ? [[{}, mqtt()!.outbox!.pending]] : [],
    );
    readGauge(registry, 'ringmoe_outbox_pending_bytes', 'Bytes of the messages waiting in the outbox.', [], () =>
      mqtt()?.outbox ? [[{}, mqtt()!.outbox!.pendingBytes]] : [],
    );
    readGauge(
      registry,
      'ringmoe_outbox_oldest_age_seconds',
      'Age of the oldest message waiting in the outbox (0 when empty).',
      [],
      async () => {
        const age = await runtime.outboxAgeMs().catch(() => undefined);
        return age === undefined ? [] : [[{}, age / 1000]];
      },
    );
    readCounter(
      registry,
      'ringmoe_outbox_discarded_total',
      'Outbox messages lost without reaching the broker, by reason.',
      ['reason'],
      () => {
        const o = mqtt()?.outbox;
        return o
          ? [
              [{ reason: 'full' }, o.dropped],
              [{ reason: 'expired' }, o.expired],
              [{ reason: 'rejected' }, o.rejected],
            ]
          : [];
      },
    );
    readCounter(registry, 'ringmoe_results_published_total', 'Task result messages handed to the outbox.', [], () =>
      mqtt() ? [[{}, mqtt()!.resultsPublished ?? 0]] : [],
    );
  }
  const latency = new Histogram({
    name: 'ringmoe_stage_latency_seconds',
    help: 'Time a frame spent in each pipeline stage (total: admission to result).',
    labelNames: ['stage'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'ringmoe_frame_failures_total',
    help: 'Frames that produced no result, by error code and stage.',
    labelNames: ['code', 'stage'],
    registers: [registry],
  });
  const born = new Counter({
    name: 'ringmoe_tracks_started_total',
    help: 'Tracks confirmed (tasks.tracking).',
    registers: [registry],
  });
  const ended = new Counter({
    name: 'ringmoe_tracks_ended_total',
    help: 'Tracks ended (tasks.tracking).',
    registers: [registry],
  });
  const active = new Gauge({
    name: 'ringmoe_tracks_active',
    help: 'Tracks matched in the last frame (tasks.tracking).',
    registers: [registry],
  });
  let ota: AgentReport | undefined;
  if (options.ota) {
    readGauge(registry, 'ringmoe_ota_state', 'OTA agent state (1 for the current state).', ['state'], () =>
      enumSeries(AGENT_STATES, ota?.state),
    );
    readGauge(
      registry,
      'ringmoe_ota_bundle_info',
      'Bundle the OTA agent has installed (value 1).',
      ['bundle', 'version'],
      () => (ota?.current ? [[{ bundle: ota.current.name, version: ota.current.version }, 1]] : []),
    );
  }

  const onResult: RuntimeEvents['result'] = (r) => {
    for (const s of STAGES) latency.observe({ stage: s }, r.latencyMs[s] / 1000);
    if (r.tasks.tracking) active.set(r.tasks.tracking.tracks.length);
  };
  const onError: RuntimeEvents['error'] = (f) => failures.inc({ code: f.error.code, stage: f.stage });
  const onTrack: RuntimeEvents['track'] = (t) => {
    born.inc(t.born.length);
    ended.inc(t.died.length);
  };
  runtime.on('result', onResult);
  runtime.on('error', onError);
  runtime.on('track', onTrack);
  const stopOta = options.ota?.onReport((r) => (ota = r));
  return {
    registry,
    detach() {
      runtime.off('result', onResult);
      runtime.off('error', onError);
      runtime.off('track', onTrack);
      stopOta?.();
    },
  };
}
