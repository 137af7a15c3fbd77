/**
 * The broker side, against real Mosquitto: the configuration from tools/broker/mosquitto-config.ts
 * with TLS, client certificates for devices (made here with openssl in a temp dir), passwords for
 * operators, and per-device ACLs. Anonymous clients, clients without a certificate of the fleet CA
 * and wrong passwords are refused; a device publishes only under its own topics, cannot replace a
 * desired state or answer another device's chunk requests; the SDK's publisher and consumer work
 * through it.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { FleetConsumer } from '../../../sdk/mqtt/consumer.js';
import { ResultPublisher } from '../../../sdk/mqtt/publisher.js';
import { mosquittoConfig } from '../../../tools/broker/mosquitto-config.js';
import { HAS_FLEET_PKI, startSecuredBroker, type SecuredBroker } from '../../helpers/fleet-pki.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';

const ready = HAS_FLEET_PKI;
const maybe = ready ? test.serial : test.skip;
if (!ready) test('broker ACL tests need mosquitto, mosquitto_passwd and openssl (skipped)', (t) => t.pass());

let secured: SecuredBroker | undefined;

test.before(async () => {
  if (!ready) return;
  secured = await startSecuredBroker(['cam-1', 'cam-2']);
});

test.after.always(async () => {
  await secured?.close();
});

const pki = () => ({
  ca: secured!.pki.ca,
  cert: (name: string) => ({ cert: secured!.pki.cert(name).cert, key: secured!.pki.cert(name).key }),
});
const deviceUrl = () => secured!.deviceUrl;
const operatorUrl = () => secured!.operatorUrl;
const broker = () => secured!.broker;

/** Connects, or resolves with the error when the broker refuses. */
async function tryConnect(url: string, o: IClientOptions): Promise<MqttClient | Error> {
  try {
    return await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 4000, ...o });
  } catch (err) {
    return err as Error;
  }
}

const device = (name: string): IClientOptions => ({
  ca: pki().ca,
  ...pki().cert(name),
  clientId: `${name}-${Math.random().toString(16).slice(2, 6)}`,
});
const operator = (): IClientOptions => ({
  ca: pki().ca,
  username: 'ops',
  password: 'ops-secret',
  clientId: `ops-${Math.random().toString(16).slice(2, 6)}`,
});

maybe(
  'who may connect: certificates of the fleet CA on the device port, passwords on the operator port, nothing anonymous',
  async (t) => {
    const refused: Array<[string, string, IClientOptions]> = [
      ['plain MQTT (no TLS)', `mqtt://127.0.0.1:${broker().port}`, {}],
      ['TLS without a client certificate', deviceUrl(), { ca: pki().ca }],
      ['a certificate of another CA', deviceUrl(), { ca: pki().ca, ...pki().cert('cam-1-rogue') }],
      ['anonymous on the operator port', operatorUrl(), { ca: pki().ca }],
      ['a wrong password', operatorUrl(), { ca: pki().ca, username: 'ops', password: 'guess' }],
    ];
    for (const [what, url, o] of refused) {
      const c = await tryConnect(url, o);
      if (!(c instanceof Error)) await c.endAsync(true);
      t.true(c instanceof Error, `${what} must be refused`);
    }
    for (const [what, url, o] of [
      ['cam-1', deviceUrl(), device('cam-1')],
      ['ops', operatorUrl(), operator()],
    ] as const) {
      const c = await tryConnect(url, o);
      t.false(c instanceof Error, `${what}: ${c instanceof Error ? c.message : ''}`);
      if (!(c instanceof Error)) await c.endAsync();
    }
  },
);

