/**
 * The OTA commands through the real executable: keygen → bundle → sign → verify → publish --wait
 * to devices on a broker → fleet status, human and --json, and their misuse errors.
 */
import test from 'ava';
import { join } from 'node:path';
import { TrustStore } from '../../../sdk/core/signing/trust-store.js';
import { tempDir } from '../../helpers/packages.js';
import { startAedes } from './brokers.js';
import { FLEET, otaFixture, startMqttDevice, TARGET } from './fixtures.js';
import { runCliProcess as cli } from '../../helpers/cli-process.js';

test('keygen → bundle → sign → verify, readable and --json', async (t) => {
  const fx = await otaFixture();
  const dir = tempDir('cli');
  const rel = await cli([
    'keygen',
    '-o',
    join(dir, 'keys', 'release'),
    '--trust',
    join(dir, 'trust.json'),
    '--roles',
    'bundle',
    '--name',
    'release',
  ]);
  t.is(rel.code, 0, rel.stderr);
  t.regex(rel.stdout, /^key [0-9a-f]{16}: private .*release\.key \(keep it secret\)/);
  t.regex(rel.stdout, /trusted for bundle in .*trust\.json \(1 key\)/);
  const ops = JSON.parse(
    (
      await cli([
        'keygen',
        '-o',
        join(dir, 'keys', 'ops'),
        '--trust',
        join(dir, 'trust.json'),
        '--roles',
        'desired',
        '--json',
      ])
    ).stdout,
  ) as { keyId: string; trust: { keys: number } };
  t.is(ops.trust.keys, 2);
  t.deepEqual(
    (await TrustStore.load(join(dir, 'trust.json'))).list().map((k) => k.roles.join()),
    ['bundle', 'desired'],
  );

  const b1 = await cli([
    'bundle',
    fx.packages.v2,
    '-o',
    join(dir, 'b2'),
    '--release',
    '2.0.0',
    '--target',
    TARGET,
    '--name',
    'drone-optical',
    '--key',
    join(dir, 'keys', 'release.key'),
  ]);
  t.is(b1.code, 0, b1.stderr);
  t.regex(b1.stdout, /wrote drone-optical@2\.0\.0 for cpu-x86-64-onnxruntime to .*b2: 67 files, 67 blobs/);
  t.regex(b1.stdout, /signed by key [0-9a-f]{16}/);
  const plan = JSON.parse(
    (
      await cli([
        'bundle',
        fx.packages.v3,
        '--release',
        '2.1.0',
        '--target',
        TARGET,
        '--name',
        'drone-optical',
        '--base',
        join(dir, 'b2'),
        '--dry-run',
        '--json',
      ])
    ).stdout,
  ) as { dryRun: boolean; delta: { blobsNeeded: number; paths: string[] } };
  t.true(plan.dryRun);
  t.true(plan.delta.paths.every((p) => /sar-l2|fusion|ringmoe\.json/.test(p)));
  const b3 = await cli([
    'bundle',
    fx.packages.v3,
    '-o',
    join(dir, 'b3'),
    '--release',
    '2.1.0',
    '--target',
    TARGET,
    '--name',
    'drone-optical',
  ]);
  t.regex(b3.stdout, /not signed yet: ringmoe-edge sign/);
  const unsigned = await cli(['verify', join(dir, 'b3'), '--trust', join(dir, 'trust.json'), '--json']);
  t.is(unsigned.code, 1);
  t.is((JSON.parse(unsigned.stdout) as { error: { code: string } }).error.code, 'E_SIGNATURE');
  const signed = await cli(['sign', join(dir, 'b3'), '--key', join(dir, 'keys', 'release.key')]);
  t.regex(signed.stdout, /^signed .*b3 \(manifest [0-9a-f]{64}\) with key [0-9a-f]{16}/);
  const ok = await cli(['verify', join(dir, 'b3'), '--trust', join(dir, 'trust.json'), '--target', TARGET]);
  t.is(ok.code, 0, ok.stderr);
  t.regex(
    ok.stdout,
    /^OK drone-optical@2\.1\.0 for cpu-x86-64-onnxruntime: signed by [0-9a-f]{16}, 96 files, 96 blobs verified/,
  );
  const wrongKey = await cli(['verify', join(dir, 'b3'), '--pub', join(dir, 'keys', 'ops.pub')]);
  t.is(wrongKey.code, 1);
  t.regex(wrongKey.stderr, /error E_UNTRUSTED_KEY: .*does not trust/);
});

