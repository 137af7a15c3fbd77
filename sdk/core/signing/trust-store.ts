/**
 * The keys a device trusts, each for named roles: `bundle` (release signing of bundle manifests)
 * and `desired` (the fleet operator's desired states). A key trusted for one role does not sign
 * for the other, so a stolen operator key cannot ship a model and a release key cannot move a
 * fleet. `rollback`: a desired state that allows a lower version must be signed by a key that also
 * holds this role, so the operator key alone cannot downgrade a fleet to a vulnerable release.
 * `device`: the key a device made at provisioning; it signs that device's state and OTA reports,
 * and the record names the device (`device`), so one device cannot report as another. The same file
 * is the fleet's trust file on the operator side (publish --wait, fleet status, ground stations).
 *
 * File format (`trust.json`):
 * ```json
 * { "format": "ringmoe-edge/trust", "keys": [
 *   { "keyId": "a3f09c1e77d2b410", "name": "release-2026", "roles": ["bundle", "desired"],
 *     "publicKey": "-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----\n" } ] }
 * ```
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { EdgeError, messageOf } from '../errors.js';
import { checkSignatureRecord, keyIdOf, verifyDocument, type SignatureRecord, type SignedKind } from './signature.js';
import { isJsonLimitError, parseJsonBounded, syntaxMessage } from '../json-limits.js';
import { readRegular } from '../safe-fs.js';

/** Format tag of a trust file. */
export const TRUST_FORMAT = 'ringmoe-edge/trust';
/** Roles a key can hold. */
export const TRUST_ROLES = ['bundle', 'desired', 'rollback', 'device'] as const;
/** One of {@link TRUST_ROLES}. */
export type TrustRole = (typeof TRUST_ROLES)[number];

/** One trusted key as written in a trust file. */
export interface TrustedKeyRecord {
  keyId: string;
  name: string;
  roles: TrustRole[];
  /** The device a `device` key belongs to (required for that role). */
  device?: string;
  /** SPKI PEM of the Ed25519 public key. */
  publicKey: string;
}

/** The written form of a trust file. */
export interface TrustFile {
  format: typeof TRUST_FORMAT;
  keys: TrustedKeyRecord[];
}

/**
 * What each role signs (its first kind is the default). A rollback is a desired state; a device
 * signs its reports and its MQTT messages (results, births, deaths).
 */
