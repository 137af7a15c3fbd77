/**
 * Signed device messages: results, births and deaths of a device with a device key (the Ed25519 key
 * made at provisioning, trusted for the `device` role and bound to that device in the fleet's trust
 * file). The signature travels inside the payload, so it works over MQTT 3.1.1 as over 5, for JSON
 * and CBOR, and for the death certificate that is registered as the MQTT will at CONNECT (signed
 * then, like the rest of the will).
 *
 * Wire form: the payload map with one more key, `sig`, always the last one:
 * `sig: {alg: "ed25519", keyId, signature}`. The signature covers, under the context line
 * `ringmoe-edge:message:v1`, the topic the message is published on, a newline and the payload bytes
 * without `sig` — so the fleet, device, task, id, bdSeq and ts inside the payload are covered too.
 * A captured message replayed on another topic (another device, task or fleet) does not verify,
 * and a key verifies only for the device the trust file binds it to.
 *
 * The `sig` entry has a fixed size in both encodings (155 bytes of JSON, 140 of CBOR), so a
 * verifier cuts it off the end of the received bytes and needs no canonical re-encoding; signing
 * splices it onto the encoded payload without encoding it twice.
 */
import type { KeyObject } from 'node:crypto';
import { Encoder } from 'cbor-x';
import { EdgeError, messageOf } from '../core/errors.js';
import { checkSignatureRecord, signDocument, type SignatureRecord } from '../core/signing/signature.js';
import type { TrustStore } from '../core/signing/trust-store.js';
import type { Encoding } from './codec.js';
import type { ParsedTopic } from './topics.js';

/** The payload key that carries the signature. */
export const SIGNATURE_KEY = 'sig';

/** The outcome of {@link verifyMessage}. */
export type MessageCheck = { verified: true; keyId: string } | { verified: false; reason: string };

/** Messages a device signs, by the payload type they carry. */
export type SignedMessageKind = 'result' | 'birth' | 'death';
const SIGNED_TOPIC_KINDS: Partial<Record<ParsedTopic['kind'], SignedMessageKind>> = {
  results: 'result',
  birth: 'birth',
  death: 'death',
};

// The same settings as codec.ts: plain maps, so the splice below sees standard CBOR map headers.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

const JSON_TAIL = /^,"sig":\{"alg":"ed25519","keyId":"[0-9a-f]{16}","signature":"[A-Za-z0-9+/]{86}=="\}\}$/;
/** `,"sig":{"alg":"ed25519","keyId":"<16>","signature":"<88>"}}` */
const JSON_TAIL_BYTES = 155;
/** CBOR text "sig" (4 bytes) + the record map (136 bytes). */
const CBOR_KEY = Buffer.from([0x63, 0x73, 0x69, 0x67]);
const CBOR_RECORD_BYTES = 136;
const CBOR_TAIL_BYTES = CBOR_KEY.length + CBOR_RECORD_BYTES;

