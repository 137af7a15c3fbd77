/**
 * Forged device reports. Any client on the broker can publish on a device's OTA state topic; with
 * the fleet's trust file, only reports signed by the device's own key (made at provisioning) count
 * in `publish --wait`, `fleet status` and {@link FleetWatcher}; the rest are listed as unverified.
 */
import test from 'ava';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { AgentReport } from '../../../sdk/ota/agent/agent-states.js';
import { decodeReport, encodeReport } from '../../../sdk/ota/fleet/device-report.js';
import { TrustStore } from '../../../sdk/core/signing/trust-store.js';
import { FleetWatcher } from '../../../tools/bundle/fleet-status.js';
import { runCliProcess as cli } from '../../helpers/cli-process.js';
import { tempDir } from '../../helpers/packages.js';
import { startAedes } from '../ota/brokers.js';
import { FLEET, otaFixture, startMqttDevice } from '../ota/fixtures.js';

const pem = (k: KeyObject) => k.export({ format: 'pem', type: k.type === 'private' ? 'pkcs8' : 'spki' }) as string;

function report(device: string, o: Partial<AgentReport> = {}): AgentReport {
  return { fleet: FLEET, device, state: 'idle', transition: 'committed', at: new Date().toISOString(), ...o };
}

const installed = (device: string, seq: number): AgentReport =>
  report(device, {
    current: { name: 'drone-optical', version: '9.9.9', manifest: 'f'.repeat(64) },
    outcome: {
      result: 'installed',
      seq,
      bundle: { name: 'drone-optical', version: '9.9.9', manifest: 'f'.repeat(64) },
      at: new Date().toISOString(),
    },
  });

/** Device keys for cam-1 and cam-2, trusted in a fleet trust file beside `base` keys. */
function deviceKeys(base: TrustStore = TrustStore.fromKeys([])) {
  const cam1 = generateKeyPairSync('ed25519');
  const cam2 = generateKeyPairSync('ed25519');
  const rogue = generateKeyPairSync('ed25519');
  const trust = TrustStore.fromKeys([
    ...base.list(),
    { publicKey: pem(cam1.publicKey), roles: ['device'], device: 'cam-1', name: 'cam-1' },
    { publicKey: pem(cam2.publicKey), roles: ['device'], device: 'cam-2', name: 'cam-2' },
  ]);
  return { cam1: cam1.privateKey, cam2: cam2.privateKey, rogue: rogue.privateKey, trust };
}

test('decodeReport: only a report signed by the key bound to its own device verifies', (t) => {
  const k = deviceKeys();
  const where = { fleet: FLEET, device: 'cam-1' };
  t.true(decodeReport(encodeReport(report('cam-1'), k.cam1), where, k.trust).verified);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['unsigned', encodeReport(report('cam-1')), /unsigned/],
    ['signed by an untrusted key', encodeReport(report('cam-1'), k.rogue), /E_UNTRUSTED_KEY/],
    ["signed by another device's key", encodeReport(report('cam-1'), k.cam2), /key of device cam-2, not of cam-1/],
  ];
  for (const [name, bytes, reason] of cases) {
    const r = decodeReport(bytes, where, k.trust);
    t.false(r.verified, name);
    t.regex(r.unverifiedReason ?? '', reason, name);
  }
  // Altered after signing.
  const env = JSON.parse(encodeReport(report('cam-1'), k.cam1).toString()) as { payload: string; signature: unknown };
  const altered = Buffer.from(
    JSON.stringify({ payload: env.payload.replace('"idle"', '"health-check"'), signature: env.signature }),
  );
  t.regex(decodeReport(altered, where, k.trust).unverifiedReason ?? '', /E_SIGNATURE/);
  // A report naming another device than its topic, oversized or deeply nested: refused outright.
  t.throws(() => decodeReport(encodeReport(report('cam-2'), k.cam2), where, k.trust), {
    code: 'E_MQTT_PAYLOAD',
    message: /came on the topic of north\/cam-1/,
  });
  t.throws(() => decodeReport(Buffer.alloc(70_000, 0x20), where, k.trust), {
    code: 'E_MQTT_PAYLOAD',
    message: /limit/,
  });
  t.throws(
    () => decodeReport(Buffer.from(`{"state":"idle","x":${'['.repeat(5000)}${']'.repeat(5000)}}`), where, k.trust),
    { code: 'E_MQTT_PAYLOAD', message: /nested/ },
  );
});