const ROLE_DOCUMENT: Record<TrustRole, { kinds: SignedKind[]; singular: string; plural: string }> = {
  bundle: { kinds: ['bundle'], singular: 'bundle manifest', plural: 'bundles' },
  desired: { kinds: ['desired'], singular: 'desired state', plural: 'desired states' },
  rollback: { kinds: ['desired'], singular: 'desired state', plural: 'rollbacks' },
  device: { kinds: ['report', 'message'], singular: 'device report or message', plural: 'device reports' },
};

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
      if (typeof rec !== 'object' || rec === null)
        throw new EdgeError('E_CONFIG', 'must be an object', { file, field });
      let key: KeyObject;
      try {
        key = createPublicKey(String(rec.publicKey));
      } catch (err) {
        throw new EdgeError('E_CONFIG', `publicKey is not a PEM public key: ${messageOf(err)}`, {
          file,
          field: `${field}.publicKey`,
        });
      }
      if (key.asymmetricKeyType !== 'ed25519')
        throw new EdgeError('E_CONFIG', `publicKey is ${key.asymmetricKeyType}, expected ed25519`, {
          file,
          field: `${field}.publicKey`,
        });
      const id = keyIdOf(key);
      if (rec.keyId !== id)
        throw new EdgeError(
          'E_CONFIG',
          `keyId ${JSON.stringify(rec.keyId)} does not match the public key (its id is ${id})`,
          { file, field: `${field}.keyId` },
        );
      if (
        !Array.isArray(rec.roles) ||
        rec.roles.length === 0 ||
        !rec.roles.every((r) => (TRUST_ROLES as readonly string[]).includes(r))
      ) {
        throw new EdgeError('E_CONFIG', `roles must be a non-empty list of ${TRUST_ROLES.join(', ')}`, {
          file,
          field: `${field}.roles`,
        });
      }
      if (keys.has(id)) throw new EdgeError('E_CONFIG', `key ${id} is listed twice`, { file, field });
      if (rec.roles.includes('device') !== (rec.device !== undefined)) {
        throw new EdgeError('E_CONFIG', 'a key with the device role names its device, and only such a key does', {
          file,
          field: `${field}.device`,
        });
      }
      if (rec.device !== undefined && (typeof rec.device !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(rec.device))) {
        throw new EdgeError('E_CONFIG', 'device must be a device id', { file, field: `${field}.device` });
      }
      const record: TrustedKeyRecord = {
        keyId: id,
        name: String(rec.name ?? id),
        roles: [...rec.roles],
        ...(rec.device !== undefined ? { device: rec.device } : {}),
        publicKey: String(rec.publicKey),
      };
      keys.set(id, { record, key });
    });
    return new TrustStore(keys);
  }

  /**
   * Reads a trust file.
   * @throws EdgeError E_FILE_NOT_FOUND, E_CONFIG
   */
  static async load(path: string): Promise<TrustStore> {
    // A regular file (no link: a trust anchor reached through a link could be swapped), at most 1 MiB.
    const text = await readRegular(path, {
      maxBytes: 1 << 20,
      tooLargeCode: 'E_JSON_TOO_LARGE',
      label: 'trust file',
    }).catch((err: EdgeError) => {
      if (err.code === 'E_PATH_UNSAFE' || err.code === 'E_JSON_TOO_LARGE') throw err;
      throw new EdgeError(
        err.code === 'E_FILE_NOT_FOUND' ? 'E_FILE_NOT_FOUND' : 'E_IO',
        `cannot read the trust file: ${messageOf(err)}`,
        { file: path, hint: 'create one with ringmoe-edge keygen --trust <file>' },
      );
    });
    let parsed: unknown;
    try {
      parsed = parseJsonBounded(
        text,
        { maxBytes: 1 << 20, maxDepth: 8, maxStringLength: 64 * 1024 },
        { file: path, what: 'trust file' },
      );
    } catch (err) {
      if (isJsonLimitError(err)) throw err;
      throw new EdgeError('E_CONFIG', `trust file is not JSON: ${syntaxMessage(err)}`, { file: path });
    }
    return TrustStore.parse(parsed, path);
  }

  /** A store of the given public keys (PEM), each with its roles (and device, for device keys). */
  static fromKeys(keys: { publicKey: string; roles: TrustRole[]; name?: string; device?: string }[]): TrustStore {
    return TrustStore.parse({
      format: TRUST_FORMAT,
      keys: keys.map((k) => {
        const id = keyIdOf(createPublicKey(k.publicKey));
        return {
          keyId: id,
          name: k.name ?? id,
          roles: k.roles,
          ...(k.device !== undefined ? { device: k.device } : {}),
          publicKey: k.publicKey,
        };
      }),
    });
  }

  /** The roles of key `keyId` (empty when the key is not trusted). */
  rolesOf(keyId: string): TrustRole[] {
    return [...(this.keys.get(keyId)?.record.roles ?? [])];
  }

  /** The device a trusted device key belongs to. */
  deviceOf(keyId: string): string | undefined {
    return this.keys.get(keyId)?.record.device;
  }

  /** The trusted keys, as records. */
  list(): TrustedKeyRecord[] {
    return [...this.keys.values()].map((k) => ({ ...k.record, roles: [...k.record.roles] }));
  }

  /**
   * Verifies `signature` over `bytes` as a document of `role`.
   * @param kind what the bytes are, when the role signs more than one kind of document (a device
   *   key: `report` by default, `message` for its MQTT messages)
   * @returns the key id that signed
   * @throws EdgeError E_SIGNATURE (malformed or not verifying), E_UNTRUSTED_KEY (unknown key, or
   *   a key not trusted for this role)
   */
  verify(
    role: TrustRole,
    bytes: Uint8Array,
    signature: unknown,
    where: { file?: string; field?: string } = {},
    kind?: SignedKind,
  ): string {
    const rec: SignatureRecord = checkSignatureRecord(signature, where);
    const loc = { ...(where.file !== undefined ? { file: where.file } : {}), field: where.field ?? 'signature.keyId' };
    const trusted = this.keys.get(rec.keyId);
    if (!trusted) {
      throw new EdgeError(
        'E_UNTRUSTED_KEY',
        `signed by key ${rec.keyId}, which this device does not trust (trusted: ${[...this.keys.keys()].join(', ') || 'none'})`,
        loc,
      );
    }
    const what = ROLE_DOCUMENT[role];
    const signedKind = kind ?? what.kinds[0]!;
    if (!what.kinds.includes(signedKind))
      throw new EdgeError('E_UNTRUSTED_KEY', `a key of role ${role} does not sign ${signedKind} documents`, loc);
    if (!trusted.record.roles.includes(role)) {
      throw new EdgeError(
        'E_UNTRUSTED_KEY',
        `key ${rec.keyId} (${trusted.record.name}) is trusted for ${trusted.record.roles.join(', ')}, not for signing ${what.plural}`,
        loc,
      );
    }
    if (!verifyDocument(signedKind, bytes, rec, trusted.key)) {
      throw new EdgeError(
        'E_SIGNATURE',
        `the ${what.singular} does not match its signature by key ${rec.keyId} (modified after signing, or signed for another document)`,
        loc,
      );
    }
    return rec.keyId;
  }
}
