/**
 * Forged results, births and deaths. Any client the broker lets in can publish on a device's topics
 * (or replay what it captured there). Devices with a device key sign each result, birth and death
 * (the will too, at CONNECT); a ground station with the fleet's trust file counts only what the
 * device's own key signed for that very topic, and reports the rest as unverified: a result signed
 * by an untrusted key, an unsigned one, a tampered one, another device's result replayed on this
 * device's topic, a result replayed to another task, an unsigned death, an old birth replayed after
 * a reconnect. Without a trust file the consumer behaves as before. Against aedes (MQTT 3.1.1, JSON
 * payloads) and Mosquitto (MQTT 5, CBOR payloads); `subscribe --trust` and the station too.
 */
import test from 'ava';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import mqtt from 'mqtt';
import { startEmbeddedBroker } from '../../../sdk/mqtt/embedded-broker.js';
import { runCli } from '../../../tools/cli/cli.js';
import { createIO } from '../../../tools/cli/io.js';
import type { SubscribeResult } from '../../../tools/cli/commands/subscribe.js';
import { startStation } from '../../../tools/station/station-server.js';
import { tempDir } from '../../helpers/packages.js';
import { encodePayload, type Encoding } from '../../../sdk/mqtt/codec.js';
import { FleetConsumer, type ReceivedResult, type UnverifiedMessage } from '../../../sdk/mqtt/consumer.js';
import { signMessage } from '../../../sdk/mqtt/message-auth.js';
import { ResultPublisher } from '../../../sdk/mqtt/publisher.js';
import { TrustStore } from '../../../sdk/core/signing/trust-store.js';
import { forEachBroker, until } from '../mqtt/brokers.js';
import { startProxy } from '../mqtt/tcp-proxy.js';

const pem = (k: KeyObject) => k.export({ format: 'pem', type: 'spki' }) as string;

function fleetKeys() {
  const cam1 = generateKeyPairSync('ed25519');
  const cam2 = generateKeyPairSync('ed25519');
  const rogue = generateKeyPairSync('ed25519');
  const trust = TrustStore.fromKeys([
    { publicKey: pem(cam1.publicKey), roles: ['device'], device: 'cam-1' },
    { publicKey: pem(cam2.publicKey), roles: ['device'], device: 'cam-2' },
  ]);
  return { cam1: cam1.privateKey, cam2: cam2.privateKey, rogue: rogue.privateKey, trust };
}

const T = 'ringmoe/north';

