/**
 * Attacks on the desired state: a client on the broker replaces the retained desired state with
 * garbage or with one signed by an untrusted key, so devices that connect later never see the real
 * release; the operator key alone signs a rollback; a desired state withheld and replayed late.
 */
import test from 'ava';
import mqtt from 'mqtt';
import { decodeDesired, type DesiredState } from '../../../sdk/ota/fleet/desired-state.js';
import { checkFreshness } from '../../../sdk/ota/agent/update-policy.js';
import { openBundleDir } from '../../../tools/bundle/bundle-dir.js';
import { DEFAULT_DESIRED_EXPIRY_S, desiredFor } from '../../../tools/bundle/desired.js';
import { publishBundle } from '../../../tools/bundle/publish.js';
import { startAedes } from '../ota/brokers.js';
import { desiredMessage, FLEET, otaFixture, startMqttDevice, type TestDevice } from '../ota/fixtures.js';

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The retained message on `topic`, as a new subscriber gets it. */
async function retained(url: string, topic: string): Promise<Buffer | undefined> {
  const c = await mqtt.connectAsync(url);
  try {
    const got = new Promise<Buffer>((resolve) => c.on('message', (t, p) => t === topic && resolve(p)));
    await c.subscribeAsync(topic, { qos: 1 });
    return await Promise.race([got, new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000))]);
  } finally {
    await c.endAsync();
  }
}

const running = (d: TestDevice) => d.agent.report().current?.version;
const installedNow = (d: TestDevice) => d.agent.report().outcome?.result === 'installed' && running(d) === '2.0.0';

test('a garbage retained desired state is put back by the publisher; a device connecting later installs the real release', async (t) => {
  const fx = await otaFixture();
  const broker = await startAedes();
  const evil = await mqtt.connectAsync(broker.url);
  const pub = await publishBundle({
    bundleDir: fx.bundles.v2,
    fleet: FLEET,
    broker: broker.url,
    prefix: 'ringmoe',
    keyPath: fx.keyFiles.operator,
  });
  const devices: TestDevice[] = [];
  try {
    const real = await retained(broker.url, pub.topic);
    t.truthy(real);
    await evil.publishAsync(pub.topic, Buffer.from('{"payload":"garbage"}'), { retain: true, qos: 1 });
    await until(() => pub.desiredRestored() >= 1, 5000, 'the publisher to restore the desired state');
    await new Promise((r) => setTimeout(r, 200));
    t.true((await retained(broker.url, pub.topic))?.equals(real!), 'the broker holds the real desired state again');
    const late = await startMqttDevice(fx, broker.url, 'late-1');
    devices.push(late);
    await until(() => installedNow(late), 90_000, 'the late device to install 2.0.0');
    t.is(late.agent.report().outcome?.seq, pub.desired.seq);
  } finally {
    for (const d of devices) await d.close();
    await pub.close();
    await evil.endAsync();
    await broker.close();
  }
});

test('a retained desired state signed by an untrusted key: a device provisioned with the publisher URL fetches the real one over HTTP', async (t) => {
  const fx = await otaFixture();
  const broker = await startAedes();
  const evil = await mqtt.connectAsync(broker.url);
  // The publisher does not defend the retained copy here: HTTP is the device's only way to the real state.
  const pub = await publishBundle({
    bundleDir: fx.bundles.v2,
    fleet: FLEET,
    broker: broker.url,
    prefix: 'ringmoe',
    keyPath: fx.keyFiles.operator,
    restoreDesired: false,
  });
  const devices: TestDevice[] = [];
  try {
    await evil.publishAsync(
      pub.topic,
      await desiredMessage(fx, fx.bundles.v1, { key: fx.keys.rogue, http: ['http://127.0.0.1:9'] }),
      { retain: true, qos: 1 },
    );
    const withHttp = await startMqttDevice(fx, broker.url, 'late-http', {}, { desiredUrls: [pub.httpUrl!] });
    const mqttOnly = await startMqttDevice(fx, broker.url, 'late-mqtt');
    devices.push(withHttp, mqttOnly);
    await until(() => installedNow(withHttp), 90_000, 'the HTTP-provisioned device to install 2.0.0');
    t.is(withHttp.agent.report().outcome?.seq, pub.desired.seq);
    // Without the HTTP source the forged retained message is all a late device sees: it refuses it and installs nothing.
    await until(
      () => mqttOnly.agent.report().outcome !== undefined,
      10_000,
      'the MQTT-only device to refuse the forgery',
    );
    t.like(mqttOnly.agent.report().outcome, { result: 'rejected', code: 'E_UNTRUSTED_KEY' });
    t.is(running(mqttOnly), undefined);
  } finally {
    for (const d of devices) await d.close();
    await pub.close();
    await evil.endAsync();
    await broker.close();
  }
});

test('a rollback signed by the operator key alone is refused; the rollback key signs it', async (t) => {
  const fx = await otaFixture();
  const byOperator = await desiredMessage(fx, fx.bundles.v1, { rollback: true, key: fx.keys.operator });
  t.throws(() => decodeDesired(byOperator, fx.trust), {
    code: 'E_UNTRUSTED_KEY',
    message: /not trusted for rollbacks/,
  });
  const byRollbackKey = await desiredMessage(fx, fx.bundles.v1, { rollback: true, key: fx.keys.rollback });
  t.true(decodeDesired(byRollbackKey, fx.trust).desired.rollback);
  // Without rollback the operator key is enough.
  t.is(
    decodeDesired(await desiredMessage(fx, fx.bundles.v1, { key: fx.keys.operator }), fx.trust).desired.rollback,
    undefined,
  );
});

test('desired states expire by default: one withheld past its lifetime is refused (freeze attack)', async (t) => {
  const fx = await otaFixture();
  const issued = new Date('2026-01-01T00:00:00Z');
  const d: DesiredState = desiredFor(await openBundleDir(fx.bundles.v2), { fleet: FLEET, sources: {}, now: issued });
  t.is(Date.parse(d.expiresAt!) - issued.getTime(), DEFAULT_DESIRED_EXPIRY_S * 1000);
  const late = new Date(issued.getTime() + (DEFAULT_DESIRED_EXPIRY_S + 1) * 1000);
  t.throws(() => checkFreshness(d, undefined, undefined, late), { code: 'E_REPLAY', message: /expired/ });
  t.notThrows(() => checkFreshness(d, undefined, undefined, new Date(issued.getTime() + 1000)));
});
