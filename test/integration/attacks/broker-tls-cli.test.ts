/**
 * The operator commands through the secured broker (real Mosquitto with the fleet configuration:
 * TLS only, client certificates of the fleet CA on the device listener, the fleet ACL). With the
 * operator's client certificate (CN = ops) `publish --wait` rolls a bundle out to a real agent that
 * connects with its own device certificate, and `fleet status` reads the fleet; without a client
 * certificate, or with one of another CA, both are refused with E_MQTT_TLS, not left hanging until
 * a timeout; so are `subscribe` and `station`. The password listener works with --broker-user and
 * --broker-password-file.
 */
import test from 'ava';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { runCli } from '../../../tools/cli/cli.js';
import { createIO } from '../../../tools/cli/io.js';
import { runCliProcess as cli } from '../../helpers/cli-process.js';
import { HAS_FLEET_PKI, startSecuredBroker, type SecuredBroker } from '../../helpers/fleet-pki.js';
import { tempDir } from '../../helpers/packages.js';
import { FLEET, otaFixture, startMqttDevice } from '../ota/fixtures.js';

const maybe = HAS_FLEET_PKI ? test.serial : test.skip;
if (!HAS_FLEET_PKI)
  test('broker TLS CLI tests need mosquitto, mosquitto_passwd and openssl (skipped)', (t) => t.pass());

let secured: SecuredBroker | undefined;

test.before(async () => {
  if (HAS_FLEET_PKI) secured = await startSecuredBroker(['ops', 'cam-1']);
});

test.after.always(async () => {
  await secured?.close();
});

/** The broker flags of a client certificate (`ops`, `ops-rogue`), or of the CA alone (`undefined`). */
function tlsFlags(cert: string | undefined): string[] {
  const s = secured!;
  const flags = ['--broker', s.deviceUrl, '--broker-ca', s.pki.caFile];
  if (cert === undefined) return flags;
  const f = s.pki.cert(cert);
  return [...flags, '--broker-cert', f.certFile, '--broker-key', f.keyFile];
}

interface CliError {
  error: { code: string; message: string; field?: string; hint?: string };
}

/** The coded error of a failed `--json` run. */
function errorOf(r: { code: number; stdout: string; stderr: string }): CliError['error'] {
  const text = r.stdout.trim() || r.stderr.trim();
  try {
    return (JSON.parse(text) as CliError).error;
  } catch {
    return { code: '?', message: text };
  }
}

maybe('publish --wait and fleet status work with the operator client certificate', async (t) => {
  const fx = await otaFixture();
  const s = secured!;
  const cam1 = s.pki.cert('cam-1');
  const device = await startMqttDevice(
    fx,
    s.deviceUrl,
    'cam-1',
    {},
    { mqtt: { ca: s.pki.ca, cert: cam1.cert, key: cam1.key } },
  );
  try {
    t.is((await device.agent.installFromDirectory(fx.bundles.v1)).result, 'installed');
    const pub = await cli([
      'publish',
      fx.bundles.v2,
      '--fleet',
      FLEET,
      ...tlsFlags('ops'),
      '--key',
      fx.keyFiles.operator,
      '--wait',
      '120',
      '--expect',
      '1',
      '--json',
    ]);
    t.is(pub.code, 0, pub.stderr);
    const r = JSON.parse(pub.stdout) as { complete: boolean; devices: { device: string; outcome?: string }[] };
    t.true(r.complete);
    t.deepEqual(
      r.devices.map((d) => [d.device, d.outcome]),
      [['cam-1', 'installed']],
    );
    const status = await cli(['fleet', 'status', '--fleet', FLEET, ...tlsFlags('ops'), '--wait', '500']);
    t.is(status.code, 0, status.stderr);
    t.regex(status.stdout, /cam-1 +drone-optical@2\.0\.0 +idle/);
  } finally {
    await device.close();
  }
});

maybe(
  'without a client certificate, or with one of another CA, publish and fleet status are refused with E_MQTT_TLS',
  async (t) => {
    const fx = await otaFixture();
    for (const [what, cert] of [
      ['no client certificate', undefined],
      ['a certificate of another CA', 'ops-rogue'],
    ] as const) {
      const status = await cli(['fleet', 'status', '--fleet', FLEET, ...tlsFlags(cert), '--json']);
      t.not(status.code, 0, `fleet status with ${what}`);
      const e = errorOf(status);
      t.is(e.code, 'E_MQTT_TLS', `fleet status with ${what}: ${e.message}`);
      t.regex(e.message, /refused the TLS handshake/);
      const pub = await cli([
        'publish',
        fx.bundles.v2,
        '--fleet',
        FLEET,
        ...tlsFlags(cert),
        '--key',
        fx.keyFiles.operator,
        '--no-http',
        '--mqtt-chunks',
        '--wait',
        '5',
        '--json',
      ]);
      t.not(pub.code, 0, `publish with ${what}`);
      t.is(errorOf(pub).code, 'E_MQTT_TLS', `publish with ${what}: ${errorOf(pub).message}`);
    }
  },
);

maybe('the password listener: --broker-user with --broker-password-file; a wrong password is refused', async (t) => {
  const s = secured!;
  const base = ['fleet', 'status', '--fleet', FLEET, '--broker', s.operatorUrl, '--broker-ca', s.pki.caFile];
  const ok = await cli([
    ...base,
    '--broker-user',
    'ops',
    '--broker-password-file',
    s.operator.passwordFile,
    '--wait',
    '0',
    '--json',
  ]);
  t.is(ok.code, 0, ok.stderr);
  const wrong = join(tempDir('broker-tls-cli'), 'wrong.password');
  await writeFile(wrong, 'guess\n');
  const refused = await cli([...base, '--broker-user', 'ops', '--broker-password-file', wrong, '--json']);
  t.not(refused.code, 0);
  t.is(errorOf(refused).code, 'E_MQTT_PROTOCOL', errorOf(refused).message);
});

maybe(
  'subscribe and the station reach the broker with the client certificate and are refused without one',
  async (t) => {
    const io = () => createIO(false, new PassThrough(), new PassThrough());
    for (const command of [
      ['subscribe', '--timeout', '1'],
      ['station', '--timeout', '1', '--port', '0'],
    ]) {
      const { result } = await runCli([...command, '--fleet', FLEET, ...tlsFlags('ops')], io);
      t.like(result, { stoppedBy: 'timeout' }, command[0]);
      const refused = await t.throwsAsync(runCli([...command, '--fleet', FLEET, ...tlsFlags(undefined)], io));
      t.is((refused as { code?: string }).code, 'E_MQTT_TLS', `${command[0]}: ${refused!.message}`);
    }
  },
);
