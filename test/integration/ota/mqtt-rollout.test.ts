/**
 * A fleet rollout over a real broker (aedes in-process, and mosquitto when installed): three
 * devices on v1 get v2 over HTTP; the one whose latency budget v2 cannot meet rolls back and says
 * why; then an expert-add update (v2 + SAR-L2 experts) travels as MQTT chunks only, and the bytes
 * sent are exactly the blobs each device lacked.
 */
import test from 'ava';
import { bundleDelta } from '../../../sdk/ota/bundle/delta.js';
import type { AgentReport } from '../../../sdk/ota/agent/agent-states.js';
import { openBundleDir } from '../../../tools/bundle/bundle-dir.js';
import { FleetWatcher } from '../../../tools/bundle/fleet-status.js';
import { publishBundle } from '../../../tools/bundle/publish.js';
import { testIf } from '../../helpers/shared-data.js';
import { HAS_MOSQUITTO, startAedes, startMosquitto, type TestBroker } from './brokers.js';
import { FLEET, otaFixture, startMqttDevice } from './fixtures.js';

async function rollout(t: import('ava').ExecutionContext, broker: TestBroker): Promise<void> {
  const fx = await otaFixture();
  const [v1, v2, v3] = await Promise.all([
    openBundleDir(fx.bundles.v1),
    openBundleDir(fx.bundles.v2),
    openBundleDir(fx.bundles.v3),
  ]);
  const devices = [
    await startMqttDevice(fx, broker.url, 'drone-1'),
    await startMqttDevice(fx, broker.url, 'drone-2'),
    await startMqttDevice(fx, broker.url, 'slow-3', { health: { frames: 2, latencyBudgetMs: 0.001 } }),
  ];
  const watch = await FleetWatcher.start({ broker: broker.url, fleet: FLEET });
  try {
    for (const d of devices) t.is((await d.agent.installFromDirectory(fx.bundles.v1)).result, 'installed');
    t.true(
      await watch.waitFor((ds) => ds.length === 3 && ds.every((d) => d.current?.version === '1.0.0'), 10_000),
      'every device reports v1',
    );

    const seen = new Map<string, string[]>();
    const offStates = watch.onChange(() => {
      for (const d of watch.devices()) {
        const s = seen.get(d.device) ?? [];
        if (s[s.length - 1] !== d.state) s.push(d.state);
        seen.set(d.device, s);
      }
    });
    const pub2 = await publishBundle({
      bundleDir: fx.bundles.v2,
      fleet: FLEET,
      broker: broker.url,
      keyPath: fx.keyFiles.operator,
    });
    const done = (seq: number) => (ds: AgentReport[]) =>
      ds.filter((d) => d.state === 'idle' && d.outcome?.seq === seq).length === 3;
    t.true(await watch.waitFor(done(pub2.desired.seq), 60_000), 'every device answered v2');
    offStates();
    await pub2.close();
    const byDevice = Object.fromEntries(watch.devices().map((d) => [d.device, d]));
    t.is(byDevice['drone-1']!.outcome!.result, 'installed');
    t.is(byDevice['drone-2']!.outcome!.result, 'installed');
    t.is(byDevice['drone-1']!.current!.version, '2.0.0');
    t.is(byDevice['slow-3']!.outcome!.result, 'rolled-back');
    t.is(byDevice['slow-3']!.outcome!.code, 'E_HEALTH_CHECK');
    t.regex(byDevice['slow-3']!.outcome!.message!, /health check failed \(0\/2 frames passed\).*budget/);
    t.is(byDevice['slow-3']!.current!.version, '1.0.0');
    t.is(byDevice['slow-3']!.health?.ok, false);
    for (const state of ['downloading', 'health-check'])
      t.true(seen.get('drone-1')!.includes(state), `drone-1 reported ${state}: ${seen.get('drone-1')!.join(' → ')}`);
    t.true(seen.get('slow-3')!.includes('rolling-back'), seen.get('slow-3')!.join(' → '));

    // Expert add, over MQTT chunks only.
    const had = {
      fast: [...v1.manifest.files, ...v2.manifest.files].map((f) => f.sha256),
      slow: v1.manifest.files.map((f) => f.sha256),
    };
    const deltaFast = bundleDelta(v3.manifest, had.fast);
    const deltaSlow = bundleDelta(v3.manifest, had.slow);
    const vsV2 = bundleDelta(
      v3.manifest,
      v2.manifest.files.map((f) => f.sha256),
    );
    t.true(
      vsV2.paths.every((p) => /sar-l2|fusion|^ringmoe\.json$/.test(p)),
      `v2 → v3 ships only the SAR-L2 additions: ${vsV2.paths.join(', ')}`,
    );
    t.true(vsV2.bytesNeeded < v3.manifest.totalSize / 2, `${vsV2.bytesNeeded} of ${v3.manifest.totalSize} bytes`);
    const pub3 = await publishBundle({
      bundleDir: fx.bundles.v3,
      fleet: FLEET,
      broker: broker.url,
      keyPath: fx.keyFiles.operator,
      http: false,
      mqttChunks: true,
      base: fx.bundles.v2,
    });
    t.deepEqual(pub3.delta, vsV2, 'publish reports the delta before sending');
    t.true(await watch.waitFor(done(pub3.desired.seq), 90_000), 'every device answered v3');
    const sent = pub3.bytesSent();
    await pub3.close();
    const after = Object.fromEntries(watch.devices().map((d) => [d.device, d]));
    t.is(after['drone-1']!.outcome!.result, 'installed', after['drone-1']!.outcome!.message);
    t.is(after['drone-1']!.current!.version, '2.1.0');
    t.is(after['drone-2']!.current!.version, '2.1.0');
    t.is(after['slow-3']!.outcome!.result, 'rolled-back');
    t.is(after['drone-1']!.outcome!.transfer?.bytes, deltaFast.bytesNeeded, 'the device reported the delta it fetched');
    t.is(after['slow-3']!.outcome!.transfer?.bytes, deltaSlow.bytesNeeded);
    const manifest = v3.manifestBytes.length;
    t.is(sent.http, 0);
    t.is(
      sent.mqtt - sent.mqttRepeated,
      2 * (manifest + deltaFast.bytesNeeded) + manifest + deltaSlow.bytesNeeded,
      'MQTT carried exactly the blobs each device lacked (not counting ranges asked for twice)',
    );
    t.log(
      `${broker.name}: expert add v2 → v3 ships ${deltaFast.bytesNeeded} of ${deltaFast.bytesTotal} bytes (${((100 * deltaFast.bytesNeeded) / deltaFast.bytesTotal).toFixed(1)}%); MQTT sent ${sent.mqtt} bytes to 3 devices (${sent.mqttRepeated} of them again after a late answer)`,
    );
    const v3Slots = await devices[0]!.store.listSlots();
    t.deepEqual(
      v3Slots.sort(),
      [v2.manifestSha256, v3.manifestSha256].sort(),
      'drone-1 keeps v3 and v2 for rollback; v1 is collected',
    );
  } finally {
    await watch.close();
    for (const d of devices) await d.close();
  }
}

test('rollout over aedes: v2 over HTTP with one rollback, then an expert add over MQTT chunks', async (t) => {
  const broker = await startAedes();
  try {
    await rollout(t, broker);
  } finally {
    await broker.close();
  }
});

testIf(HAS_MOSQUITTO, test)(
  'rollout over mosquitto: v2 over HTTP with one rollback, then an expert add over MQTT chunks',
  async (t) => {
    const broker = await startMosquitto();
    try {
      await rollout(t, broker);
    } finally {
      await broker.close();
    }
  },
);
