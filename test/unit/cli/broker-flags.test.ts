/**
 * The shared broker flags (tools/cli/broker-flags.ts): what they resolve to, and a coded error
 * naming the flag and the file for every bad input — a certificate without its key, a key of
 * another certificate, files that are missing, links, not PEM or too large, an empty password
 * file, a password without a user, TLS material with a plain mqtt:// URL.
 */
import test from 'ava';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBrokerAuth, readBrokerFlags } from '../../../tools/cli/broker-flags.js';
import { HAS_OPENSSL, makePki, type Pki } from '../../helpers/fleet-pki.js';

const maybe = HAS_OPENSSL ? test : test.skip;
if (!HAS_OPENSSL) test('broker flag tests with certificates need openssl (skipped)', (t) => t.pass());

let dir = '';
let pki: Pki | undefined;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ringmoe-broker-flags-'));
  if (HAS_OPENSSL) pki = await makePki(dir, ['ops']);
});

test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const URL_TLS = 'mqtts://broker.example:8883';

test('no broker flag: nothing to carry', async (t) => {
  t.is(await readBrokerFlags({}, 'mqtt://localhost:1883', {}), undefined);
  t.is(describeBrokerAuth(undefined), 'no credentials');
});

maybe('the CA, a client certificate and its key, --broker-insecure', async (t) => {
  const ops = pki!.cert('ops');
  const auth = await readBrokerFlags(
    { brokerCa: pki!.caFile, brokerCert: ops.certFile, brokerKey: ops.keyFile },
    URL_TLS,
    {},
  );
  t.deepEqual(auth, { tls: { ca: pki!.ca, cert: ops.cert, key: ops.key } });
  t.is(describeBrokerAuth(auth), 'client certificate, own CA');
  const insecure = await readBrokerFlags({ brokerInsecure: true }, URL_TLS, {});
  t.deepEqual(insecure, { tls: { rejectUnauthorized: false } });
  t.regex(describeBrokerAuth(insecure), /NOT checked/);
});

test('user name and password: from --broker-password-file (first line), else RINGMOE_BROKER_PASSWORD', async (t) => {
  const file = join(dir, 'password');
  await writeFile(file, 'ops-secret\nsecond line ignored\n');
  t.deepEqual(await readBrokerFlags({ brokerUser: 'ops', brokerPasswordFile: file }, URL_TLS, {}), {
    username: 'ops',
    password: 'ops-secret',
  });
  t.deepEqual(await readBrokerFlags({ brokerUser: 'ops' }, URL_TLS, { RINGMOE_BROKER_PASSWORD: 'from-env' }), {
    username: 'ops',
    password: 'from-env',
  });
  t.deepEqual(await readBrokerFlags({ brokerUser: 'ops' }, URL_TLS, {}), { username: 'ops' });
});

maybe('BAD CALL - a certificate without its key, a key of another certificate, a key that is not PEM', async (t) => {
  const ops = pki!.cert('ops');
  const rogue = pki!.cert('ops-rogue');
  const cases: Array<[string, Record<string, unknown>, string, string, string?]> = [
    ['certificate alone', { brokerCert: ops.certFile }, 'E_INVALID_ARGUMENT', '--broker-key'],
    ['key alone', { brokerKey: ops.keyFile }, 'E_INVALID_ARGUMENT', '--broker-cert'],
    [
      "another certificate's key",
      { brokerCert: ops.certFile, brokerKey: rogue.keyFile },
      'E_CONFIG',
      '--broker-key',
      rogue.keyFile,
    ],
    [
      'a certificate as the key',
      { brokerCert: ops.certFile, brokerKey: ops.certFile },
      'E_CONFIG',
      '--broker-key',
      ops.certFile,
    ],
    ['a key as the CA', { brokerCa: ops.keyFile }, 'E_CONFIG', '--broker-ca', ops.keyFile],
  ];
  for (const [what, o, code, field, file] of cases) {
    const e = await t.throwsAsync(readBrokerFlags(o, URL_TLS, {}), undefined, what);
    t.like(e, { code, field }, what);
    if (file) t.true(e!.message.includes(file), `${what}: ${e!.message}`);
  }
});

test('BAD CALL - files that are missing, links, not regular, too large or empty', async (t) => {
  const missing = join(dir, 'nope.crt');
  const link = join(dir, 'link.crt');
  const big = join(dir, 'big.crt');
  const empty = join(dir, 'empty.password');
  const notPem = join(dir, 'not-pem.crt');
  await symlink(join(dir, 'elsewhere.crt'), link);
  await writeFile(big, Buffer.alloc((1 << 20) + 1, 0x41));
  await writeFile(empty, '\n');
  await writeFile(notPem, 'hello\n');
  const cases: Array<[string, Record<string, unknown>, string, string, string]> = [
    ['missing CA', { brokerCa: missing }, 'E_FILE_NOT_FOUND', '--broker-ca', missing],
    ['CA through a link', { brokerCa: link }, 'E_PATH_UNSAFE', '--broker-ca', link],
    ['a directory as the CA', { brokerCa: dir }, 'E_PATH_UNSAFE', '--broker-ca', dir],
    ['a CA over 1 MiB', { brokerCa: big }, 'E_FILE_TOO_LARGE', '--broker-ca', big],
    ['a CA that is not PEM', { brokerCa: notPem }, 'E_CONFIG', '--broker-ca', notPem],
    [
      'an empty password file',
      { brokerUser: 'ops', brokerPasswordFile: empty },
      'E_CONFIG',
      '--broker-password-file',
      empty,
    ],
    [
      'a password file over 4 KiB',
      { brokerUser: 'ops', brokerPasswordFile: big },
      'E_FILE_TOO_LARGE',
      '--broker-password-file',
      big,
    ],
  ];
  for (const [what, o, code, field, file] of cases) {
    const e = await t.throwsAsync(readBrokerFlags(o, URL_TLS, {}), undefined, what);
    t.like(e, { code, field }, what);
    t.true(e!.message.includes(file), `${what}: ${e!.message}`);
  }
});

test('BAD CALL - TLS material with a plain mqtt:// URL; a password without a user', async (t) => {
  const e1 = await t.throwsAsync(readBrokerFlags({ brokerInsecure: true }, 'mqtt://localhost:1883', {}));
  t.like(e1, { code: 'E_INVALID_ARGUMENT', field: '--broker-insecure' });
  t.regex(e1!.message, /mqtt:\/\/localhost:1883/);
  const file = join(dir, 'pw');
  await writeFile(file, 'x\n');
  const e2 = await t.throwsAsync(readBrokerFlags({ brokerPasswordFile: file }, URL_TLS, {}));
  t.like(e2, { code: 'E_INVALID_ARGUMENT', field: '--broker-password-file' });
});
