import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkSignatureRecord, keyIdOf, signDocument, verifyDocument } from '../../../../sdk/core/signing/signature.js';
import { TrustStore } from '../../../../sdk/core/signing/trust-store.js';
import { tempDir } from '../../../helpers/packages.js';

const pair = () => generateKeyPairSync('ed25519');
const pem = (k: import('node:crypto').KeyObject) => k.export({ format: 'pem', type: 'spki' }) as string;
const doc = Buffer.from('{"format":"ringmoe-edge/bundle","version":"2.0.0"}');

test('a signature verifies for its document and kind only', (t) => {
  const k = pair();
  const sig = signDocument('bundle', doc, k.privateKey);
  t.is(sig.keyId, keyIdOf(k.publicKey));
  t.true(verifyDocument('bundle', doc, sig, k.publicKey));
  t.false(verifyDocument('desired', doc, sig, k.publicKey), 'a bundle signature is no desired-state signature');
  t.false(
    verifyDocument('bundle', Buffer.concat([doc, Buffer.from(' ')]), sig, k.publicKey),
    'one byte more breaks it',
  );
  t.false(verifyDocument('bundle', doc, sig, pair().publicKey), 'another key does not verify it');
});

test('the trust store checks keys per role', (t) => {
  const release = pair();
  const operator = pair();
  const trust = TrustStore.fromKeys([
    { publicKey: pem(release.publicKey), roles: ['bundle'], name: 'release' },
    { publicKey: pem(operator.publicKey), roles: ['desired'], name: 'operator' },
  ]);
  t.is(trust.verify('bundle', doc, signDocument('bundle', doc, release.privateKey)), keyIdOf(release.publicKey));
  const wrongRole = t.throws(() => trust.verify('bundle', doc, signDocument('bundle', doc, operator.privateKey)));
  t.is((wrongRole as { code?: string }).code, 'E_UNTRUSTED_KEY');
  t.regex(wrongRole!.message, /operator\) is trusted for desired, not for signing bundles/);
  const unknown = t.throws(() => trust.verify('desired', doc, signDocument('desired', doc, pair().privateKey)));
  t.is((unknown as { code?: string }).code, 'E_UNTRUSTED_KEY');
  const bad = t.throws(() =>
    trust.verify('bundle', doc, {
      ...signDocument('bundle', doc, release.privateKey),
      signature: signDocument('bundle', Buffer.from('x'), release.privateKey).signature,
    }),
  );
  t.is((bad as { code?: string }).code, 'E_SIGNATURE');
});

test('EXPECTED FAILURE - malformed signature records are E_SIGNATURE naming the problem', (t) => {
  const good = signDocument('bundle', doc, pair().privateKey);
  const cases: [unknown, RegExp][] = [
    [null, /must be an object/],
    [{ ...good, alg: 'rsa' }, /algorithm "rsa" is not supported/],
    [{ ...good, keyId: 'XYZ' }, /keyId must be 16 lowercase hex/],
    [{ ...good, signature: 'not base64!' }, /base64 of 64 bytes/],
    [{ ...good, signature: Buffer.alloc(32).toString('base64') }, /base64 of 64 bytes/],
  ];
  for (const [value, message] of cases) {
    const err = t.throws(() => checkSignatureRecord(value, { file: 'bundle.sig' }));
    t.is((err as { code?: string }).code, 'E_SIGNATURE');
    t.regex(err!.message, message);
    t.regex(err!.message, /^bundle\.sig/);
  }
});

test('EXPECTED FAILURE - a trust file with a wrong keyId, an RSA key, an unknown role or a duplicate is E_CONFIG naming the field', async (t) => {
  const k = pair();
  const rec = { keyId: keyIdOf(k.publicKey), name: 'k', roles: ['bundle'], publicKey: pem(k.publicKey) };
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const cases: [unknown, RegExp][] = [
    [{ format: 'x', keys: [] }, /a trust file is/],
    [
      { format: 'ringmoe-edge/trust', keys: [{ ...rec, keyId: '0000000000000000' }] },
      /keys\[0\]\.keyId.*does not match the public key/,
    ],
    [
      { format: 'ringmoe-edge/trust', keys: [{ ...rec, publicKey: pem(rsa.publicKey) }] },
      /keys\[0\]\.publicKey.*rsa, expected ed25519/,
    ],
    [{ format: 'ringmoe-edge/trust', keys: [{ ...rec, roles: ['root'] }] }, /keys\[0\]\.roles/],
    [{ format: 'ringmoe-edge/trust', keys: [rec, rec] }, /listed twice/],
    [{ format: 'ringmoe-edge/trust', keys: [{ ...rec, publicKey: 'nope' }] }, /not a PEM public key/],
  ];
  for (const [value, message] of cases) {
    const err = t.throws(() => TrustStore.parse(value, 'trust.json'));
    t.is((err as { code?: string }).code, 'E_CONFIG');
    t.regex(err!.message, message);
  }
  const dir = tempDir('trust');
  await writeFile(join(dir, 'broken.json'), '{not json');
  t.is(((await t.throwsAsync(TrustStore.load(join(dir, 'broken.json')))) as { code?: string }).code, 'E_CONFIG');
  t.is(
    ((await t.throwsAsync(TrustStore.load(join(dir, 'absent.json')))) as { code?: string }).code,
    'E_FILE_NOT_FOUND',
  );
});