test('FleetWatcher with a trust file counts verified reports only; a verified report is not replaced by a forged one; devices are bounded', async (t) => {
  const k = deviceKeys();
  const broker = await startAedes();
  const evil = await mqtt.connectAsync(broker.url);
  const device = await mqtt.connectAsync(broker.url);
  const watch = await FleetWatcher.start({ broker: broker.url, fleet: FLEET, trust: k.trust, maxDevices: 50 });
  try {
    await device.publishAsync(`ringmoe/${FLEET}/cam-1/ota/state`, encodeReport(installed('cam-1', 1), k.cam1), {
      retain: true,
      qos: 1,
    });
    await watch.waitFor((d) => d.length === 1, 5000);
    await evil.publishAsync(
      `ringmoe/${FLEET}/cam-1/ota/state`,
      encodeReport(report('cam-1', { state: 'rolling-back' })),
      { qos: 1 },
    );
    await evil.publishAsync(`ringmoe/${FLEET}/ghost/ota/state`, encodeReport(installed('ghost', 1)), { qos: 1 });
    for (let i = 0; i < 100; i++)
      evil.publish(`ringmoe/${FLEET}/fake-${i}/ota/state`, encodeReport(report(`fake-${i}`)), { qos: 0 });
    await new Promise((r) => setTimeout(r, 500));
    t.deepEqual(
      watch.devices().map((d) => [d.device, d.outcome?.result]),
      [['cam-1', 'installed']],
    );
    t.true(watch.unverified().some((u) => u.device === 'ghost' && u.reason === 'unsigned'));
    t.false(watch.unverified().some((u) => u.device === 'cam-1'));
    t.is(watch.unverified().length, 49, 'at most maxDevices devices are tracked');
    t.true(watch.refused >= 52, `refused ${watch.refused}`);
  } finally {
    await watch.close();
    await evil.endAsync();
    await device.endAsync();
    await broker.close();
  }
});

test('publish --wait --trust: a forged "installed" report of a device that does not exist does not count; fleet status lists it as unverified', async (t) => {
  const fx = await otaFixture();
  const k = deviceKeys(fx.trust);
  const dir = tempDir('attacks-reports');
  const trustFile = join(dir, 'fleet-trust.json');
  await writeFile(trustFile, JSON.stringify({ format: 'ringmoe-edge/trust', keys: k.trust.list() }, null, 2));
  const broker = await startAedes();
  const cam1 = await startMqttDevice(fx, broker.url, 'cam-1', {}, { deviceKey: k.cam1 });
  const evil = await mqtt.connectAsync(broker.url);
  try {
    t.is((await cam1.agent.installFromDirectory(fx.bundles.v1)).result, 'installed');
    const seq = Date.now();
    // The forger knows the seq (it is in the retained desired state) and answers for a ghost device at once.
    await evil.publishAsync(`ringmoe/${FLEET}/ghost/ota/state`, encodeReport(installed('ghost', seq)), {
      retain: true,
      qos: 1,
    });
    // Without verification the ghost's report would answer --expect 1 at once, before cam-1 installs.
    const pub = await cli([
      'publish',
      fx.bundles.v2,
      '--fleet',
      FLEET,
      '--broker',
      broker.url,
      '--key',
      fx.keyFiles.operator,
      '--seq',
      String(seq),
      '--trust',
      trustFile,
      '--wait',
      '120',
      '--expect',
      '1',
      '--json',
    ]);
    t.is(pub.code, 0, pub.stderr);
    const r = JSON.parse(pub.stdout) as {
      complete: boolean;
      devices: { device: string; outcome?: string }[];
      unverified: { device: string; reason: string }[];
      verified: boolean;
    };
    t.true(r.verified);
    t.true(r.complete);
    t.deepEqual(
      r.devices.map((d) => [d.device, d.outcome]),
      [['cam-1', 'installed']],
      'the rollout completed on the real device, not on the forged report',
    );
    t.deepEqual(
      r.unverified.map((u) => [u.device, u.reason]),
      [['ghost', 'unsigned']],
    );
    const status = await cli([
      'fleet',
      'status',
      '--fleet',
      FLEET,
      '--broker',
      broker.url,
      '--trust',
      trustFile,
      '--wait',
      '500',
    ]);
    t.is(status.code, 0, status.stderr);
    t.regex(status.stdout, /unverified \(not counted\): ghost \(unsigned\)/);
    t.regex(status.stdout, /cam-1 +drone-optical@2\.0\.0 +idle/);
    t.notRegex(status.stdout, /ghost +drone-optical/);
  } finally {
    await evil.endAsync();
    await cam1.close();
    await broker.close();
  }
});

test('FleetWatcher: a replayed older signed report does not replace the newer one', async (t) => {
  const k = deviceKeys();
  const broker = await startAedes();
  const evil = await mqtt.connectAsync(broker.url);
  const watch = await FleetWatcher.start({ broker: broker.url, fleet: FLEET, trust: k.trust });
  try {
    const old = encodeReport(report('cam-1', { state: 'downloading', at: '2026-01-01T00:00:00.000Z' }), k.cam1);
    await evil.publishAsync(`ringmoe/${FLEET}/cam-1/ota/state`, encodeReport(installed('cam-1', 7), k.cam1), {
      qos: 1,
    });
    await watch.waitFor((d) => d.length === 1, 5000);
    await evil.publishAsync(`ringmoe/${FLEET}/cam-1/ota/state`, old, { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    t.is(watch.devices()[0]?.outcome?.result, 'installed');
    t.is(watch.refused, 1);
  } finally {
    await watch.close();
    await evil.endAsync();
    await broker.close();
  }
});
