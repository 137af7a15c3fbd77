/**
 * The keys a device trusts, each for named roles: `bundle` (release signing of bundle manifests)
 * and `desired` (the fleet operator's desired states). A key trusted for one role does not sign
 * for the other, so a stolen operator key cannot ship a model and a release key cannot move a
 * fleet.
 *
 * File format (`trust.json`):
 * ```json
 * { "format": "ringmoe-edge/trust", "keys": [
 *   { "keyId": "a3f09c1e77d2b410", "name": "release-2026", "roles": ["bundle", "desired"],
 *     "publicKey": "-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----\n" } ] }
 * ```
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { EdgeError, messageOf } from '../core/errors.js';
import { checkSignatureRecord, keyIdOf, verifyDocument, type SignatureRecord, type SignedKind } from './signature.js';
import { isJsonLimitError, parseJsonBounded, syntaxMessage } from '../core/json-limits.js';
import { readRegular } from '../core/safe-fs.js';

/** Format tag of a trust file. */
export const TRUST_FORMAT = 'ringmoe-edge/trust';
/** Roles a key can hold. */
export const TRUST_ROLES = ['bundle', 'desired'] as const;
/** One of {@link TRUST_ROLES}. */
export type TrustRole = (typeof TRUST_ROLES)[number];

/** One trusted key as written in a trust file. */
export interface TrustedKeyRecord {
  keyId: string;
  name: string;
  roles: TrustRole[];
  /** SPKI PEM of the Ed25519 public key. */
  publicKey: string;
}

/** The written form of a trust file. */
export interface TrustFile {
  format: typeof TRUST_FORMAT;
  keys: TrustedKeyRecord[];
}

interface Trusted {
  record: TrustedKeyRecord;
  key: KeyObject;
}

/**
 * Verifies signatures against trusted keys.
 * @example
 * const trust = await TrustStore.load('device/trust.json');
 * trust.verify('bundle', manifestBytes, signature); // throws unless valid
 */
export class TrustStore {
  private constructor(private readonly keys: Map<string, Trusted>) {}

  /**
   * Parses a trust file's content; every problem is reported with its field.
   * @throws EdgeError E_CONFIG
   */
  static parse(value: unknown, file = 'trust.json'): TrustStore {
    const obj = value as Partial<TrustFile> | null;
    if (typeof obj !== 'object' || obj === null || obj.format !== TRUST_FORMAT || !Array.isArray(obj.keys)) {
      throw new EdgeError('E_CONFIG', `a trust file is {"format": "${TRUST_FORMAT}", "keys": [...]}`, { file });
    }
    const keys = new Map<string, Trusted>();
    obj.keys.forEach((rec, i) => {
      const field = `keys[${i}]`;
      if (typeof rec !== 'object' || rec === null) throw new EdgeError('E_CONFIG', 'must be an object', { file, field });
      let key: KeyObject;
      try {
        key = createPublicKey(String(rec.publicKey));
      } catch (err) {
        throw new EdgeError('E_CONFIG', `publicKey is not a PEM public key: ${messageOf(err)}`, { file, field: `${field}.publicKey` });
      }
      if (key.asymmetricKeyType !== 'ed25519') throw new EdgeError('E_CONFIG', `publicKey is ${key.asymmetricKeyType}, expected ed25519`, { file, field: `${field}.publicKey` });
      const id = keyIdOf(key);
      if (rec.keyId !== id) throw new EdgeError('E_CONFIG', `keyId ${JSON.stringify(rec.keyId)} does not match the public key (its id is ${id})`, { file, field: `${field}.keyId` });
      if (!Array.isArray(rec.roles) || rec.roles.length === 0 || !rec.roles.every((r) => (TRUST_ROLES as readonly string[]).includes(r))) {
        throw new EdgeError('E_CONFIG', `roles must be a non-empty list of ${TRUST_ROLES.join(', ')}`, { file, field: `${field}.roles` });
      }
      if (keys.has(id)) throw new EdgeError('E_CONFIG', `key ${id} is listed twice`, { file, field });
      keys.set(id, { record: { keyId: id, name: String(rec.name ?? id), roles: [...rec.roles], publicKey: String(rec.publicKey) }, key });
    });
    return new TrustStore(keys);
  }

