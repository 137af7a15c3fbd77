/**
 * The desired state: a signed message that tells a fleet (or one device) which bundle to run.
 * It is published retained over MQTT, so a device that connects later still gets it. The payload
 * is carried as the exact JSON text that was signed:
 *
 * ```json
 * { "payload": "{\"format\":\"ringmoe-edge/desired\",...}", "signature": {"alg":"ed25519","keyId":"...","signature":"..."} }
 * ```
 *
 * `seq` increases with every desired state an operator issues (the publisher uses milliseconds
 * since the epoch): a device refuses any desired state older than one it already saw (a replay).
 */
import type { KeyObject } from 'node:crypto';
import { EdgeError } from '../../core/errors.js';
import { DEFAULT_BUNDLE_LIMITS, type BundleLimits } from '../bundle/bundle-manifest.js';
import { NAME_PATTERN } from '../bundle/bundle-check.js';
import { isSemVer } from '../bundle/semver.js';
import { checkSignatureRecord, signDocument, type SignatureRecord } from '../../core/signing/signature.js';
import type { TrustStore } from '../../core/signing/trust-store.js';
import { parseJsonBounded } from '../../core/json-limits.js';

/** Format tag of a desired-state payload. */
export const DESIRED_FORMAT = 'ringmoe-edge/desired';

/** Where a device may fetch the bundle's blobs. */
export interface BlobSources {
  /** Base URLs of HTTP(S) blob servers; a blob is at `<base>/blobs/<sha256>`. */
  http?: string[];
  /** True when the publisher also answers chunk requests over MQTT. */
  mqtt?: boolean;
}

/** A desired-state payload. */
export interface DesiredState {
  format: typeof DESIRED_FORMAT;
  formatVersion: 1;
  fleet: string;
  /** Present when the state is for one device only. */
  device?: string;
  /** Strictly increasing per operator; older values are replays. */
  seq: number;
  issuedAt: string;
  /** After this time the state is refused (a frozen or withheld update is not applied late). */
  expiresAt?: string;
  bundle: {
    name: string;
    version: string;
    target: string;
    /** sha256 of bundle.json's bytes. */
    manifestSha256: string;
    manifestSize: number;
    /** The release signature of bundle.json. */
    signature: SignatureRecord;
  };
  sources: BlobSources;
  /**
   * Explicit, signed permission to install a lower version than the one running. Devices accept it
   * only when the signing key also holds the `rollback` role.
   */
  rollback?: boolean;
}