test('BAD CALL - missing required options exit 2 with E_INVALID_ARGUMENT and say what to pass', async (t) => {
  const fx = await otaFixture();
  const noOut = await cli(['bundle', fx.packages.v1, '--release', '1.0.0', '--target', TARGET]);
  t.is(noOut.code, 2);
  t.regex(noOut.stderr, /bundle needs -o <dir> \(or --dry-run\)/);
  const noBroker = await cli(['publish', fx.bundles.v1, '--fleet', FLEET, '--key', fx.keyFiles.operator]);
  t.is(noBroker.code, 2);
  t.regex(noBroker.stderr, /publish needs --broker <url> or --embedded-broker/);
  const noTrust = await cli(['verify', fx.bundles.v1]);
  t.is(noTrust.code, 2);
  t.regex(noTrust.stderr, /verify needs --trust/);
  const badRoles = await cli(['keygen', '-o', join(tempDir('cli'), 'k'), '--roles', 'root']);
  t.is(badRoles.code, 2);
  t.regex(badRoles.stderr, /--roles/);
});

test('publish --wait drives devices on a broker to the new version; fleet status shows them', async (t) => {
  const fx = await otaFixture();
  const broker = await startAedes();
  const devices = [await startMqttDevice(fx, broker.url, 'cam-1'), await startMqttDevice(fx, broker.url, 'cam-2')];
  try {
    for (const d of devices) t.is((await d.agent.installFromDirectory(fx.bundles.v1)).result, 'installed');
    const pub = await cli([
      'publish',
      fx.bundles.v2,
      '--fleet',
      FLEET,
      '--broker',
      broker.url,
      '--key',
      fx.keyFiles.operator,
      '--base',
      fx.bundles.v1,
      '--wait',
      '120',
      '--expect',
      '2',
      '--json',
    ]);
    t.is(pub.code, 0, pub.stderr);
    const r = JSON.parse(pub.stdout) as {
      complete: boolean;
      devices: { device: string; running: string; outcome: string }[];
      delta: { bytesNeeded: number };
      bytesSent: { http: number };
    };
    t.true(r.complete);
    t.deepEqual(
      r.devices.map((d) => [d.device, d.running, d.outcome]),
      [
        ['cam-1', 'drone-optical@2.0.0', 'installed'],
        ['cam-2', 'drone-optical@2.0.0', 'installed'],
      ],
    );
    t.true(r.bytesSent.http > 0);
    t.regex(pub.stderr, /delta vs .*: \d+ of \d+ blobs/);
    const status = await cli(['fleet', 'status', '--fleet', FLEET, '--broker', broker.url]);
    t.is(status.code, 0, status.stderr);
    t.regex(status.stdout, /cam-1 +drone-optical@2\.0\.0 +idle/);
    t.regex(status.stdout, /installed 2\.0\.0/);
    const json = JSON.parse(
      (await cli(['fleet', 'status', '--fleet', FLEET, '--broker', broker.url, '--json'])).stdout,
    ) as { devices: { device: string; current: { version: string }; previous: { version: string } }[] };
    t.deepEqual(
      json.devices.map((d) => [d.device, d.current.version, d.previous.version]),
      [
        ['cam-1', '2.0.0', '1.0.0'],
        ['cam-2', '2.0.0', '1.0.0'],
      ],
    );
    const none = await cli(['fleet', 'status', '--fleet', 'empty-fleet', '--broker', broker.url, '--wait', '200']);
    t.regex(none.stdout, /no device of fleet empty-fleet has reported/);
  } finally {
    for (const d of devices) await d.close();
    await broker.close();
  }
});

test('EXPECTED FAILURE - publish to an unreachable broker is E_MQTT_OFFLINE', async (t) => {
  const fx = await otaFixture();
  const r = await cli([
    'publish',
    fx.bundles.v1,
    '--fleet',
    FLEET,
    '--broker',
    'mqtt://127.0.0.1:9',
    '--key',
    fx.keyFiles.operator,
    '--json',
  ]);
  t.is(r.code, 1);
  t.is((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'E_MQTT_OFFLINE');
});
