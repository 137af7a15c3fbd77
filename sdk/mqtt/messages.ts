/**
 * Payload schemas (version 1). Every payload is a map with `v` (schema version), `type`, `fleet`,
 * `device` and `ts` (epoch ms at the device); the rest depends on the type. The same map is sent
 * over MQTT 5 and 3.1.1: MQTT 5 properties only repeat what the payload already says.
 */
import { EdgeError } from '../core/errors.js';
import type { Encoding } from './codec.js';
import type { OutboxStats, QoS } from './outbox/outbox.js';
import type { ParsedTopic } from './topics.js';

/** Schema version written in `v`. */
export const PAYLOAD_VERSION = 1;

/** Fields every payload has. */
export interface PayloadBase {
  v: 1;
  fleet: string;
  device: string;
  /** Epoch milliseconds when the device produced the message. */
  ts: number;
}

/** `<prefix>/<fleet>/<device>/results/<task>`: one result. */
export interface ResultPayload extends PayloadBase {
  type: 'result';
  /** Unique per result; a consumer drops a second message with the same device and id. */
  id: string;
  task: string;
  modelVersion?: string;
  frameId?: string;
  /** Whatever the pipeline produced (JSON-able; with CBOR also typed arrays). */
  result: unknown;
}

/** Outbox figures a device reports in its birth and metrics. */
export interface OutboxReport {
  kind: string;
  pending: number;
  dropped: number;
  expired: number;
  rejected: number;
}

/** `<...>/birth` (retained): the device is up on a new connection numbered `bdSeq`. */
export interface BirthPayload extends PayloadBase {
  type: 'birth';
  bdSeq: number;
  sdkVersion: string;
  modelVersion?: string;
  encoding: Encoding;
  contentType: string;
  protocolVersion: 4 | 5;
  qos: { results: QoS; state: QoS; metrics: QoS };
  outbox: OutboxReport;
}

/**
 * `<...>/death` (retained): the connection numbered `bdSeq` ended. Registered as the MQTT last-will
 * at CONNECT (then `ts` is the connect time and `graceful` false) and published explicitly by
 * `close()` (`graceful` true).
 */
export interface DeathPayload extends PayloadBase {
  type: 'death';
  bdSeq: number;
  graceful: boolean;
}

/** `<...>/state` (retained): application state, latest wins. */
export interface StatePayload extends PayloadBase {
  type: 'state';
  state: Record<string, unknown>;
  /**
   * Present when the device has a key: the JSON text of `{fleet, device, ts, state}` and its Ed25519
   * signature (kind `report`) by the device's key. A consumer with the fleet's trust file keeps the
   * signed copy and marks states without a valid one as unverified.
   */
  auth?: { payload: string; signature: unknown };
}

/** A metric value. */
export type MetricValue = number | string | boolean | null;

/** `<...>/metrics`: numbers the device reports, plus its outbox figures. */
export interface MetricsPayload extends PayloadBase {
  type: 'metrics';
  metrics: Record<string, MetricValue>;
  outbox: OutboxReport;
}

/** Any payload of ours. */
export type DevicePayload = ResultPayload | BirthPayload | DeathPayload | StatePayload | MetricsPayload;

/** The outbox part of birth and metrics payloads. */
export function outboxReport(kind: string, stats: OutboxStats): OutboxReport {
  return { kind, pending: stats.pending, dropped: stats.dropped, expired: stats.expired, rejected: stats.rejected };
}

const KIND_TYPE = { results: 'result', birth: 'birth', death: 'death', state: 'state', metrics: 'metrics' } as const;

/**
 * Checks a decoded payload against its topic and schema.
 * @throws EdgeError E_MQTT_PAYLOAD naming the topic and the field at fault
 */
export function parsePayload(topic: string, where: ParsedTopic, value: Record<string, unknown>): DevicePayload {
  const fail = (field: string, expected: string): never => {
    throw new EdgeError(
      'E_MQTT_PAYLOAD',
      `expected ${expected} for ${field} but received ${JSON.stringify(value[field]) ?? 'nothing'}`,
      { file: topic, field },
    );
  };
  if (value.v !== PAYLOAD_VERSION) fail('v', `schema version ${PAYLOAD_VERSION}`);
  if (value.type !== KIND_TYPE[where.kind]) fail('type', JSON.stringify(KIND_TYPE[where.kind]));
  if (value.fleet !== where.fleet) fail('fleet', `${JSON.stringify(where.fleet)} (the topic's fleet)`);
  if (value.device !== where.device) fail('device', `${JSON.stringify(where.device)} (the topic's device)`);
  if (typeof value.ts !== 'number' || !Number.isFinite(value.ts)) fail('ts', 'epoch milliseconds');
  switch (where.kind) {
    case 'results':
      if (typeof value.id !== 'string' || value.id.length === 0) fail('id', 'a non-empty string');
      if (value.task !== where.task) fail('task', `${JSON.stringify(where.task)} (the topic's task)`);
      if (!('result' in value)) fail('result', 'a result');
      break;
    case 'birth':
    case 'death':
      if (!Number.isSafeInteger(value.bdSeq) || (value.bdSeq as number) < 0) fail('bdSeq', 'an integer >= 0');
      break;
    case 'state':
      if (typeof value.state !== 'object' || value.state === null) fail('state', 'an object');
      break;
    case 'metrics':
      if (typeof value.metrics !== 'object' || value.metrics === null) fail('metrics', 'an object');
      break;
  }
  return value as unknown as DevicePayload;
}
