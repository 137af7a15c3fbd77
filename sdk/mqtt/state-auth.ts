/**
 * Checking a device's signed state against the fleet's trust file: the signature (kind `report`) by
 * a key trusted for the `device` role and bound to the device whose topic the state came on, over
 * the JSON text of `{fleet, device, ts, state}`, which must name the same fleet, device and time as
 * the message. The signed copy of the state is what counts.
 */
import { EdgeError, messageOf } from '../core/errors.js';
import type { TrustStore } from '../core/signing/trust-store.js';
import type { StatePayload } from './messages.js';

/** The outcome of {@link verifyState}. */
export type StateCheck =
  { verified: true; state: Record<string, unknown>; keyId: string } | { verified: false; reason: string };

/**
 * Verifies a state payload's `auth`.
 * @example
 * const check = verifyState(payload, trust);
 * if (check.verified) keep(check.state);
 */
export function verifyState(p: StatePayload, trust: TrustStore): StateCheck {
  const auth = p.auth;
  if (!auth || typeof auth !== 'object' || typeof auth.payload !== 'string')
    return { verified: false, reason: 'unsigned' };
  let keyId: string;
  try {
    keyId = trust.verify('device', Buffer.from(auth.payload, 'utf8'), auth.signature, { field: 'auth.signature' });
  } catch (err) {
    return { verified: false, reason: err instanceof EdgeError ? `${err.code}: ${err.message}` : messageOf(err) };
  }
  const owner = trust.deviceOf(keyId);
  if (owner !== p.device)
    return { verified: false, reason: `signed by the key of device ${owner ?? '?'}, not of ${p.device}` };
  let signed: { fleet?: unknown; device?: unknown; ts?: unknown; state?: unknown };
  try {
    signed = JSON.parse(auth.payload) as typeof signed;
  } catch {
    return { verified: false, reason: 'signed text is not JSON' };
  }
  if (signed.fleet !== p.fleet || signed.device !== p.device || signed.ts !== p.ts)
    return { verified: false, reason: 'signed fleet, device or time differ from the message' };
  if (typeof signed.state !== 'object' || signed.state === null || Array.isArray(signed.state))
    return { verified: false, reason: 'signed state is not an object' };
  return { verified: true, state: signed.state as Record<string, unknown>, keyId };
}
