import mqtt, { type IPublishPacket } from 'mqtt';
import { ManualClock } from '../../../sdk/core/clock.js';
import { ResultPublisher } from '../../../sdk/mqtt/publisher.js';
import { forEachBroker, until } from './brokers.js';

type Seen = { topic: string; packet: IPublishPacket };

forEachBroker(
  'MQTT 5 properties reach a subscriber: content type, expiry and user properties (model version, frame id, result id)',
  async (t, broker) => {
    const raw = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    const seen: Seen[] = [];
    raw.on('message', (topic, _payload, packet) => seen.push({ topic, packet }));
    await raw.subscribeAsync('ringmoe/#', { qos: 1 });
    const publisher = await ResultPublisher.create({
      url: broker.url,
      fleet: 'north',
      device: 'cam-2',
      modelVersion: 'ringmoe-sar-l2@0.3.1',
      expirySeconds: { results: 3600, metrics: 60 },
      qos: { metrics: 1 },
    });
    try {
      const r = await publisher.publishResult('segmentation', { classes: [0, 3, 3] }, { frameId: 'sar-000017' });
      await until(() => publisher.status().state === 'online', 10_000, 'connection');
      await publisher.publishMetrics({ fps: 2.8 });
      await until(
        () =>
          seen.some((s) => s.topic.endsWith('/results/segmentation')) && seen.some((s) => s.topic.endsWith('/metrics')),
        10_000,
        'result and metrics',
      );
      const result = seen.find((s) => s.topic.endsWith('/results/segmentation'))!.packet;
      t.is(result.qos, 1);
      t.is(result.properties?.contentType, 'application/json');
      t.deepEqual(
        { ...result.properties?.userProperties },
        { modelVersion: 'ringmoe-sar-l2@0.3.1', frameId: 'sar-000017', resultId: r.id },
      );
      // The broker forwards the remaining lifetime: at most what was set.
      t.true(result.properties!.messageExpiryInterval! <= 3600 && result.properties!.messageExpiryInterval! > 3500);
      const metrics = seen.find((s) => s.topic.endsWith('/metrics'))!.packet;
      t.is(metrics.qos, 1);
      t.true(metrics.properties!.messageExpiryInterval! <= 60);
      const birth = seen.find((s) => s.topic.endsWith('/birth'))!.packet;
      t.is(birth.properties?.contentType, 'application/json');
      t.is(JSON.parse(birth.payload.toString()).protocolVersion, 5);

      // A result names the model that produced it; after setModelVersion the default is the new one.
      const old = await publisher.publishResult(
        'depth',
        { m: [1] },
        { frameId: 'sar-000018', modelVersion: 'ringmoe-sar-l2@0.3.0' },
      );
      publisher.setModelVersion('ringmoe-sar-l2@0.4.0');
      const fresh = await publisher.publishResult('depth', { m: [2] }, { frameId: 'sar-000019' });
      await until(
        () => seen.filter((s) => s.topic.endsWith('/results/depth')).length >= 2,
        10_000,
        'two depth results',
      );
      const versions = seen
        .filter((s) => s.topic.endsWith('/results/depth'))
        .map((s) => [
          JSON.parse(s.packet.payload.toString()).id,
          JSON.parse(s.packet.payload.toString()).modelVersion,
          s.packet.properties?.userProperties?.modelVersion,
        ]);
      t.deepEqual(versions, [
        [old.id, 'ringmoe-sar-l2@0.3.0', 'ringmoe-sar-l2@0.3.0'],
        [fresh.id, 'ringmoe-sar-l2@0.4.0', 'ringmoe-sar-l2@0.4.0'],
      ]);
    } finally {
      await publisher.close();
      await raw.endAsync();
    }
  },
  ['mosquitto'],
);

forEachBroker(
  'over MQTT 3.1.1 the same information is in the payload, and no properties are sent',
  async (t, broker) => {
    const raw = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    const seen: Seen[] = [];
    raw.on('message', (topic, _payload, packet) => seen.push({ topic, packet }));
    await raw.subscribeAsync('ringmoe/#', { qos: 1 });
    const publisher = await ResultPublisher.create({
      url: broker.url,
      fleet: 'north',
      device: 'cam-2',
      modelVersion: 'm@1',
      expirySeconds: { results: 3600 },
    });
    try {
      await publisher.publishResult('segmentation', { classes: [1] }, { frameId: 'f-9' });
      await until(() => seen.some((s) => s.topic.endsWith('/results/segmentation')), 10_000, 'result');
      const packet = seen.find((s) => s.topic.endsWith('/results/segmentation'))!.packet;
      t.is(packet.properties, undefined);
      t.like(JSON.parse(packet.payload.toString()), { modelVersion: 'm@1', frameId: 'f-9', task: 'segmentation' });
      t.is(publisher.status().protocolVersion, 4);
    } finally {
      await publisher.close();
      await raw.endAsync();
    }
  },
  ['aedes'],
);

forEachBroker(
  'results that expired while waiting in the outbox are discarded and counted, not sent late',
  async (t, broker) => {
    await broker.outage();
    const clock = new ManualClock(Date.now());
    const publisher = await ResultPublisher.create({
      url: broker.url,
      fleet: 'f',
      device: 'd',
      clock,
      expirySeconds: { results: 10 },
      reconnect: { minDelayMs: 50, maxDelayMs: 100 },
    });
    const dropped: { reason: string; count: number }[] = [];
    publisher.on('dropped', (d) => dropped.push(d));
    try {
      await publisher.publishResult('detection', { n: 1 });
      await publisher.publishResult('detection', { n: 2 });
      clock.set(clock.now() + 11_000);
      await publisher.publishResult('detection', { n: 3 });
      await broker.restore();
      // The reconnect timer runs on the manual clock: advance it until the publisher is online.
      await until(
        () => {
          clock.advance(200);
          return publisher.status().state === 'online';
        },
        10_000,
        'reconnect',
      );
      t.true(await publisher.drain(5000));
      t.deepEqual(dropped, [{ reason: 'expired', seqs: [1, 2], count: 2 }] as never);
      t.like(publisher.status().outbox, { expired: 2, acked: 1, pending: 0 });
    } finally {
      await publisher.close({ deadlineMs: 0 });
    }
  },
);