/** A decoded, signature-checked desired state. */
export interface VerifiedDesired {
  desired: DesiredState;
  /** Key id that signed it. */
  keyId: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Signs `desired` and returns the message bytes to publish.
 * @example
 * const bytes = encodeDesired(desired, operatorKey);
 */
export function encodeDesired(desired: DesiredState, privateKey: KeyObject): Buffer {
  const payload = JSON.stringify(desired);
  const signature = signDocument('desired', Buffer.from(payload, 'utf8'), privateKey);
  return Buffer.from(JSON.stringify({ payload, signature }), 'utf8');
}

/**
 * Decodes a desired-state message: size limit, envelope, signature (role `desired`), then shape.
 * Nothing in the payload is read before the signature verifies.
 * @throws EdgeError E_BUNDLE_INVALID (too large, malformed), E_SIGNATURE, E_UNTRUSTED_KEY
 */
export function decodeDesired(
  bytes: Uint8Array,
  trust: TrustStore,
  limits: BundleLimits = DEFAULT_BUNDLE_LIMITS,
): VerifiedDesired {
  const file = 'desired state';
  if (bytes.length > limits.desiredBytes)
    throw new EdgeError('E_BUNDLE_INVALID', `message is ${bytes.length} bytes; the limit is ${limits.desiredBytes}`, {
      file,
    });
  // The signed payload is one string inside the envelope: strings up to the whole message.
  const env = parseJsonBounded(
    bytes,
    { maxBytes: limits.desiredBytes, maxDepth: 8, maxStringLength: limits.desiredBytes },
    { file, what: 'desired-state message', syntaxCode: 'E_BUNDLE_INVALID' },
  ) as {
    payload?: unknown;
    signature?: unknown;
  };
  if (typeof env !== 'object' || env === null || typeof env.payload !== 'string') {
    throw new EdgeError('E_BUNDLE_INVALID', 'message must be {payload: <signed JSON text>, signature}', { file });
  }
  if (env.signature === undefined)
    throw new EdgeError('E_SIGNATURE', 'desired state is not signed', { file, field: 'signature' });
  const keyId = trust.verify('desired', Buffer.from(env.payload, 'utf8'), env.signature, { file, field: 'signature' });
  const payload = parseJsonBounded(
    env.payload,
    { maxBytes: limits.desiredBytes, maxDepth: 16, maxStringLength: 16 * 1024 },
    { file: `${file} payload`, what: 'signed desired state', syntaxCode: 'E_BUNDLE_INVALID' },
  );
  const desired = checkDesired(payload);
  if (desired.rollback === true && !trust.rolesOf(keyId).includes('rollback')) {
    throw new EdgeError(
      'E_UNTRUSTED_KEY',
      `desired state allows a rollback but key ${keyId} is not trusted for rollbacks (only for ${trust.rolesOf(keyId).join(', ')})`,
      {
        file,
        field: 'signature.keyId',
        hint: 'sign rollbacks with a key trusted for the rollback role (ringmoe-edge keygen --roles desired,rollback)',
      },
    );
  }
  return { desired, keyId };
}

/**
 * Checks the shape of a desired-state payload; every problem is reported at once.
 * @throws EdgeError E_BUNDLE_INVALID, E_SIGNATURE (malformed bundle signature)
 */
export function checkDesired(d: unknown, file = 'desired state'): DesiredState {
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!obj(d)) throw new EdgeError('E_BUNDLE_INVALID', 'payload is not an object', { file });
  const p: string[] = [];
  if (d.format !== DESIRED_FORMAT || d.formatVersion !== 1) p.push(`format must be "${DESIRED_FORMAT}" version 1`);
  if (typeof d.fleet !== 'string' || !NAME_PATTERN.test(d.fleet)) p.push('fleet must be a fleet id');
  if (d.device !== undefined && (typeof d.device !== 'string' || !NAME_PATTERN.test(d.device)))
    p.push('device must be a device id');
  if (!Number.isSafeInteger(d.seq) || (d.seq as number) < 0) p.push('seq must be a non-negative integer');
  if (typeof d.issuedAt !== 'string' || Number.isNaN(Date.parse(d.issuedAt)))
    p.push('issuedAt must be an ISO-8601 time');
  if (d.expiresAt !== undefined && (typeof d.expiresAt !== 'string' || Number.isNaN(Date.parse(d.expiresAt))))
    p.push('expiresAt must be an ISO-8601 time');
  if (d.rollback !== undefined && typeof d.rollback !== 'boolean') p.push('rollback must be a boolean');
  const b = d.bundle;
  if (!obj(b)) p.push('bundle must be an object');
  else {
    if (typeof b.name !== 'string' || !NAME_PATTERN.test(b.name)) p.push('bundle.name must be a bundle name');
    if (!isSemVer(b.version)) p.push('bundle.version must be a semantic version');
    if (typeof b.target !== 'string' || !NAME_PATTERN.test(b.target)) p.push('bundle.target must be a target id');
    if (typeof b.manifestSha256 !== 'string' || !HEX64.test(b.manifestSha256))
      p.push('bundle.manifestSha256 must be 64 lowercase hex digits');
    if (!Number.isSafeInteger(b.manifestSize) || (b.manifestSize as number) <= 0)
      p.push('bundle.manifestSize must be a positive integer');
  }
  const s = d.sources;
  if (!obj(s)) p.push('sources must be an object');
  else {
    if (s.http !== undefined && (!Array.isArray(s.http) || s.http.length > 8 || !s.http.every(isHttpUrl)))
      p.push('sources.http must be a list of at most 8 http(s) URLs');
    if (s.mqtt !== undefined && typeof s.mqtt !== 'boolean') p.push('sources.mqtt must be a boolean');
  }
  if (p.length) throw new EdgeError('E_BUNDLE_INVALID', `invalid desired state: ${p.join('; ')}`, { file });
  checkSignatureRecord((b as Record<string, unknown>).signature, { file, field: 'bundle.signature' });
  return d as unknown as DesiredState;
}

function isHttpUrl(u: unknown): boolean {
  if (typeof u !== 'string' || u.length > 2048) return false;
  try {
    const url = new URL(u);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
