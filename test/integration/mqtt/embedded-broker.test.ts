import test from 'ava';
import mqtt from 'mqtt';
import { startEmbeddedBroker } from '../../../sdk/mqtt/embedded-broker.js';

test('startEmbeddedBroker({ port: 0 }) serves MQTT 3.1.1 on a free loopback port and closes idempotently', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 });
  t.regex(broker.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
  t.true(broker.port > 0);
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  const got = new Promise<string>((resolve) => client.on('message', (_topic, payload) => resolve(payload.toString())));
  await client.subscribeAsync('a/b', { qos: 1 });
  await client.publishAsync('a/b', 'hello', { qos: 1 });
  t.is(await got, 'hello');
  t.is(broker.clients, 1);
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  const first = broker.close();
  t.is(broker.close(), first);
  await first;
  await closed;
  client.end(true);
});

test('BAD CALL - startEmbeddedBroker checks its options', async (t) => {
  for (const [options, re] of [
    [{ port: -1 }, /options\.port/],
    [{ port: '1883' }, /options\.port/],
    [{ host: '' }, /options\.host/],
    [{ prot: 1 }, /did you mean options\.port/],
  ] as const) {
    const err = await t.throwsAsync(startEmbeddedBroker(options as never), { message: re });
    t.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT');
  }
});

test('EXPECTED FAILURE - a port already in use is E_IO naming the port', async (t) => {
  const first = await startEmbeddedBroker({ port: 0 });
  try {
    const err = await t.throwsAsync(startEmbeddedBroker({ port: first.port }), {
      message: new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}: .*EADDRINUSE`),
    });
    t.is((err as { code?: string }).code, 'E_IO');
  } finally {
    await first.close();
  }
});