maybe(
  'a device publishes only under its own topics: forged reports, desired states and chunk answers never reach anyone',
  async (t) => {
    const ops = (await tryConnect(operatorUrl(), operator())) as MqttClient;
    const cam1 = (await tryConnect(deviceUrl(), device('cam-1'))) as MqttClient;
    const cam2 = (await tryConnect(deviceUrl(), device('cam-2'))) as MqttClient;
    try {
      const seenByOps: string[] = [];
      const seenByCam2: string[] = [];
      ops.on('message', (topic) => seenByOps.push(topic));
      cam2.on('message', (topic) => seenByCam2.push(topic));
      await ops.subscribeAsync('ringmoe/north/#', { qos: 1 });
      await cam2.subscribeAsync(
        ['ringmoe/north/ota/desired', 'ringmoe/north/cam-2/ota/desired', 'ringmoe/north/cam-2/ota/chunk'],
        { qos: 1 },
      );
      // Allowed: its own report and chunk request.
      await cam1.publishAsync('ringmoe/north/cam-1/ota/state', '{"state":"idle"}', { qos: 1 });
      await cam1.publishAsync('ringmoe/north/cam-1/ota/chunk-req', '{}', { qos: 1 });
      // Forbidden: another device's report, the fleet's desired state, another device's chunks, another fleet.
      const forged = [
        'ringmoe/north/cam-2/ota/state',
        'ringmoe/north/ota/desired',
        'ringmoe/north/cam-2/ota/desired',
        'ringmoe/north/cam-2/ota/chunk',
        'ringmoe/south/cam-1/ota/state',
        'ringmoe/north/cam-1/ota/desired',
      ];
      for (const topic of forged) await cam1.publishAsync(topic, 'forged', { qos: 1 }).catch(() => {});
      // The operator may write the desired state, which cam-2 reads.
      await ops.publishAsync('ringmoe/north/ota/desired', 'real', { qos: 1 });
      await new Promise((r) => setTimeout(r, 500));
      t.deepEqual(seenByOps.filter((x) => x.includes('cam-1')).sort(), [
        'ringmoe/north/cam-1/ota/chunk-req',
        'ringmoe/north/cam-1/ota/state',
      ]);
      t.false(seenByOps.includes('ringmoe/north/cam-2/ota/state'));
      t.deepEqual(seenByCam2, ['ringmoe/north/ota/desired'], 'cam-2 got the operator desired state only');
      // cam-1 cannot read cam-2's chunk answers either.
      const seenByCam1: string[] = [];
      cam1.on('message', (topic) => seenByCam1.push(topic));
      await cam1.subscribeAsync('ringmoe/north/cam-2/ota/chunk', { qos: 1 }).catch(() => {});
      await ops.publishAsync('ringmoe/north/cam-2/ota/chunk', 'chunk for cam-2', { qos: 1 });
      await new Promise((r) => setTimeout(r, 300));
      t.deepEqual(seenByCam1, []);
    } finally {
      for (const c of [ops, cam1, cam2]) await c.endAsync();
    }
  },
);

maybe(
  "the SDK's result publisher (client certificate) and fleet consumer (password) work through the secured broker",
  async (t) => {
    const consumer = await FleetConsumer.create({
      url: operatorUrl(),
      fleet: 'north',
      username: 'ops',
      password: 'ops-secret',
      tls: { ca: pki().ca },
    });
    const publisher = await ResultPublisher.create({
      url: deviceUrl(),
      fleet: 'north',
      device: 'cam-1',
      tls: { ca: pki().ca, ...pki().cert('cam-1') },
    });
    try {
      const got = new Promise<string>((resolve) => consumer.on('result', (r) => resolve(`${r.device}/${r.task}`)));
      await publisher.publishResult('detection', { boxes: [] }, { frameId: 'f1' });
      t.is(await got, 'cam-1/detection');
    } finally {
      await publisher.close();
      await consumer.close();
    }
    // A publisher claiming to be cam-2 with cam-1's certificate publishes nothing that arrives.
    const consumer2 = await FleetConsumer.create({
      url: operatorUrl(),
      fleet: 'north',
      username: 'ops',
      password: 'ops-secret',
      tls: { ca: pki().ca },
    });
    const liar = await ResultPublisher.create({
      url: deviceUrl(),
      fleet: 'north',
      device: 'cam-2',
      tls: { ca: pki().ca, ...pki().cert('cam-1') },
    }).catch((e: Error) => e);
    try {
      if (!(liar instanceof Error))
        await liar.publishResult('detection', { boxes: [] }, { frameId: 'f2' }).catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
      t.is(consumer2.summary().totals.results, 0);
    } finally {
      if (!(liar instanceof Error)) await liar.close().catch(() => {});
      await consumer2.close();
    }
  },
);

test('the shipped deploy/mosquitto files are what the generator writes for fleet north', async (t) => {
  const { conf, acl } = mosquittoConfig({
    fleets: ['north'],
    operators: ['ops'],
    files: {
      ca: '/etc/mosquitto/certs/fleet-ca.crt',
      cert: '/etc/mosquitto/certs/server.crt',
      key: '/etc/mosquitto/certs/server.key',
      passwords: '/etc/mosquitto/passwd',
      acl: '/etc/mosquitto/ringmoe.acl',
    },
    extra: ['persistence true', 'persistence_location /var/lib/mosquitto/', 'log_dest syslog'],
  });
  t.is(await readFile(join(REPO_ROOT, 'deploy', 'mosquitto', 'mosquitto.conf'), 'utf8'), conf);
  t.is(await readFile(join(REPO_ROOT, 'deploy', 'mosquitto', 'ringmoe.acl'), 'utf8'), acl);
  t.throws(
    () =>
      mosquittoConfig({
        fleets: ['no/rth'],
        operators: ['ops'],
        files: { ca: 'a', cert: 'b', key: 'c', passwords: 'd', acl: 'e' },
      }),
    { code: 'E_INVALID_ARGUMENT' },
  );
});
