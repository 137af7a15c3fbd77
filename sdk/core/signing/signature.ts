/**
 * Ed25519 signatures (node:crypto) over domain-separated messages. A signature made for one kind
 * of document (a bundle manifest, a desired state) never verifies as another kind, even when one
 * key signs both.
 */
import { createHash, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { EdgeError, messageOf } from '../errors.js';

/**
 * What a signature covers; part of the signed message. `message`: a device's result, birth or death
 * message (sdk/mqtt/message-auth.ts).
 */
export type SignedKind = 'bundle' | 'desired' | 'report' | 'message';

/** A detached signature as stored in `bundle.sig` and in desired-state envelopes. */
export interface SignatureRecord {
  alg: 'ed25519';
  /** {@link keyIdOf} of the signing key. */
  keyId: string;
  /** Base64 of the 64-byte Ed25519 signature. */
  signature: string;
}

const KEY_ID = /^[0-9a-f]{16}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The exact bytes signed for `kind`: a context line, then the document bytes. */
export function signedMessage(kind: SignedKind, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`ringmoe-edge:${kind}:v1\n`, 'utf8'), bytes]);
}

/** The raw 32-byte Ed25519 public key of a key object (public or private). */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'ed25519') {
    throw new EdgeError('E_SIGNATURE', `key is ${pub.asymmetricKeyType ?? 'not asymmetric'}, expected ed25519`);
  }
  const der = pub.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

/**
 * Key ids already computed, per key object (a KeyObject never changes). Exporting the public key
 * costs about twice a signature, and a device key signs every result it publishes.
 */
const KEY_IDS = new WeakMap<KeyObject, string>();

/**
 * The key id: first 16 hex digits of the sha256 of the raw public key.
 * @example
 * keyIdOf(createPublicKey(pem)) // 'a3f09c1e77d2b410'
 */
export function keyIdOf(key: KeyObject): string {
  let id = KEY_IDS.get(key);
  if (id === undefined) {
    id = createHash('sha256').update(rawPublicKey(key)).digest('hex').slice(0, 16);
    KEY_IDS.set(key, id);
  }
  return id;
}

/**
 * Signs `bytes` as a document of `kind`.
 * @throws EdgeError E_SIGNATURE when the key is not an Ed25519 private key
 * @example
 * const sig = signDocument('bundle', manifestBytes, privateKey);
 */
export function signDocument(kind: SignedKind, bytes: Uint8Array, privateKey: KeyObject): SignatureRecord {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new EdgeError('E_SIGNATURE', 'signing needs an Ed25519 private key', {
      hint: 'make one with ringmoe-edge keygen',
    });
  }
  const signature = cryptoSign(null, signedMessage(kind, bytes), privateKey).toString('base64');
  return { alg: 'ed25519', keyId: keyIdOf(privateKey), signature };
}

/**
 * Checks the shape of a signature record (not whether it verifies).
 * @throws EdgeError E_SIGNATURE naming the bad field
 */
export function checkSignatureRecord(value: unknown, where: { file?: string; field?: string } = {}): SignatureRecord {
  const field = where.field ?? 'signature';
  const loc = { ...(where.file !== undefined ? { file: where.file } : {}), field };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new EdgeError('E_SIGNATURE', 'signature must be an object {alg, keyId, signature}', loc);
  const r = value as Record<string, unknown>;
  if (r.alg !== 'ed25519')
    throw new EdgeError(
      'E_SIGNATURE',
      `signature algorithm ${JSON.stringify(r.alg)} is not supported (only ed25519)`,
      loc,
    );
  if (typeof r.keyId !== 'string' || !KEY_ID.test(r.keyId))
    throw new EdgeError('E_SIGNATURE', 'signature keyId must be 16 lowercase hex digits', loc);
  if (
    typeof r.signature !== 'string' ||
    !BASE64.test(r.signature) ||
    Buffer.from(r.signature, 'base64').length !== 64
  ) {
    throw new EdgeError('E_SIGNATURE', 'signature must be the base64 of 64 bytes', loc);
  }
  return { alg: 'ed25519', keyId: r.keyId, signature: r.signature };
}

/**
 * True when `record` is a valid signature of `bytes` as `kind` by `publicKey`.
 * @throws EdgeError E_SIGNATURE when the record is malformed
 */
export function verifyDocument(
  kind: SignedKind,
  bytes: Uint8Array,
  record: SignatureRecord,
  publicKey: KeyObject,
): boolean {
  try {
    return cryptoVerify(null, signedMessage(kind, bytes), publicKey, Buffer.from(record.signature, 'base64'));
  } catch (err) {
    throw new EdgeError('E_SIGNATURE', `signature cannot be checked: ${messageOf(err)}`, { cause: err });
  }
}