forEachBroker(
  'results, births and deaths are signed by the device key; forged, unsigned, tampered and replayed ones are counted unverified and never applied',
  async (t, broker) => {
    const encoding: Encoding = broker.name === 'aedes' ? 'json' : 'cbor';
    const k = fleetKeys();
    const proxy = await startProxy(broker.url);
    const trusted = await FleetConsumer.create({ url: broker.url, fleet: 'north', trust: k.trust });
    const open = await FleetConsumer.create({ url: broker.url, fleet: 'north' });
    const evil = await mqtt.connectAsync(broker.url, { clientId: `evil-${Math.random().toString(16).slice(2)}` });
    const got: ReceivedResult[] = [];
    const gotOpen: ReceivedResult[] = [];
    const unverified: UnverifiedMessage[] = [];
    const deaths: { bdSeq: number; graceful: boolean }[] = [];
    trusted.on('result', (r) => got.push(r));
    trusted.on('unverified', (u) => unverified.push(u));
    trusted.on('death', (d, { stale }) => {
      if (!stale) deaths.push({ bdSeq: d.bdSeq, graceful: d.graceful });
    });
    open.on('result', (r) => gotOpen.push(r));
    const captured = new Map<string, Buffer>();
    evil.on('message', (topic, payload) => captured.set(topic, Buffer.from(payload)));
    await evil.subscribeAsync(`${T}/#`, { qos: 1 });
    const device = (name: string, key: KeyObject, url: string) =>
      ResultPublisher.create({
        url,
        fleet: 'north',
        device: name,
        encoding,
        deviceKey: key,
        keepaliveSeconds: 5,
        reconnect: { minDelayMs: 50, maxDelayMs: 200 },
      });
    const cam1 = await device('cam-1', k.cam1, proxy.url);
    const cam2 = await device('cam-2', k.cam2, broker.url);
    try {
      await until(() => trusted.summary().devices.filter((d) => d.online).length === 2, 10_000, 'verified births');
      const firstBirth = captured.get(`${T}/cam-1/birth`)!;
      await cam1.publishResult('detection', { boxes: [[1, 2, 3, 4, 0.9, 0]] }, { id: 'real-1' });
      await cam2.publishResult('detection', { boxes: [] }, { id: 'cam2-1' });
      await until(() => got.length === 2 && captured.has(`${T}/cam-2/results/detection`), 10_000, 'real results');
      const realBytes = captured.get(`${T}/cam-1/results/detection`)!;
      const cam2Bytes = captured.get(`${T}/cam-2/results/detection`)!;

      const result = (id: string) =>
        encodePayload(encoding, {
          v: 1,
          type: 'result',
          id,
          fleet: 'north',
          device: 'cam-1',
          task: 'detection',
          ts: Date.now(),
          result: { boxes: [] },
        });
      const cam1Topic = `${T}/cam-1/results/detection`;
      const attacks: Array<[string, string, Buffer]> = [
        ['signed by an untrusted key', cam1Topic, signMessage(encoding, cam1Topic, result('forged-1'), k.rogue)],
        ['unsigned', cam1Topic, result('unsigned-1')],
        ['tampered', cam1Topic, Buffer.from(realBytes.toString('latin1').replace('real-1', 'real-9'), 'latin1')],
        ["another device's result replayed on cam-1's topic", cam1Topic, cam2Bytes],
        ['replayed to another task', `${T}/cam-1/results/segmentation`, realBytes],
      ];
      for (const [, topic, bytes] of attacks) await evil.publishAsync(topic, bytes, { qos: 1 });
      // An unsigned death for cam-1's live connection.
      const bdSeq = trusted.summary().devices.find((d) => d.device === 'cam-1')!.bdSeq!;
      await evil.publishAsync(
        `${T}/cam-1/death`,
        encodePayload(encoding, {
          v: 1,
          type: 'death',
          fleet: 'north',
          device: 'cam-1',
          ts: Date.now(),
          bdSeq,
          graceful: true,
        }),
        { qos: 1 },
      );
      await until(() => unverified.length === 6, 10_000, 'six unverified messages');
      t.deepEqual(
        unverified.map((u) => u.kind),
        ['result', 'result', 'result', 'result', 'result', 'death'],
      );
      t.regex(unverified[0]!.reason, /E_UNTRUSTED_KEY/);
      t.is(unverified[1]!.reason, 'unsigned');
      for (const u of unverified.slice(2, 5)) t.regex(u.reason, /E_SIGNATURE/);
      t.deepEqual(got.map((r) => r.id).sort(), ['cam2-1', 'real-1'], 'only the real results count');
      t.true(got.every((r) => typeof r.keyId === 'string' && !('sig' in r)));
      const s = trusted.summary();
      t.like(
        s.devices.find((d) => d.device === 'cam-1'),
        { online: true, results: { detection: 1 } },
      );
      t.like(s.totals, { results: 2, unverified: 6, unverifiedByKind: { result: 5, death: 1 } });
      // Without a trust file: as before, every decodable message counts (and signed ones read as unsigned).
      await until(() => gotOpen.length >= 5, 10_000, 'open consumer results');
      t.true(gotOpen.some((r) => r.id === 'forged-1'));
      t.false(gotOpen.some((r) => 'sig' in r));

      // Cut cam-1's socket: the broker publishes its will, signed at CONNECT, and cam-1 comes back with a new birth.
      proxy.cutAll();
      await until(() => deaths.some((d) => d.bdSeq === bdSeq), 15_000, 'the signed will');
      t.like(
        deaths.find((d) => d.bdSeq === bdSeq),
        { graceful: false },
      );
      await until(
        () => trusted.summary().devices.find((d) => d.device === 'cam-1')?.bdSeq === bdSeq + 1,
        15_000,
        'the new birth',
      );
      // Replaying the first birth (validly signed, but older) does not take the device back to bdSeq 0.
      await evil.publishAsync(`${T}/cam-1/birth`, firstBirth, { qos: 1 });
      await until(() => unverified.length === 7, 10_000, 'replayed birth refused');
      t.like(unverified[6], { kind: 'birth', device: 'cam-1' });
      t.regex(unverified[6]!.reason, /replayed/);
      t.like(
        trusted.summary().devices.find((d) => d.device === 'cam-1'),
        { online: true, bdSeq: bdSeq + 1 },
      );
    } finally {
      await cam1.close({ deadlineMs: 1000 });
      await cam2.close({ deadlineMs: 1000 });
      await evil.endAsync();
      await trusted.close();
      await open.close();
      await proxy.close();
    }
  },
);