  /**
   * Reads a trust file.
   * @throws EdgeError E_FILE_NOT_FOUND, E_CONFIG
   */
  static async load(path: string): Promise<TrustStore> {
    // A regular file (no link: a trust anchor reached through a link could be swapped), at most 1 MiB.
    const text = await readRegular(path, { maxBytes: 1 << 20, tooLargeCode: 'E_JSON_TOO_LARGE', label: 'trust file' }).catch((err: EdgeError) => {
      if (err.code === 'E_PATH_UNSAFE' || err.code === 'E_JSON_TOO_LARGE') throw err;
      throw new EdgeError(err.code === 'E_FILE_NOT_FOUND' ? 'E_FILE_NOT_FOUND' : 'E_IO', `cannot read the trust file: ${messageOf(err)}`, { file: path, hint: 'create one with ringmoe-edge keygen --trust <file>' });
    });
    let parsed: unknown;
    try {
      parsed = parseJsonBounded(text, { maxBytes: 1 << 20, maxDepth: 8, maxStringLength: 64 * 1024 }, { file: path, what: 'trust file' });
    } catch (err) {
      if (isJsonLimitError(err)) throw err;
      throw new EdgeError('E_CONFIG', `trust file is not JSON: ${syntaxMessage(err)}`, { file: path });
    }
    return TrustStore.parse(parsed, path);
  }

  /** A store of the given public keys (PEM), each with its roles. */
  static fromKeys(keys: { publicKey: string; roles: TrustRole[]; name?: string }[]): TrustStore {
    return TrustStore.parse({
      format: TRUST_FORMAT,
      keys: keys.map((k) => {
        const id = keyIdOf(createPublicKey(k.publicKey));
        return { keyId: id, name: k.name ?? id, roles: k.roles, publicKey: k.publicKey };
      }),
    });
  }

  /** The trusted keys, as records. */
  list(): TrustedKeyRecord[] {
    return [...this.keys.values()].map((k) => ({ ...k.record, roles: [...k.record.roles] }));
  }

  /**
   * Verifies `signature` over `bytes` as a document of `role`.
   * @returns the key id that signed
   * @throws EdgeError E_SIGNATURE (malformed or not verifying), E_UNTRUSTED_KEY (unknown key, or
   *   a key not trusted for this role)
   */
  verify(role: TrustRole, bytes: Uint8Array, signature: unknown, where: { file?: string; field?: string } = {}): string {
    const rec: SignatureRecord = checkSignatureRecord(signature, where);
    const loc = { ...(where.file !== undefined ? { file: where.file } : {}), field: where.field ?? 'signature.keyId' };
    const trusted = this.keys.get(rec.keyId);
    if (!trusted) {
      throw new EdgeError('E_UNTRUSTED_KEY', `signed by key ${rec.keyId}, which this device does not trust (trusted: ${[...this.keys.keys()].join(', ') || 'none'})`, loc);
    }
    if (!trusted.record.roles.includes(role)) {
      throw new EdgeError('E_UNTRUSTED_KEY', `key ${rec.keyId} (${trusted.record.name}) is trusted for ${trusted.record.roles.join(', ')}, not for signing ${role === 'bundle' ? 'bundles' : 'desired states'}`, loc);
    }
    if (!verifyDocument(role as SignedKind, bytes, rec, trusted.key)) {
      throw new EdgeError('E_SIGNATURE', `the ${role === 'bundle' ? 'bundle manifest' : 'desired state'} does not match its signature by key ${rec.keyId} (modified after signing, or signed for another document)`, loc);
    }
    return rec.keyId;
  }
}
