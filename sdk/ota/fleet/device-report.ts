/**
 * Signed device reports. A device signs each OTA report with the key made at provisioning (trusted
 * for the `device` role and bound to that device in the fleet's trust file), so a client on the
 * broker cannot forge a device's state or an "installed" outcome. The message carries the exact JSON
 * text that was signed, like a desired state:
 *
 * ```json
 * { "payload": "{\"fleet\":\"north\",\"device\":\"drone-7\",\"state\":\"idle\",...}", "signature": {...} }
 * ```
 *
 * Unsigned reports (a plain report object, as agents without a key publish) still decode, as
 * unverified. Nothing decides on an unverified report: `publish --wait`, `fleet status` and ground
 * stations count only verified ones when they have a trust file.
 */
import type { KeyObject } from 'node:crypto';
import { EdgeError, messageOf } from '../../core/errors.js';
import { checkJsonDepth } from '../../core/json-limits.js';
import type { AgentReport } from '../agent/agent-states.js';
import { signDocument } from '../../core/signing/signature.js';
import type { TrustStore } from '../../core/signing/trust-store.js';

/** Largest report message accepted, in bytes. */
export const MAX_REPORT_BYTES = 64 * 1024;
/** Deepest nesting accepted in a report. */
const MAX_REPORT_DEPTH = 16;

/** A decoded report and whether a trusted key of its device signed it. */
export interface ReceivedReport {
  report: AgentReport;
  verified: boolean;
  /** Key id that signed, when verified. */
  keyId?: string;
  /** Why it is not verified (unsigned, untrusted key, another device's key, bad signature). */
  unverifiedReason?: string;
}

/**
 * The message bytes of `report`, signed with the device key when there is one.
 * @example
 * client.publish(topic, encodeReport(agent.report(), deviceKey), { retain: true });
 */
export function encodeReport(report: AgentReport, deviceKey?: KeyObject): Buffer {
  const payload = JSON.stringify(report);
  if (!deviceKey) return Buffer.from(payload, 'utf8');
  const signature = signDocument('report', Buffer.from(payload, 'utf8'), deviceKey);
  return Buffer.from(JSON.stringify({ payload, signature }), 'utf8');
}

/**
 * Decodes a report received on `device`'s state topic and checks its signature against `trust`.
 * @throws EdgeError E_MQTT_PAYLOAD when the message is too large, too deep, not JSON, not a report,
 *   or names another fleet or device than its topic
 */
export function decodeReport(
  bytes: Uint8Array,
  where: { fleet: string; device: string },
  trust?: TrustStore,
): ReceivedReport {
  const file = `report of ${where.device}`;
  if (bytes.length > MAX_REPORT_BYTES)
    throw new EdgeError('E_MQTT_PAYLOAD', `report is ${bytes.length} bytes; the limit is ${MAX_REPORT_BYTES}`, {
      file,
    });
  checkJsonDepth(bytes, MAX_REPORT_DEPTH, file);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw new EdgeError('E_MQTT_PAYLOAD', `report is not JSON: ${messageOf(err)}`, { file });
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(value)) throw new EdgeError('E_MQTT_PAYLOAD', 'report is not an object', { file });
  let verified = false;
  let keyId: string | undefined;
  let unverifiedReason: string | undefined = 'unsigned';
  let report: unknown = value;
  if (typeof value.payload === 'string' && value.signature !== undefined) {
    const text = value.payload;
    checkJsonDepth(Buffer.from(text, 'utf8'), MAX_REPORT_DEPTH, file);
    try {
      report = JSON.parse(text);
    } catch (err) {
      throw new EdgeError('E_MQTT_PAYLOAD', `signed report is not JSON: ${messageOf(err)}`, { file });
    }
    if (!trust) unverifiedReason = 'no trust file to check the signature against';
    else {
      try {
        keyId = trust.verify('device', Buffer.from(text, 'utf8'), value.signature, { file, field: 'signature' });
        const owner = trust.deviceOf(keyId);
        if (owner !== where.device) {
          unverifiedReason = `signed by the key of device ${owner ?? '?'}, not of ${where.device}`;
          keyId = undefined;
        } else {
          verified = true;
          unverifiedReason = undefined;
        }
      } catch (err) {
        unverifiedReason = err instanceof EdgeError ? `${err.code}: ${err.message}` : messageOf(err);
      }
    }
  }
  if (!isObject(report) || typeof report.state !== 'string')
    throw new EdgeError('E_MQTT_PAYLOAD', 'report has no state', { file });
  if (
    (report.fleet !== undefined && report.fleet !== where.fleet) ||
    (report.device !== undefined && report.device !== where.device)
  ) {
    throw new EdgeError(
      'E_MQTT_PAYLOAD',
      `report names ${String(report.fleet)}/${String(report.device)} but came on the topic of ${where.fleet}/${where.device}`,
      { file },
    );
  }
  const out: ReceivedReport = {
    report: { ...(report as unknown as AgentReport), fleet: where.fleet, device: where.device },
    verified,
  };
  if (keyId !== undefined) out.keyId = keyId;
  if (unverifiedReason !== undefined) out.unverifiedReason = unverifiedReason;
  return out;
}