test('subscribe --trust and the station with a trust file list only signed results and count the forged one apart', async (t) => {
  const k = fleetKeys();
  const broker = await startEmbeddedBroker({ port: 0 });
  const dir = tempDir('signed-messages');
  const trustFile = join(dir, 'fleet-trust.json');
  await writeFile(trustFile, JSON.stringify({ format: 'ringmoe-edge/trust', keys: k.trust.list() }));
  const evil = await mqtt.connectAsync(broker.url);
  const station = await startStation({ broker: broker.url, fleet: 'north', port: 0, trust: k.trust, updateMs: 0 });
  try {
    // Retained, so both are there the moment a consumer subscribes: one signed by cam-1, one forged.
    const result = (id: string) =>
      encodePayload('json', {
        v: 1,
        type: 'result',
        id,
        fleet: 'north',
        device: 'cam-1',
        task: 'detection',
        ts: Date.now(),
        result: { boxes: [] },
      });
    const topic = (task: string) => `${T}/cam-1/results/${task}`;
    const real = encodePayload('json', { ...JSON.parse(result('real-1').toString()), task: 'segmentation' });
    await evil.publishAsync(topic('segmentation'), signMessage('json', topic('segmentation'), real, k.cam1), {
      qos: 1,
      retain: true,
    });
    await evil.publishAsync(topic('detection'), signMessage('json', topic('detection'), result('forged-1'), k.rogue), {
      qos: 1,
      retain: true,
    });
    const lines: string[] = [];
    const io = () => ({
      ...createIO(true, new PassThrough(), new PassThrough()),
      note: (line: string) => lines.push(line),
    });
    const { result: r } = await runCli(
      ['subscribe', '--broker', broker.url, '--fleet', 'north', '--trust', trustFile, '--timeout', '2', '--json'],
      io,
    );
    const sub = r as SubscribeResult;
    t.true(sub.verified);
    t.deepEqual(
      sub.results.map((x) => [x.id, typeof x.keyId]),
      [['real-1', 'string']],
    );
    t.like(sub.summary.totals, { results: 1, unverified: 1, unverifiedByKind: { result: 1 } });
    t.true(
      lines.some((l) => /unverified result on ringmoe\/north\/cam-1\/results\/detection/.test(l)),
      lines.join('\n'),
    );
    await until(() => station.snapshot().totals.unverified === 1, 10_000, 'station counts the forgery');
    t.like(station.snapshot().totals, { results: 1, unverifiedByKind: { result: 1 } });
  } finally {
    await station.close();
    await evil.endAsync();
    await broker.close();
  }
});
