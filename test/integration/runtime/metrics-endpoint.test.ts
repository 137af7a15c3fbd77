/**
 * The runtime's Prometheus endpoint, scraped over HTTP after real frames (ringmoe-tiny,
 * onnxruntime, an embedded broker, a durable outbox): the exposition parses strictly, names follow
 * the conventions, and the figures equal what the runtime did — frames, a failure by its code,
 * per-stage latency histograms, MQTT state, outbox depth and age, the model, the tracks.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveMetrics } from '../../../sdk/metrics/metrics-server.js';
import { runtimeMetrics } from '../../../sdk/metrics/runtime-prometheus.js';
import { startEmbeddedBroker } from '../../../sdk/mqtt/embedded-broker.js';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import type { Frame } from '../../../sdk/sensors/frame.js';
import { tinyPackage } from '../../helpers/packages.js';
import { parseExposition } from '../../helpers/prometheus-text.js';
import { AERO1 } from './frames.js';

test('a scrape after 3 good frames and 1 undecodable one reports exactly that', async (t) => {
  const { dir } = await tinyPackage();
  const broker = await startEmbeddedBroker();
  const state = await mkdtemp(join(tmpdir(), 'metrics-endpoint-'));
  const rt = await createRuntime({
    package: dir,
    workers: 0,
    mqtt: { url: broker.url, fleet: 'north', device: 'drone-7', stateDir: state },
    tasks: {
      detection: { scoreThreshold: 0.05 },
      tracking: { highThreshold: 0.05, lowThreshold: 0.05, newTrackThreshold: 0.05 },
    },
  });
  const { registry, detach } = runtimeMetrics(rt, { labels: { device: 'drone-7' } });
  const server = await serveMetrics(registry, { port: 0 });
  try {
    t.regex(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const frames: Frame[] = [
      ...[0, 1, 2].map((i): Frame => ({ id: `ok-${i}`, modality: 'optical', pixels: AERO1, timestamp: i })),
      { id: 'broken', modality: 'optical', pixels: new Uint8Array([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]), timestamp: 9 },
    ];
    let failed = 0;
    // The publisher connects in the background; the scrape below must see it online.
    const online = () => (rt.metrics().mqtt as { state?: string } | undefined)?.state === 'online';
    if (!online()) await new Promise<void>((resolve) => rt.on('mqtt', (e) => e.type === 'connected' && resolve()));
    for await (const o of rt.run(frames)) if (!o.ok) failed++;
    t.is(failed, 1);
    const res = await fetch(server.url);
    t.is(res.status, 200);
    t.regex(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const s = parseExposition(await res.text());
    t.is(s.types.get('ringmoe_stage_latency_seconds'), 'histogram');
    t.is(s.value('ringmoe_frames_received_total'), 4);
    t.is(s.value('ringmoe_frames_completed_total'), 3);
    t.is(s.value('ringmoe_frames_failed_total'), 1);
    t.is(s.value('ringmoe_frame_failures_total', { code: 'E_FRAME_DECODE', stage: 'preprocess' }), 1);
    for (const stage of ['preprocess', 'queue', 'inference', 'postprocess', 'total']) {
      t.is(s.value('ringmoe_stage_latency_seconds_count', { stage }), 3, stage);
      t.is(s.value('ringmoe_stage_latency_seconds_bucket', { stage, le: '+Inf' }), 3, stage);
    }
    t.true(s.value('ringmoe_stage_latency_seconds_sum', { stage: 'total' })! > 0);
    t.is(s.value('ringmoe_mqtt_connection_state', { state: 'online' }), 1);
    t.is(s.value('ringmoe_mqtt_connection_state', { state: 'offline' }), 0);
    t.is(typeof s.value('ringmoe_outbox_pending_messages'), 'number');
    t.true(s.value('ringmoe_outbox_oldest_age_seconds')! >= 0);
    t.is(s.value('ringmoe_model_info', { model: rt.model.name, version: rt.model.version, backend: 'onnxruntime' }), 1);
    t.true(s.value('ringmoe_tracks_started_total')! > 0);
    t.true(s.samples.every((x) => x.labels.device === 'drone-7'));
    t.deepEqual(s.all('ringmoe_ota_state'), []);
  } finally {
    detach();
    await server.close();
    await rt.close({ deadlineMs: 2000 });
    await broker.close();
    await rm(state, { recursive: true, force: true });
  }
});

test('the endpoint refuses bad options and a port in use with coded errors', async (t) => {
  const { registry } = { registry: new (await import('prom-client')).Registry() };
  const a = await serveMetrics(registry, { port: 0 });
  try {
    const port = Number(new URL(a.url).port);
    const e = await t.throwsAsync(serveMetrics(registry, { port }));
    t.is((e as { code?: string }).code, 'E_IO');
    const bad = await t.throwsAsync(serveMetrics(registry, { port: 70000 }));
    t.is((bad as { field?: string }).field, 'options.port');
  } finally {
    await a.close();
  }
});
