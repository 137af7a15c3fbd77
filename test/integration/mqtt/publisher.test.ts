import test from 'ava';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetConsumer, type ReceivedResult } from '../../../sdk/mqtt/consumer.js';
import { MemoryOutbox } from '../../../sdk/mqtt/outbox/memory-outbox.js';
import { ResultPublisher, type PublisherEvents } from '../../../sdk/mqtt/publisher.js';
import type { ResultPublisherOptions } from '../../../sdk/mqtt/options.js';
import { startAedes } from '../../helpers/aedes.js';
import { forEachBroker, until } from './brokers.js';

const base = { url: 'mqtt://127.0.0.1:1', fleet: 'f', device: 'd' };

test('BAD CALL - publisher options are checked and the option is named', async (t) => {
  const cases: [Partial<ResultPublisherOptions> & Record<string, unknown>, RegExp][] = [
    [{ url: 'http://x' }, /options\.url/],
    [{ url: 'not a url' }, /options\.url/],
    [{ fleet: 'a/b' }, /options\.fleet/],
    [{ device: '+' }, /options\.device/],
    [{ prefix: 'ringmoe//x' }, /options\.prefix/],
    [{ protocol: 3 as never }, /options\.protocol/],
    [{ encoding: 'xml' as never }, /options\.encoding/],
    [{ qos: { results: 3 as never } }, /options\.qos\.results/],
    [{ qos: { result: 1 } as never }, /did you mean options\.qos\.results/],
    [{ expirySeconds: { metrics: 0 } }, /options\.expirySeconds\.metrics/],
    [{ maxInflight: 0 }, /options\.maxInflight/],
    [{ reconnect: { minDelayMs: 1000, maxDelayMs: 10 } }, /options\.reconnect\.maxDelayMs/],
    [{ fsync: 'always' }, /options\.fsync needs options\.stateDir/],
    [{ outbox: new MemoryOutbox(), outboxLimits: { maxEntries: 5 } }, /set them on your own options\.outbox/],
    [{ outbox: {} as never }, /options\.outbox/],
    [{ stateDirectory: 'x' } as never, /unknown option options\.stateDirectory/],
    [{ password: 42 as never }, /options\.password.*<hidden>/],
  ];
  for (const [patch, re] of cases) {
    const err = await t.throwsAsync(ResultPublisher.create({ ...base, ...patch } as ResultPublisherOptions), {
      message: re,
    });
    t.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT', JSON.stringify(patch));
  }
});

test('BAD CALL - publishResult, publishState and publishMetrics check their arguments; nothing is stored', async (t) => {
  const publisher = await ResultPublisher.create({ ...base, outboxLimits: { maxMessageBytes: 4096 } });
  try {
    const bad: [Promise<unknown>, RegExp][] = [
      [publisher.publishResult('det/ection', {}), /task/],
      [publisher.publishResult('detection', undefined), /for result/],
      [publisher.publishResult('detection', { big: 1n }), /cannot encode result as json/],
      [publisher.publishResult('detection', {}, { frame: 'x' } as never), /did you mean meta\.frameId/],
      [publisher.publishResult('detection', {}, { id: '' }), /meta\.id/],
      [publisher.publishResult('detection', {}, { modelVersion: 3 as never }), /meta\.modelVersion/],
      [
        publisher.publishResult('detection', { blob: 'x'.repeat(5000) }),
        /exceeds the outbox's maxMessageBytes \(4096\)/,
      ],
      [publisher.publishState([] as never), /for state/],
      [publisher.publishMetrics({ fps: Number.NaN }), /metrics\.fps/],
      [publisher.publishMetrics({ nested: {} as never }), /metrics\.nested/],
    ];
    for (const [p, re] of bad) {
      const err = await t.throwsAsync(p, { message: re });
      t.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT');
    }
    t.throws(() => publisher.setModelVersion(''), { code: 'E_INVALID_ARGUMENT', message: /modelVersion/ } as never);
    t.is(publisher.status().outbox.appended, 0);
  } finally {
    await publisher.close({ deadlineMs: 0 });
  }
});

test('EXPECTED FAILURE - a closed publisher refuses new work with E_CLOSED; close is idempotent', async (t) => {
  const publisher = await ResultPublisher.create(base);
  const first = publisher.close({ deadlineMs: 0 });
  t.is(publisher.close(), first);
  t.deepEqual(await first, { drained: true, pending: 0 });
  await t.throwsAsync(publisher.publishResult('detection', {}), { code: 'E_CLOSED' } as never);
  await t.throwsAsync(publisher.publishState({}), { code: 'E_CLOSED' } as never);
  t.is(publisher.status().state, 'closed');
});

