/**
 * The runtime's Prometheus registry against a stand-in runtime whose figures are set by hand: series
 * that exist only with MQTT or an OTA agent are absent without them, enum gauges mark one state,
 * failures are labelled by code and stage, tracks are counted from `track` events, `detach` stops
 * the counting.
 */
import test from 'ava';
import { EventEmitter } from 'node:events';
import { runtimeMetrics } from '../../../sdk/metrics/runtime-prometheus.js';
import type { AgentReport } from '../../../sdk/ota/agent/agent-states.js';
import type { Runtime } from '../../../sdk/runtime/runtime.js';
import type { RuntimeMetrics } from '../../../sdk/pipeline/metrics.js';
import { parseExposition } from '../../helpers/prometheus-text.js';

const p = { count: 0, p50: 0, p95: 0, p99: 0, mean: 0, max: 0 };
function fakeRuntime(mqtt?: Record<string, unknown>): Runtime & EventEmitter {
  const m: RuntimeMetrics = {
    backend: 'onnxruntime',
    backendSkipped: [],
    model: { name: 'tiny', version: '1.2.0' },
    frames: { received: 10, completed: 7, failed: 3, dropped: 1 },
    fps: 2.5,
    latencyMs: { preprocess: p, queue: p, inference: p, postprocess: p, total: p },
    queues: { admission: { depth: 2, highWater: 4 }, ready: { depth: 1, highWater: 2 } },
    batches: { count: 5, meanInputs: 1.4 },
    swaps: 1,
    ...(mqtt ? { mqtt } : {}),
  };
  return Object.assign(new EventEmitter(), {
    metrics: () => m,
    outboxAgeMs: async () => (mqtt ? 1500 : undefined),
  }) as unknown as Runtime & EventEmitter;
}

test('without MQTT and OTA: frames, queues, model; no MQTT, outbox or OTA series', async (t) => {
  const rt = fakeRuntime();
  const { registry } = runtimeMetrics(rt);
  const s = parseExposition(await registry.metrics());
  t.is(s.value('ringmoe_frames_received_total'), 10);
  t.is(s.value('ringmoe_frames_dropped_total'), 1);
  t.is(s.value('ringmoe_queue_depth', { queue: 'admission' }), 2);
  t.is(s.value('ringmoe_model_info', { model: 'tiny', version: '1.2.0', backend: 'onnxruntime' }), 1);
  t.is(s.value('ringmoe_model_swaps_total'), 1);
  for (const name of [
    'ringmoe_mqtt_connection_state',
    'ringmoe_outbox_pending_messages',
    'ringmoe_outbox_oldest_age_seconds',
    'ringmoe_ota_state',
    'ringmoe_results_published_total',
  ])
    t.deepEqual(s.all(name), [], name);
});

test('with MQTT and an OTA agent: link state, outbox depth and age, OTA state as enums', async (t) => {
  const rt = fakeRuntime({
    state: 'offline',
    outbox: { pending: 12, pendingBytes: 3400, dropped: 2, expired: 1, rejected: 0 },
    resultsPublished: 40,
  });
  let report: ((r: AgentReport) => void) | undefined;
  const { registry } = runtimeMetrics(rt, {
    ota: { onReport: (l) => ((report = l), () => undefined) },
    labels: { device: 'd7' },
  });
  report!({
    fleet: 'f',
    device: 'd7',
    state: 'health-check',
    transition: 'switched',
    at: 'now',
    current: { name: 'tiny', version: '1.2.0', manifest: 'x' },
  });
  const s = parseExposition(await registry.metrics());
  t.is(s.value('ringmoe_mqtt_connection_state', { state: 'offline' }), 1);
  t.is(s.value('ringmoe_mqtt_connection_state', { state: 'online' }), 0);
  t.is(s.value('ringmoe_outbox_pending_messages'), 12);
  t.is(s.value('ringmoe_outbox_oldest_age_seconds'), 1.5);
  t.is(s.value('ringmoe_outbox_discarded_total', { reason: 'full' }), 2);
  t.is(s.value('ringmoe_outbox_discarded_total', { reason: 'expired' }), 1);
  t.is(s.value('ringmoe_results_published_total'), 40);
  t.is(s.value('ringmoe_ota_state', { state: 'health-check' }), 1);
  t.is(s.all('ringmoe_ota_state').filter((x) => x.value === 1).length, 1);
  t.is(s.value('ringmoe_ota_bundle_info', { bundle: 'tiny', version: '1.2.0' }), 1);
  t.true(s.samples.every((x) => x.labels.device === 'd7'));
});

test('failures by code and stage, latencies and tracks from events; detach stops counting', async (t) => {
  const rt = fakeRuntime();
  rt.on('error', () => undefined); // as the runtime's own users do; an 'error' with no listener throws
  const h = runtimeMetrics(rt);
  rt.emit('error', { ok: false, frameId: 'a', stage: 'preprocess', error: { code: 'E_FRAME_DECODE', message: 'x' } });
  rt.emit('error', { ok: false, frameId: 'b', stage: 'dropped', error: { code: 'E_FRAME_DROPPED', message: 'x' } });
  rt.emit('error', { ok: false, frameId: 'c', stage: 'preprocess', error: { code: 'E_FRAME_DECODE', message: 'x' } });
  rt.emit('result', {
    latencyMs: { preprocess: 10, queue: 0, inference: 100, postprocess: 5, total: 120 },
    tasks: { tracking: { tracks: [1, 2, 3] } },
  });
  rt.emit('track', { born: [1, 2, 3], died: [] });
  rt.emit('track', { born: [], died: [2] });
  h.detach();
  rt.emit('error', { ok: false, frameId: 'd', stage: 'preprocess', error: { code: 'E_FRAME_DECODE', message: 'x' } });
  const s = parseExposition(await h.registry.metrics());
  t.is(s.value('ringmoe_frame_failures_total', { code: 'E_FRAME_DECODE', stage: 'preprocess' }), 2);
  t.is(s.value('ringmoe_frame_failures_total', { code: 'E_FRAME_DROPPED', stage: 'dropped' }), 1);
  t.is(s.value('ringmoe_stage_latency_seconds_count', { stage: 'inference' }), 1);
  t.is(s.value('ringmoe_stage_latency_seconds_bucket', { stage: 'inference', le: '0.1' }), 1);
  t.is(s.value('ringmoe_stage_latency_seconds_bucket', { stage: 'inference', le: '0.05' }), 0);
  t.is(s.value('ringmoe_tracks_started_total'), 3);
  t.is(s.value('ringmoe_tracks_ended_total'), 1);
  t.is(s.value('ringmoe_tracks_active'), 3);
});
