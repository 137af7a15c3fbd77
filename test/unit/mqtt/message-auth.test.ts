/**
 * Signed device messages (sdk/mqtt/message-auth.ts): a signature in the payload's last key, over
 * the topic and the payload bytes, for JSON and CBOR; what verifies and why the rest does not.
 */
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { decodePayload, encodePayload, type Encoding } from '../../../sdk/mqtt/codec.js';
import { checkReceived, signMessage, verifyMessage } from '../../../sdk/mqtt/message-auth.js';
import { TopicScheme } from '../../../sdk/mqtt/topics.js';
import { TrustStore } from '../../../sdk/core/signing/trust-store.js';
import { signDocument } from '../../../sdk/core/signing/signature.js';

const cam1 = generateKeyPairSync('ed25519');
const cam2 = generateKeyPairSync('ed25519');
const rogue = generateKeyPairSync('ed25519');
const trust = TrustStore.fromKeys([
  { publicKey: cam1.publicKey.export({ format: 'pem', type: 'spki' }) as string, roles: ['device'], device: 'cam-1' },
  { publicKey: cam2.publicKey.export({ format: 'pem', type: 'spki' }) as string, roles: ['device'], device: 'cam-2' },
]);
const topics = new TopicScheme('ringmoe');
const TOPIC = topics.result('north', 'cam-1', 'detection');

const result = (device = 'cam-1', extra: Record<string, unknown> = {}) => ({
  v: 1,
  type: 'result',
  id: 'r-1',
  fleet: 'north',
  device,
  task: 'detection',
  ts: 1_700_000_000_000,
  result: { boxes: [[1, 2, 3, 4, 0.9, 0]], mask: new Uint8Array([1, 2, 3]) },
  ...extra,
});

for (const encoding of ['json', 'cbor'] as const) {
  const body = (value: Record<string, unknown>) =>
    encodePayload(encoding, encoding === 'json' ? { ...value, result: { boxes: [[1, 2, 3, 4, 0.9, 0]] } } : value);

  test(`${encoding}: a signed message verifies for its device and topic and decodes as the unsigned one`, (t) => {
    const plain = body(result());
    const signed = signMessage(encoding, TOPIC, plain, cam1.privateKey);
    t.deepEqual(verifyMessage(encoding, TOPIC, signed, 'cam-1', trust), {
      verified: true,
      keyId: trust.list().find((k) => k.device === 'cam-1')!.keyId,
    });
    const { value } = decodePayload(signed);
    t.is((value.sig as { alg?: string }).alg, 'ed25519');
    const check = checkReceived(topics.parse(TOPIC)!, TOPIC, signed, encoding, value, trust);
    t.true(check.verified);
    t.deepEqual(value, decodePayload(plain).value, 'without its sig key the payload is the unsigned one');
    // A map with more than 23 keys has a two-byte CBOR header.
    const wide = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i]));
    const big = signMessage(encoding, TOPIC, body(result('cam-1', wide)), cam1.privateKey);
    t.true(verifyMessage(encoding, TOPIC, big, 'cam-1', trust).verified);
  });

  test(`${encoding}: unsigned, forged, tampered, replayed to another topic or device, another device's key: not verified`, (t) => {
    const signed = signMessage(encoding, TOPIC, body(result()), cam1.privateKey);
    const reason = (bytes: Buffer, topic = TOPIC, device = 'cam-1') => {
      const c = verifyMessage(encoding, topic, bytes, device, trust);
      return c.verified ? 'verified' : c.reason;
    };
    t.is(reason(body(result())), 'unsigned');
    t.regex(reason(signMessage(encoding, TOPIC, body(result()), rogue.privateKey)), /E_UNTRUSTED_KEY/);
    t.regex(reason(signMessage(encoding, TOPIC, body(result()), cam2.privateKey)), /key of device cam-2, not of cam-1/);
    const tampered = Buffer.from(signed);
    const at = tampered.indexOf(encoding === 'json' ? '"r-1"' : 'r-1');
    tampered[at + (encoding === 'json' ? 3 : 2)] = 0x32; // r-1 → r-2
    t.regex(reason(tampered), /E_SIGNATURE/);
    t.regex(reason(signed, topics.result('north', 'cam-1', 'segmentation')), /E_SIGNATURE/, 'another task');
    t.regex(reason(signed, topics.result('north', 'cam-2', 'detection'), 'cam-2'), /E_SIGNATURE/);
    t.regex(reason(signed, topics.result('south', 'cam-1', 'detection')), /E_SIGNATURE/, 'another fleet');
    // A report signature (another kind of document) over the same bytes does not verify as a message.
    const asReport = signDocument(
      'report',
      Buffer.concat([Buffer.from(`${TOPIC}\n`), body(result())]),
      cam1.privateKey,
    );
    const swapped = Buffer.from(
      signed.toString('latin1').replace(/"signature":"[^"]+"/, `"signature":"${asReport.signature}"`),
      'latin1',
    );
    if (encoding === 'json') t.regex(reason(swapped), /E_SIGNATURE/);
    // Short or garbage payloads never throw.
    t.is(reason(Buffer.from('{}')), 'unsigned');
    t.is(reason(Buffer.alloc(300, 0xa1)), 'unsigned');
  });
}

test('BAD CALL - only a non-empty encoded map can be signed', (t) => {
  t.throws(() => signMessage('json', TOPIC, Buffer.from('{}'), cam1.privateKey), { code: 'E_INVALID_ARGUMENT' });
  t.throws(() => signMessage('json', TOPIC, Buffer.from('[1]'), cam1.privateKey), { code: 'E_INVALID_ARGUMENT' });
  t.throws(() => signMessage('cbor', TOPIC, Buffer.from([0x81, 0x01]), cam1.privateKey), {
    code: 'E_INVALID_ARGUMENT',
  });
  t.throws(() => signMessage('json', TOPIC, Buffer.from('{"a":1}'), cam1.publicKey), { code: 'E_SIGNATURE' });
});

test('without a trust file the signature is dropped and nothing is checked', (t) => {
  const signed = signMessage('json' as Encoding, TOPIC, encodePayload('json', result()), cam1.privateKey);
  const { value } = decodePayload(signed);
  t.deepEqual(checkReceived(topics.parse(TOPIC)!, TOPIC, signed, 'json', value, undefined), {});
  t.false('sig' in value);
});