/** The exact bytes a device signs for a message on `topic` whose payload (without `sig`) is `body`. */
function signedBytes(topic: string, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${topic}\n`, 'utf8'), body]);
}

/** Length of a CBOR map header and the number of entries it announces; undefined when not a map. */
function mapHeader(bytes: Uint8Array): { length: number; entries: number } | undefined {
  const first = bytes[0];
  if (first === undefined || first < 0xa0 || first > 0xba) return undefined;
  const small = first & 0x1f;
  if (small < 24) return { length: 1, entries: small };
  const width = 1 << (small - 24); // 0x18 → 1 byte, 0x19 → 2, 0x1a → 4
  if (bytes.length < 1 + width) return undefined;
  let entries = 0;
  for (let i = 1; i <= width; i++) entries = entries * 256 + bytes[i]!;
  return { length: 1 + width, entries };
}

/** The shortest CBOR map header for `entries` entries (as cbor-x writes it). */
function mapHeaderBytes(entries: number): Buffer {
  if (entries < 24) return Buffer.from([0xa0 | entries]);
  if (entries < 0x100) return Buffer.from([0xb8, entries]);
  if (entries < 0x10000) return Buffer.from([0xb9, entries >> 8, entries & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0xba;
  b.writeUInt32BE(entries, 1);
  return b;
}

/**
 * Signs an encoded payload for `topic` with the device key: returns the payload with `sig` added.
 * @throws EdgeError E_SIGNATURE (not an Ed25519 private key), E_INVALID_ARGUMENT (the body is not an
 *   encoded map of ours)
 * @example
 * const bytes = signMessage('json', topic, encodePayload('json', payload), deviceKey);
 */
export function signMessage(encoding: Encoding, topic: string, body: Buffer, key: KeyObject): Buffer {
  const record = signDocument('message', signedBytes(topic, body), key);
  if (encoding === 'json') {
    if (body.length <= 2 || body[0] !== 0x7b || body[body.length - 1] !== 0x7d)
      throw new EdgeError('E_INVALID_ARGUMENT', 'only a non-empty JSON object payload can be signed', {
        field: 'payload',
      });
    const tail = Buffer.from(`,"sig":${JSON.stringify(record)}}`, 'utf8');
    return Buffer.concat([body.subarray(0, body.length - 1), tail]);
  }
  const header = mapHeader(body);
  if (!header) throw new EdgeError('E_INVALID_ARGUMENT', 'only a CBOR map payload can be signed', { field: 'payload' });
  return Buffer.concat([
    mapHeaderBytes(header.entries + 1),
    body.subarray(header.length),
    CBOR_KEY,
    Buffer.from(cbor.encode(record)),
  ]);
}

/** The signature record and the signed body of a received payload, or why there is none. */
function splitSigned(encoding: Encoding, wire: Uint8Array): { record: unknown; body: Buffer } | { reason: string } {
  const bytes = Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength);
  if (encoding === 'json') {
    if (bytes.length <= JSON_TAIL_BYTES) return { reason: 'unsigned' };
    const tail = bytes.subarray(bytes.length - JSON_TAIL_BYTES).toString('latin1');
    if (!JSON_TAIL.test(tail))
      return { reason: bytes.includes('"sig"') ? 'signature is not the last key' : 'unsigned' };
    const record = JSON.parse(tail.slice(7, -1)) as unknown;
    const head = bytes.subarray(0, bytes.length - JSON_TAIL_BYTES);
    return { record, body: Buffer.concat([head, Buffer.from('}')]) };
  }
  const header = mapHeader(bytes);
  if (!header || header.entries < 1 || bytes.length < header.length + CBOR_TAIL_BYTES) return { reason: 'unsigned' };
  const keyAt = bytes.length - CBOR_TAIL_BYTES;
  if (!bytes.subarray(keyAt, keyAt + CBOR_KEY.length).equals(CBOR_KEY)) return { reason: 'unsigned' };
  let record: unknown;
  try {
    record = cbor.decode(bytes.subarray(keyAt + CBOR_KEY.length));
  } catch (err) {
    return { reason: `signature is not readable: ${messageOf(err)}` };
  }
  const body = Buffer.concat([mapHeaderBytes(header.entries - 1), bytes.subarray(header.length, keyAt)]);
  return { record, body };
}

/**
 * Checks the signature of a message received on `topic` from `device`: made by a key the trust file
 * holds for the `device` role, bound to that very device, over this topic and these payload bytes.
 * Never throws for a bad message; says why it does not verify.
 * @example
 * const check = verifyMessage('json', topic, bytes, 'drone-7', trust);
 * if (!check.verified) countApart(check.reason);
 */
export function verifyMessage(
  encoding: Encoding,
  topic: string,
  wire: Uint8Array,
  device: string,
  trust: TrustStore,
): MessageCheck {
  const split = splitSigned(encoding, wire);
  if ('reason' in split) return { verified: false, reason: split.reason };
  let keyId: string;
  try {
    const record: SignatureRecord = checkSignatureRecord(split.record, { field: SIGNATURE_KEY });
    keyId = trust.verify('device', signedBytes(topic, split.body), record, { field: SIGNATURE_KEY }, 'message');
  } catch (err) {
    return { verified: false, reason: err instanceof EdgeError ? `${err.code}: ${err.message}` : messageOf(err) };
  }
  const owner = trust.deviceOf(keyId);
  if (owner !== device)
    return { verified: false, reason: `signed by the key of device ${owner ?? '?'}, not of ${device}` };
  return { verified: true, keyId };
}

/**
 * What a consumer does with a received message's signature: drops the `sig` key from the decoded
 * `value` (so the payload reads as an unsigned one) and, with a trust file, checks a result, birth
 * or death against the device of its topic. `verified` is undefined when nothing was checked
 * (no trust file, or a state or metrics message).
 */
export function checkReceived(
  where: ParsedTopic,
  topic: string,
  wire: Uint8Array,
  encoding: Encoding,
  value: Record<string, unknown>,
  trust: TrustStore | undefined,
): { verified?: undefined } | (MessageCheck & { kind: SignedMessageKind }) {
  delete value[SIGNATURE_KEY];
  const kind = SIGNED_TOPIC_KINDS[where.kind];
  if (!trust || !kind) return {};
  return { ...verifyMessage(encoding, topic, wire, where.device, trust), kind };
}
