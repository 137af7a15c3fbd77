import test from 'ava';
import { once } from 'node:events';
import mqtt from 'mqtt';
import { ManualClock } from '../../../sdk/core/clock.js';
import { FleetConsumer, type ReceivedResult } from '../../../sdk/mqtt/consumer.js';
import type { MetricsPayload, StatePayload } from '../../../sdk/mqtt/messages.js';
import { ResultPublisher } from '../../../sdk/mqtt/publisher.js';
import { HAS_MOSQUITTO } from '../../helpers/mosquitto.js';
import { testIf } from '../../helpers/shared-data.js';
import { forEachBroker, startBroker, until } from './brokers.js';

forEachBroker(
  'results, state and metrics travel from publisher to consumer and add up in the fleet summary',
  async (t, broker) => {
    const consumer = await FleetConsumer.create({ url: broker.url, fleet: 'north' });
    t.is(consumer.protocolVersion, broker.protocolVersion);
    const results: ReceivedResult[] = [];
    const states: StatePayload[] = [];
    const metrics: MetricsPayload[] = [];
    consumer.on('result', (r) => results.push(r));
    consumer.on('state', (s) => states.push(s));
    consumer.on('metrics', (m) => metrics.push(m));
    const publisher = await ResultPublisher.create({
      url: broker.url,
      fleet: 'north',
      device: 'drone-7',
      modelVersion: 'ringmoe-1b-dense@1.2.0',
    });
    try {
      const [info] = (await once(publisher, 'connected')) as [{ protocolVersion: number; bdSeq: number }];
      t.is(info.protocolVersion, broker.protocolVersion);
      const sent = [];
      for (let i = 0; i < 5; i++) {
        const task = i < 3 ? 'detection' : 'segmentation';
        sent.push(
          await publisher.publishResult(task, { n: i, boxes: [[i, i + 1, 10, 20, 0.9]] }, { frameId: `cam0-${i}` }),
        );
      }
      t.deepEqual((await publisher.publishState({ mode: 'survey', altitude: 120 })).delivered, true);
      t.deepEqual((await publisher.publishMetrics({ fps: 12.5, gpuTempC: 61, throttled: false })).delivered, true);
      await until(() => results.length === 5 && states.length === 1 && metrics.length === 1, 10_000, 'all messages');
      t.deepEqual(
        results.map((r) => r.id),
        sent.map((s) => s.id),
      );
      t.deepEqual(
        results.map((r) => (r.result as { n: number }).n),
        [0, 1, 2, 3, 4],
      );
      t.like(results[3], {
        v: 1,
        type: 'result',
        fleet: 'north',
        device: 'drone-7',
        task: 'segmentation',
        frameId: 'cam0-3',
        modelVersion: 'ringmoe-1b-dense@1.2.0',
        encoding: 'json',
        topic: 'ringmoe/north/drone-7/results/segmentation',
      });
      t.deepEqual(states[0]!.state, { mode: 'survey', altitude: 120 });
      t.like(metrics[0], {
        metrics: { fps: 12.5, gpuTempC: 61, throttled: false },
        outbox: { kind: 'memory', dropped: 0 },
      });
      t.true(await publisher.drain(5000));

      const dev = consumer.summary().devices[0]!;
      t.like(dev, {
        device: 'drone-7',
        online: true,
        bdSeq: info.bdSeq,
        results: { detection: 3, segmentation: 2 },
        duplicates: 0,
        protocolVersion: broker.protocolVersion,
        modelVersion: 'ringmoe-1b-dense@1.2.0',
      });
      t.deepEqual(dev.latestMetrics?.metrics, { fps: 12.5, gpuTempC: 61, throttled: false });

      const report = await publisher.close();
      t.deepEqual(report, { drained: true, pending: 0 });
      await until(() => consumer.summary().devices[0]!.online === false, 5000, 'the graceful death');
      t.like(consumer.summary().devices[0]!.lastDeath, { bdSeq: info.bdSeq, graceful: true });
      t.like(consumer.summary().totals, { devices: 1, online: 0, results: 5, duplicates: 0, malformed: 0 });
    } finally {
      await publisher.close();
      await consumer.close();
    }
  },
);

forEachBroker('a consumer counts payloads that are not ours as malformed and keeps going', async (t, broker) => {
  const consumer = await FleetConsumer.create({ url: broker.url, fleet: 'north' });
  const raw = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  const errors: string[] = [];
  consumer.on('malformed', (e) => errors.push(e.message));
  try {
    await raw.publishAsync('ringmoe/north/cam-1/birth', '', { qos: 1, retain: true }); // clears a retained birth: not malformed
    await raw.publishAsync('ringmoe/north/cam-1/results/detection', 'not json at all', { qos: 1 });
    await raw.publishAsync(
      'ringmoe/north/cam-1/results/detection',
      JSON.stringify({
        v: 1,
        type: 'result',
        fleet: 'north',
        device: 'cam-2',
        task: 'detection',
        ts: 1,
        id: 'x',
        result: 1,
      }),
      { qos: 1 },
    );
    await raw.publishAsync('ringmoe/north/cam-1/metrics', JSON.stringify({ v: 2 }), { qos: 1 });
    await until(() => errors.length === 3, 5000, 'three malformed events');
    t.regex(errors[0]!, /neither a JSON object nor a CBOR map/);
    t.regex(errors[1]!, /expected "cam-1" \(the topic's device\) for device/);
    t.regex(errors[2]!, /expected schema version 1 for v/);
    t.is(consumer.summary().totals.malformed, 3);
    t.is(consumer.summary().totals.results, 0);
  } finally {
    await raw.endAsync();
    await consumer.close();
  }
});

testIf(HAS_MOSQUITTO, test)(
  'the same result is byte-identical over MQTT 5 (mosquitto) and 3.1.1 (aedes)',
  async (t) => {
    const payloads: Buffer[] = [];
    for (const name of ['aedes', 'mosquitto'] as const) {
      const broker = await startBroker(name);
      const raw = await mqtt.connectAsync(broker.url, { protocolVersion: broker.protocolVersion });
      const got = new Promise<Buffer>((resolve) =>
        raw.on('message', (topic, payload) => topic.includes('/results/') && resolve(payload)),
      );
      await raw.subscribeAsync('ringmoe/#', { qos: 1 });
      const publisher = await ResultPublisher.create({
        url: broker.url,
        fleet: 'f',
        device: 'd',
        clock: new ManualClock(1_700_000_000_000),
        modelVersion: '1.0.0',
      });
      try {
        await publisher.publishResult(
          'classification',
          { label: 'airport', score: 0.93 },
          { id: 'fixed-id', frameId: 'frame-1' },
        );
        payloads.push(await got);
        t.is(publisher.status().protocolVersion, broker.protocolVersion);
      } finally {
        await publisher.close();
        await raw.endAsync();
        await broker.close();
      }
    }
    t.true(payloads[0]!.equals(payloads[1]!));
    t.deepEqual(JSON.parse(payloads[0]!.toString()), {
      v: 1,
      type: 'result',
      id: 'fixed-id',
      fleet: 'f',
      device: 'd',
      task: 'classification',
      ts: 1_700_000_000_000,
      modelVersion: '1.0.0',
      frameId: 'frame-1',
      result: { label: 'airport', score: 0.93 },
    });
  },
);