forEachBroker(
  'a publisher started while the broker is down keeps results (bounded, oldest dropped and counted) and sends them in order when it appears',
  async (t, broker) => {
    // The consumer's session outlives the outage (persistent session), so it cannot miss the burst.
    const consumer = await FleetConsumer.create({
      url: broker.url,
      fleet: 'f',
      clientId: 'gs-outage',
      sessionExpirySeconds: 60,
      reconnectDelayMs: 50,
    });
    const got: ReceivedResult[] = [];
    consumer.on('result', (r) => got.push(r));
    await broker.outage();
    const publisher = await ResultPublisher.create({
      url: broker.url,
      fleet: 'f',
      device: 'd',
      outboxLimits: { maxEntries: 5 },
      reconnect: { minDelayMs: 50, maxDelayMs: 100 },
    });
    const events: { offline: number; dropped: Parameters<PublisherEvents['dropped']>[0][] } = {
      offline: 0,
      dropped: [],
    };
    publisher.on('offline', () => events.offline++);
    publisher.on('dropped', (d) => events.dropped.push(d));
    try {
      for (let n = 0; n < 8; n++) await publisher.publishResult('detection', { n });
      t.like(publisher.status(), { outbox: { pending: 5, dropped: 3 } });
      t.is(
        events.dropped.reduce((a, d) => a + d.count, 0),
        3,
      );
      t.true(events.dropped.every((d) => d.reason === 'full'));
      await until(() => events.offline === 1, 5000, 'offline event');
      await broker.restore();
      t.true(await publisher.drain(10_000));
      await until(() => got.length === 5, 10_000, 'five results');
      t.deepEqual(
        got.map((r) => (r.result as { n: number }).n),
        [3, 4, 5, 6, 7],
      );
      t.is(events.offline, 1, 'one offline event per outage');
    } finally {
      await publisher.close();
      await consumer.close();
    }
  },
);

test('close() while the broker is away returns what is pending, and a durable outbox hands it to the next process', async (t) => {
  const broker = await startAedes();
  const stateDir = await mkdtemp(join(tmpdir(), 'publisher-close-'));
  try {
    await broker.outage();
    const first = await ResultPublisher.create({ url: broker.url, fleet: 'f', device: 'd', stateDir });
    for (let n = 0; n < 4; n++) await first.publishResult('detection', { n });
    t.deepEqual(await first.close({ deadlineMs: 100 }), { drained: false, pending: 4 });
    await broker.restore();
    const consumer = await FleetConsumer.create({ url: broker.url, fleet: 'f' });
    const got: number[] = [];
    consumer.on('result', (r) => got.push((r.result as { n: number }).n));
    const second = await ResultPublisher.create({ url: broker.url, fleet: 'f', device: 'd', stateDir });
    t.true(await second.drain(10_000));
    await until(() => got.length === 4, 10_000, 'four results');
    t.deepEqual(got, [0, 1, 2, 3]);
    await second.close();
    await consumer.close();
  } finally {
    await broker.close();
    await rm(stateDir, { recursive: true, force: true });
  }
});

test('EXPECTED FAILURE - refused credentials are reported as an error event with E_MQTT_PROTOCOL, and results wait', async (t) => {
  const broker = await startAedes();
  broker.aedes.authenticate = (_client, username, _password, done) => {
    if (username === 'device') return done(null, true);
    done(Object.assign(new Error('bad user'), { returnCode: 4 }) as never, null);
  };
  const publisher = await ResultPublisher.create({
    url: broker.url,
    fleet: 'f',
    device: 'd',
    username: 'intruder',
    password: 'x',
    reconnect: { minDelayMs: 1000 },
  });
  try {
    const [err] = (await once(publisher, 'error')) as [{ code: string; message: string }];
    t.is(err.code, 'E_MQTT_PROTOCOL');
    t.regex(err.message, /refused the connection/);
    await publisher.publishResult('detection', { n: 1 });
    t.is(publisher.status().outbox.pending, 1);
  } finally {
    await publisher.close({ deadlineMs: 0 });
    await broker.close();
  }
});

test('BAD CALL - consumer options are checked and the option is named', async (t) => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ url: 'mqtt://h', fleet: 'f', sessionExpirySeconds: 60 }, /needs a fixed options\.clientId/],
    [{ url: 'mqtt://h', fleet: 'f', group: 'a/b' }, /options\.group/],
    [{ url: 'mqtt://h', fleet: 'f', qos: 5 }, /options\.qos/],
    [{ url: 'mqtt://h', fleet: 'f', dedupeCapacity: 0 }, /options\.dedupeCapacity/],
    [{ url: 'mqtt://h', fleet: '#' }, /options\.fleet/],
    [{ url: 'mqtt://h', fleet: 'f', grop: 'g' }, /did you mean options\.group/],
  ];
  for (const [options, re] of cases) {
    const err = await t.throwsAsync(FleetConsumer.create(options as never), { message: re });
    t.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT');
  }
});
