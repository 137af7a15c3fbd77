/**
 * Attacks on the ground-station consumer by any client allowed on the broker: deeply nested and
 * oversized payloads, fake devices, endless tasks and large states. The consumer refuses them with a
 * counted reason, keeps a bounded picture, and `ringmoe-edge subscribe` keeps running.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import mqtt from 'mqtt';
import { FleetConsumer } from '../../../sdk/mqtt/consumer.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../sdk/mqtt/embedded-broker.js';
import { ResultPublisher } from '../../../sdk/mqtt/publisher.js';
import { TrustStore } from '../../../sdk/core/signing/trust-store.js';
import type { SubscribeResult } from '../../../tools/cli/commands/subscribe.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';
import { settledMemory } from '../../helpers/settled-memory.js';

const BIN = join(REPO_ROOT, 'tools', 'cli', 'bin.ts');

async function attacker(broker: EmbeddedBroker): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(broker.url, { clientId: `attacker-${Math.random().toString(16).slice(2)}` });
}

function state(fleet: string, device: string, body: unknown): string {
  return `{"v":1,"type":"state","fleet":"${fleet}","device":"${device}","ts":1,"state":${typeof body === 'string' ? body : JSON.stringify(body)}}`;
}

const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('retained states nested thousands of levels deep: subscribe refuses them (too-deep, state-oversized) and exits 0', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 });
  const evil = await attacker(broker);
  try {
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
    // 7000 levels fit the per-device state size; 200 000 levels (400 KB) do not.
    await evil.publishAsync('ringmoe/north/evil/state', state('north', 'evil', `{"x":${nest(7000)}}`), {
      retain: true,
      qos: 1,
    });
    await evil.publishAsync('ringmoe/north/evil3/state', state('north', 'evil3', `{"x":${nest(200_000)}}`), {
      retain: true,
      qos: 1,
    });
    // CBOR: a map holding 10 000 nested one-element arrays.
    const cbor = Buffer.concat([Buffer.from([0xa1, 0x61, 0x78]), Buffer.alloc(10_000, 0x81), Buffer.from([0x01])]);
    await evil.publishAsync('ringmoe/north/evil2/state', cbor, { retain: true, qos: 1 });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', BIN, 'subscribe', '--broker', broker.url, '--fleet', 'north', '--timeout', '2', '--json'],
      { cwd: REPO_ROOT },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    t.is(code, 0, stderr);
    const r = JSON.parse(stdout) as SubscribeResult;
    t.log(JSON.stringify(r.summary.totals));
    t.is(r.summary.totals.refused['state-oversized'], 1);
    t.true((r.summary.totals.refused['too-deep'] ?? 0) >= 1);
    // The CBOR one is refused by depth too, or (if the decoder gives up first) counted malformed.
    t.is((r.summary.totals.refused['too-deep'] ?? 0) + r.summary.totals.malformed, 2);
    t.is(r.summary.totals.devices, 0);
  } finally {
    await evil.endAsync();
    await broker.close();
  }
});

test('fake devices, endless tasks and oversized payloads are refused by counted reason; memory stays bounded', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 });
  const consumer = await FleetConsumer.create({
    url: broker.url,
    fleet: 'north',
    limits: { maxDevices: 200, maxTasksPerDevice: 4, maxPayloadBytes: 1 << 20 },
  });
  const evil = await attacker(broker);
  try {
    const refused: string[] = [];
    consumer.on('malformed', (e) => refused.push(e.field ?? ''));
    await new Promise((r) => setImmediate(r));
    const before = await settledMemory();
    // 2000 fake devices, each with a 15 KB state (under the 16 KiB per-device limit).
    const filler = 'x'.repeat(15_000);
    for (let i = 0; i < 2000; i++)
      evil.publish(`ringmoe/north/fake-${i}/state`, state('north', `fake-${i}`, { filler }), { qos: 0 });
    // One device, 20 tasks.
    for (let i = 0; i < 20; i++) {
      evil.publish(
        `ringmoe/north/fake-0/results/task${i}`,
        JSON.stringify({
          v: 1,
          type: 'result',
          fleet: 'north',
          device: 'fake-0',
          ts: 1,
          id: `r${i}`,
          task: `task${i}`,
          result: {},
        }),
        { qos: 0 },
      );
    }
    // A 40 KB state and a 2 MB result.
    evil.publish('ringmoe/north/fake-1/state', state('north', 'fake-1', { filler: 'y'.repeat(40_000) }), { qos: 0 });
    evil.publish(
      'ringmoe/north/fake-1/results/big',
      JSON.stringify({
        v: 1,
        type: 'result',
        fleet: 'north',
        device: 'fake-1',
        ts: 1,
        id: 'big',
        task: 'big',
        result: 'z'.repeat(2 << 20),
      }),
      { qos: 1 },
    );
    await until(() => {
      const r = consumer.summary().totals.refused;
      return (
        (r['device-limit'] ?? 0) + (r['task-limit'] ?? 0) + (r['state-oversized'] ?? 0) + (r.oversized ?? 0) >=
        1800 + 16 + 1 + 1
      );
    }, 30_000);
    const s = consumer.summary();
    t.is(s.totals.devices, 200);
    t.like(s.totals.refused, { 'device-limit': 1800, 'task-limit': 16, 'state-oversized': 1, oversized: 1 });
    t.is(Object.keys(s.devices.find((d) => d.device === 'fake-0')!.results).length, 4);
    t.is(refused.filter((r) => r === 'device-limit').length, 1800);
    const grown = (await settledMemory()) - before;
    t.log(`heap+buffers grew ${(grown / 1048576).toFixed(1)} MiB for 200 devices × 15 KB states (2000 sent)`);
    // 200 states of 15 KB are 3 MB of text; allow for object overhead, not for 2000 devices' worth (30 MB).
    t.true(grown < 20 * 1024 * 1024, `grew ${grown} bytes`);
  } finally {
    await evil.endAsync();
    await consumer.close();
    await broker.close();
  }
});

test('consumer limits are checked options', async (t) => {
  await t.throwsAsync(
    FleetConsumer.create({ url: 'mqtt://127.0.0.1:1', fleet: 'north', limits: { maxDevice: 3 } as never }),
    { message: /maxDevice/ },
  );
  await t.throwsAsync(FleetConsumer.create({ url: 'mqtt://127.0.0.1:1', fleet: 'north', limits: { maxDepth: 0 } }), {
    code: 'E_INVALID_ARGUMENT',
  });
});

test('with the fleet trust file, the ground station keeps the state the device signed; forged states are counted unverified and never replace it', async (t) => {
  const cam1 = generateKeyPairSync('ed25519');
  const pem = (k: KeyObject) => k.export({ format: 'pem', type: 'spki' }) as string;
  const trust = TrustStore.fromKeys([{ publicKey: pem(cam1.publicKey), roles: ['device'], device: 'cam-1' }]);
  const broker = await startEmbeddedBroker({ port: 0 });
  const consumer = await FleetConsumer.create({ url: broker.url, fleet: 'north', trust });
  const publisher = await ResultPublisher.create({
    url: broker.url,
    fleet: 'north',
    device: 'cam-1',
    deviceKey: cam1.privateKey,
  });
  const evil = await attacker(broker);
  try {
    await publisher.publishState({ mode: 'survey', battery: 81 });
    await until(() => consumer.summary().devices.some((d) => d.latestState?.verified));
    // Forgeries: an unsigned state for cam-1, and one for a device that does not exist.
    await evil.publishAsync('ringmoe/north/cam-1/state', state('north', 'cam-1', { mode: 'landed' }), { qos: 1 });
    await evil.publishAsync('ringmoe/north/ghost/state', state('north', 'ghost', { mode: 'survey' }), { qos: 1 });
    await until(() => consumer.summary().totals.unverified >= 2);
    const s = consumer.summary();
    const d1 = s.devices.find((d) => d.device === 'cam-1')!;
    t.true(d1.verified);
    t.deepEqual(d1.latestState?.state, { mode: 'survey', battery: 81 });
    const ghost = s.devices.find((d) => d.device === 'ghost')!;
    t.is(ghost.verified, undefined);
    t.is(ghost.latestState?.verified, false);
    t.is(s.totals.unverified, 2);
  } finally {
    await evil.endAsync();
    await publisher.close();
    await consumer.close();
    await broker.close();
  }
});
