/**
 * End to end against real brokers (aedes in process, mosquitto as a child process): a runtime with
 * `mqtt` publishes every result of every frame; a ground-station FleetConsumer receives all of them
 * (counted by frame id and task), plus the birth, the state and the metrics.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetConsumer, type ReceivedResult } from '../../../sdk/mqtt/consumer.js';
import type { BirthPayload, MetricsPayload, StatePayload } from '../../../sdk/mqtt/messages.js';
import type { RuntimeResultMessage } from '../../../sdk/runtime/result-publishing.js';
import type { InferenceResult } from '../../../sdk/pipeline/results.js';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import { tinyPackage } from '../../helpers/packages.js';
import { forEachBroker, until } from '../mqtt/brokers.js';
import { aeroWindows, sarL1Frame } from './frames.js';

const TASKS = ['classification', 'depth', 'detection', 'segmentation'];

forEachBroker(
  'a runtime publishes every result; a fleet consumer receives them all, with birth, state and metrics',
  async (t, broker) => {
    const stateDir = await mkdtemp(join(tmpdir(), 'rt-e2e-'));
    const consumer = await FleetConsumer.create({ url: broker.url, fleet: 'e2e', clientId: `gs-e2e-${broker.name}` });
    const received = new Map<string, ReceivedResult[]>();
    const births: BirthPayload[] = [];
    const states: StatePayload[] = [];
    const metrics: MetricsPayload[] = [];
    consumer.on('result', (r) => received.set(r.frameId!, [...(received.get(r.frameId!) ?? []), r]));
    consumer.on('birth', (b) => births.push(b));
    consumer.on('state', (s) => states.push(s));
    consumer.on('metrics', (m) => metrics.push(m));
    const rt = await createRuntime({
      package: (await tinyPackage()).dir,
      mqtt: {
        url: broker.url,
        fleet: 'e2e',
        device: 'drone-1',
        stateDir,
        reconnect: { minDelayMs: 100, maxDelayMs: 500 },
      },
      metricsIntervalMs: 200,
    });
    try {
      const local = new Map<string, InferenceResult>();
      rt.on('result', (r) => local.set(r.frameId, r));
      const frames = [...(await aeroWindows(40, 64, 'e2e')), sarL1Frame('e2e-sar', 2)];
      let ok = 0;
      for await (const o of rt.run(frames)) if (o.ok) ok++;
      t.is(ok, frames.length);
      await until(() => metrics.length > 0, 10_000, 'a metrics message');
      const report = await rt.close();
      t.deepEqual(report, { unsentResults: 0, drained: true });
      await until(
        () => [...received.values()].reduce((n, l) => n + l.length, 0) >= frames.length * TASKS.length,
        20_000,
        'every result',
      );

      t.deepEqual([...received.keys()].sort(), frames.map((f) => f.id).sort(), 'a message for every frame');
      for (const [frameId, list] of received)
        t.deepEqual(list.map((r) => r.task).sort(), TASKS, `all tasks of ${frameId}, once each`);
      t.is(consumer.summary().totals.duplicates, 0);
      t.is(consumer.summary().totals.results, frames.length * TASKS.length);

      // The payload carries the task result as the runtime produced it, with its provenance.
      const sample = received.get('e2e-7')!.find((r) => r.task === 'segmentation')!;
      const message = sample.result as RuntimeResultMessage;
      const mine = local.get('e2e-7')!;
      t.deepEqual(message.result, JSON.parse(JSON.stringify(mine.tasks.segmentation)));
      t.deepEqual(message.model, mine.model);
      t.is(message.entry, 'optical');
      t.is(sample.id, `e2e-7@${frames[7]!.timestamp}/segmentation`);
      t.is(sample.modelVersion, `ringmoe-tiny@${mine.model.version}`);
      t.is(
        received.get('e2e-sar')![0]!.result && (received.get('e2e-sar')![0]!.result as RuntimeResultMessage).modality,
        'sar-l1',
      );

      t.true(births.length >= 1);
      t.is(births.at(-1)!.modelVersion, `ringmoe-tiny@${mine.model.version}`);
      t.is(births.at(-1)!.outbox.kind, 'file');
      await until(() => states.some((s) => s.state.status === 'stopped'), 10_000, 'the stopped state');
      t.true(states.some((s) => s.state.status === 'running' && s.state.backend === 'onnxruntime'));
      const last = metrics.at(-1)!.metrics;
      t.is(typeof last.fps, 'number');
      t.true(Number(last['frames.completed']) > 0);
      t.true('latency.total.p95' in last);
      t.log(
        `${frames.length} frames → ${frames.length * TASKS.length} results over MQTT ${broker.protocolVersion === 5 ? '5' : '3.1.1'}; ${metrics.length} metrics messages`,
      );
    } finally {
      await rt.close();
      await consumer.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  },
);

forEachBroker('after a hot swap, results name the new model and the retained state says so', async (t, broker) => {
  const consumer = await FleetConsumer.create({ url: broker.url, fleet: 'swap', clientId: `gs-swap-${broker.name}` });
  const received: ReceivedResult[] = [];
  const states: StatePayload[] = [];
  consumer.on('result', (r) => received.push(r));
  consumer.on('state', (s) => states.push(s));
  const rt = await createRuntime({
    package: (await tinyPackage()).dir,
    mqtt: { url: broker.url, fleet: 'swap', device: 'd1' },
    tasks: { segmentation: false, depth: false, detection: false },
  });
  try {
    const [a, b] = [await aeroWindows(5, 64, 'pre'), await aeroWindows(5, 64, 'post')];
    for await (const o of rt.run(a)) t.true(o.ok);
    const { to } = await rt.swap((await tinyPackage({ seed: 1 })).dir);
    for await (const o of rt.run(b)) t.true(o.ok);
    await rt.close();
    await until(() => received.length >= 10, 20_000, 'ten results');
    const version = (r: ReceivedResult) => `ringmoe-tiny@${(r.result as RuntimeResultMessage).model.version}`;
    t.true(received.filter((r) => r.frameId!.startsWith('post')).every((r) => version(r) === to));
    t.true(received.filter((r) => r.frameId!.startsWith('pre')).every((r) => version(r) !== to));
    // The envelope (and MQTT 5 user property) names the model that produced each result, too.
    t.deepEqual(
      received.map((r) => r.modelVersion),
      received.map(version),
    );
    await until(() => states.some((s) => s.state.swappedFrom !== undefined), 10_000, 'the state after the swap');
    t.is(states.find((s) => s.state.swappedFrom !== undefined)!.state.model, to);
  } finally {
    await rt.close();
    await consumer.close();
  }
});

forEachBroker(
  'the mqtt event reports the link going down and coming back; results produced meanwhile arrive',
  async (t, broker) => {
    const consumer = await FleetConsumer.create({
      url: broker.url,
      fleet: 'link',
      clientId: `gs-link-${broker.name}`,
      sessionExpirySeconds: 300,
      reconnectDelayMs: 100,
    });
    const got = new Set<string>();
    consumer.on('result', (r) => got.add(r.frameId!));
    const rt = await createRuntime({
      package: (await tinyPackage()).dir,
      tasks: { segmentation: false, depth: false, detection: false },
      mqtt: {
        url: broker.url,
        fleet: 'link',
        device: 'd1',
        keepaliveSeconds: 2,
        reconnect: { minDelayMs: 100, maxDelayMs: 300 },
      },
    });
    const events: string[] = [];
    rt.on('mqtt', (e) => events.push(e.type));
    try {
      await until(() => rt.metrics().mqtt?.state === 'online', 10_000, 'online');
      await broker.outage();
      await until(() => events.includes('offline'), 15_000, 'the offline event');
      const frames = await aeroWindows(6, 64, 'down');
      for await (const o of rt.run(frames)) t.true(o.ok);
      await broker.restore();
      await until(() => events.includes('connected'), 15_000, 'the connected event');
      await until(() => got.size === 6, 20_000, 'the results produced while offline');
      t.deepEqual(
        events
          .slice(events.indexOf('offline'))
          .filter((e) => e === 'offline' || e === 'connected')
          .slice(0, 2),
        ['offline', 'connected'],
      );
    } finally {
      await rt.close();
      await consumer.close();
    }
  },
);
