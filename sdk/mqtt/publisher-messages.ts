/**
 * Builds the payloads a publisher sends (schemas in messages.ts) and the MQTT 5 properties that go
 * with them. Pure functions of their inputs.
 * @internal
 */
import type { KeyObject } from 'node:crypto';
import { VERSION } from '../core/version.js';
import { signDocument } from '../core/signing/signature.js';
import { CONTENT_TYPES, encodePayload, type Encoding } from './codec.js';
import { signMessage } from './message-auth.js';
import type {
  BirthPayload,
  DeathPayload,
  MetricsPayload,
  OutboxReport,
  ResultPayload,
  StatePayload,
  MetricValue,
} from './messages.js';
import type { OutboxProperties } from './outbox/outbox.js';
import type { ResolvedPublisherOptions } from './options.js';

type Identity = Pick<ResolvedPublisherOptions, 'fleet' | 'device' | 'modelVersion' | 'encoding' | 'qos'>;

/**
 * The bytes of a payload for `topic`: encoded, and signed when the device has a key (results,
 * births and deaths; see message-auth.ts).
 * @throws EdgeError E_INVALID_ARGUMENT naming `field` when the payload cannot be encoded
 */
export function encodeMessage(
  o: Pick<ResolvedPublisherOptions, 'encoding' | 'deviceKey'>,
  topic: string,
  payload: unknown,
  field: string,
): Buffer {
  const bytes = encodePayload(o.encoding, payload, field);
  return o.deviceKey ? signMessage(o.encoding, topic, bytes, o.deviceKey) : bytes;
}

/** Result payload. */
export function resultPayload(
  o: Identity,
  id: string,
  task: string,
  ts: number,
  result: unknown,
  frameId?: string,
  modelVersion = o.modelVersion,
): ResultPayload {
  return {
    v: 1,
    type: 'result',
    id,
    fleet: o.fleet,
    device: o.device,
    task,
    ts,
    ...(modelVersion !== undefined ? { modelVersion } : {}),
    ...(frameId !== undefined ? { frameId } : {}),
    result,
  };
}

/** Birth certificate for connection `bdSeq`. */
export function birthPayload(
  o: Identity,
  bdSeq: number,
  ts: number,
  protocolVersion: 4 | 5,
  outbox: OutboxReport,
): BirthPayload {
  return {
    v: 1,
    type: 'birth',
    fleet: o.fleet,
    device: o.device,
    ts,
    bdSeq,
    sdkVersion: VERSION,
    ...(o.modelVersion !== undefined ? { modelVersion: o.modelVersion } : {}),
    encoding: o.encoding,
    contentType: CONTENT_TYPES[o.encoding],
    protocolVersion,
    qos: { ...o.qos },
    outbox,
  };
}

/** Death certificate for connection `bdSeq`. */
export function deathPayload(o: Identity, bdSeq: number, ts: number, graceful: boolean): DeathPayload {
  return { v: 1, type: 'death', fleet: o.fleet, device: o.device, ts, bdSeq, graceful };
}

/** State payload. */
export function statePayload(
  o: Identity & { deviceKey?: KeyObject },
  ts: number,
  state: Record<string, unknown>,
): StatePayload {
  const p: StatePayload = { v: 1, type: 'state', fleet: o.fleet, device: o.device, ts, state };
  if (o.deviceKey) {
    // The signed copy: what a ground station with the fleet's trust file believes.
    const text = JSON.stringify({ fleet: o.fleet, device: o.device, ts, state });
    p.auth = { payload: text, signature: signDocument('report', Buffer.from(text, 'utf8'), o.deviceKey) };
  }
  return p;
}

/** Metrics payload. */
export function metricsPayload(
  o: Identity,
  ts: number,
  metrics: Record<string, MetricValue>,
  outbox: OutboxReport,
): MetricsPayload {
  return { v: 1, type: 'metrics', fleet: o.fleet, device: o.device, ts, metrics, outbox };
}

/** MQTT 5 properties: content type, optional expiry, user properties (model version, frame id, ...). */
export function messageProperties(
  encoding: Encoding,
  expirySeconds: number | null,
  user: Record<string, string | undefined> = {},
): OutboxProperties {
  const userProperties = Object.fromEntries(
    Object.entries(user).filter((kv): kv is [string, string] => kv[1] !== undefined),
  );
  return {
    contentType: CONTENT_TYPES[encoding],
    ...(expirySeconds !== null ? { messageExpiryInterval: expirySeconds } : {}),
    ...(Object.keys(userProperties).length ? { userProperties } : {}),
  };
}
