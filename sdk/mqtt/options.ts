/**
 * Publisher options: what a caller writes ({@link ResultPublisherOptions}) and what the publisher
 * runs with ({@link ResolvedPublisherOptions}). The option groups live beside it, each with its
 * defaults: reaching the broker (broker-options.ts) and QoS and expiry per message class
 * (message-policy.ts). Pure: no I/O here.
 */
import type { KeyObject } from 'node:crypto';
import { EdgeError } from '../core/errors.js';
import { expectInteger, expectOneOf, expectString, invalidOption, is, rejectUnknownKeys } from '../core/validate.js';
import type { BdSeqStore } from './bdseq-store.js';
import {
  expectBrokerUrl,
  expectProtocol,
  resolveReconnect,
  type ProtocolChoice,
  type ReconnectPolicy,
  type TlsOptions,
} from './broker-options.js';
import type { Clock } from '../core/clock.js';
import { ENCODINGS, type Encoding } from './codec.js';
import { resolveExpiryPolicy, resolveQosPolicy, type ExpiryPolicy, type QosPolicy } from './message-policy.js';
import type { Outbox, OutboxLimits } from './outbox/outbox.js';
import type { FsyncPolicy } from './outbox/open-log.js';
import { DEFAULT_TOPIC_PREFIX, TopicScheme, expectTopicSegment } from './topics.js';

/** Options of `ResultPublisher.create`. */
export interface ResultPublisherOptions {
  /** Broker URL: `mqtt://host:1883`, `mqtts://`, `ws://`, `wss://`. */
  url: string;
  fleet: string;
  device: string;
  /** Topic prefix, default `ringmoe`. */
  prefix?: string;
  /** Default `ringmoe-<fleet>-<device>`: stable, so a restarted device takes over its old session. */
  clientId?: string;
  username?: string;
  password?: string;
  tls?: TlsOptions;
  /** Default `auto`. */
  protocol?: ProtocolChoice;
  /** Default `json`. */
  encoding?: Encoding;
  /** Reported in the birth certificate and as a user property of every result. */
  modelVersion?: string;
  qos?: Partial<QosPolicy>;
  expirySeconds?: Partial<ExpiryPolicy>;
  /**
   * Directory for the durable state: `outbox/` (a {@link FileOutbox}) and `bdseq.json`. Without it
   * (and without `outbox`) results wait in memory and are lost if the process dies.
   */
  stateDir?: string;
  /** An outbox of your own (overrides the one in `stateDir`). The publisher closes it on close(). */
  outbox?: Outbox;
  /** A bdSeq store of your own (overrides `stateDir/bdseq.json`). */
  bdSeqStore?: BdSeqStore;
  /** Bounds of the outbox the publisher creates. */
  outboxLimits?: Partial<OutboxLimits>;
  /** fsync policy of the file outbox in `stateDir`; default `'always'`. */
  fsync?: FsyncPolicy;
  /**
   * Most results awaiting PUBACK at once, further capped by the receive maximum an MQTT 5 broker
   * announces. Also the most copies a lost connection can cause. Default 256.
   */
  maxInflight?: number;
  /** Default 30. */
  keepaliveSeconds?: number;
  /** Default 10000. */
  connectTimeoutMs?: number;
  reconnect?: Partial<ReconnectPolicy>;
  clock?: Clock;
  /**
   * The device's own Ed25519 private key (made at provisioning, trusted for the `device` role in the
   * fleet's trust file): results, births, deaths (the will too) and states are signed with it, so a
   * ground station with the trust file tells them from forgeries (docs/mqtt.md).
   */
  deviceKey?: KeyObject;
}

/** Options after defaults and checks. */
export interface ResolvedPublisherOptions {
  url: string;
  fleet: string;
  device: string;
  topics: TopicScheme;
  clientId: string;
  username?: string;
  password?: string;
  tls?: TlsOptions;
  protocol: ProtocolChoice;
  encoding: Encoding;
  modelVersion?: string;
  qos: QosPolicy;
  expirySeconds: ExpiryPolicy;
  stateDir?: string;
  outbox?: Outbox;
  bdSeqStore?: BdSeqStore;
  outboxLimits?: Partial<OutboxLimits>;
  fsync?: FsyncPolicy;
  maxInflight: number;
  keepaliveSeconds: number;
  connectTimeoutMs: number;
  reconnect: ReconnectPolicy;
  clock?: Clock;
  deviceKey?: KeyObject;
}

const KNOWN = [
  'url',
  'fleet',
  'device',
  'prefix',
  'clientId',
  'username',
  'password',
  'tls',
  'protocol',
  'encoding',
  'modelVersion',
  'qos',
  'expirySeconds',
  'stateDir',
  'outbox',
  'bdSeqStore',
  'outboxLimits',
  'fsync',
  'maxInflight',
  'keepaliveSeconds',
  'connectTimeoutMs',
  'reconnect',
  'clock',
  'deviceKey',
] as const;

/** Checks the injected outbox, bdSeq store and clock, and the outbox settings that go with `stateDir`. */
function checkStateOptions(o: Record<string, unknown>, stateDir: string | undefined): void {
  if (o.outbox !== undefined && (!is.object(o.outbox) || typeof (o.outbox as Partial<Outbox>).append !== 'function')) {
    throw invalidOption('options.outbox', 'an Outbox (MemoryOutbox, FileOutbox or your own implementation)', o.outbox);
  }
  if (o.outbox !== undefined && (o.outboxLimits !== undefined || o.fsync !== undefined)) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      'options.outboxLimits and options.fsync configure the outbox the publisher creates; set them on your own options.outbox instead',
      {
        field: o.outboxLimits !== undefined ? 'options.outboxLimits' : 'options.fsync',
      },
    );
  }
  if (o.fsync !== undefined && stateDir === undefined) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      'options.fsync needs options.stateDir (without it the outbox lives in memory)',
      { field: 'options.fsync' },
    );
  }
  if (
    o.bdSeqStore !== undefined &&
    (!is.object(o.bdSeqStore) || typeof (o.bdSeqStore as Partial<BdSeqStore>).next !== 'function')
  ) {
    throw invalidOption('options.bdSeqStore', 'a BdSeqStore', o.bdSeqStore);
  }
  if (o.clock !== undefined && (!is.object(o.clock) || typeof (o.clock as Partial<Clock>).now !== 'function')) {
    throw invalidOption('options.clock', 'a Clock', o.clock);
  }
}

/**
 * Applies defaults and checks every option, naming the first bad one.
 * @throws EdgeError E_INVALID_ARGUMENT
 */
export function resolvePublisherOptions(written: ResultPublisherOptions): ResolvedPublisherOptions {
  if (!is.object(written as unknown)) throw invalidOption('options', 'an object', written);
  const o = written as unknown as Record<string, unknown>;
  rejectUnknownKeys('options', o, KNOWN);
  const fleet = expectTopicSegment('options.fleet', o.fleet);
  const device = expectTopicSegment('options.device', o.device);
  const topics = new TopicScheme(o.prefix === undefined ? DEFAULT_TOPIC_PREFIX : (o.prefix as string));
  const optionalString = (name: string, v: unknown): string | undefined =>
    v === undefined ? undefined : expectString(name, v);
  const clientId = optionalString('options.clientId', o.clientId) ?? `ringmoe-${fleet}-${device}`;
  if (clientId.length > 65535) throw invalidOption('options.clientId', 'a client id of at most 65535 bytes', clientId);
  if (o.tls !== undefined) {
    if (!is.object(o.tls)) throw invalidOption('options.tls', 'an object', o.tls);
    rejectUnknownKeys('options.tls', o.tls, ['ca', 'cert', 'key', 'rejectUnauthorized']);
  }
  const expiry = resolveExpiryPolicy(o.expirySeconds);
  const { minDelayMs, maxDelayMs } = resolveReconnect(o.reconnect);
  const stateDir = optionalString('options.stateDir', o.stateDir);
  checkStateOptions(o, stateDir);
  const resolved: ResolvedPublisherOptions = {
    url: expectBrokerUrl('options.url', o.url),
    fleet,
    device,
    topics,
    clientId,
    protocol: expectProtocol('options.protocol', o.protocol),
    encoding: o.encoding === undefined ? 'json' : expectOneOf('options.encoding', o.encoding, ENCODINGS),
    qos: resolveQosPolicy(o.qos),
    expirySeconds: expiry,
    maxInflight: o.maxInflight === undefined ? 256 : expectInteger('options.maxInflight', o.maxInflight, 1, 65535),
    keepaliveSeconds:
      o.keepaliveSeconds === undefined ? 30 : expectInteger('options.keepaliveSeconds', o.keepaliveSeconds, 1, 65535),
    connectTimeoutMs:
      o.connectTimeoutMs === undefined
        ? 10_000
        : expectInteger('options.connectTimeoutMs', o.connectTimeoutMs, 100, 600_000),
    reconnect: { minDelayMs, maxDelayMs },
  };
  const username = optionalString('options.username', o.username);
  if (o.password !== undefined && typeof o.password !== 'string')
    throw invalidOption('options.password', 'a string', '<hidden>');
  const password = o.password as string | undefined;
  const modelVersion = optionalString('options.modelVersion', o.modelVersion);
  if (username !== undefined) resolved.username = username;
  if (password !== undefined) resolved.password = password;
  if (o.tls !== undefined) resolved.tls = o.tls as TlsOptions;
  if (modelVersion !== undefined) resolved.modelVersion = modelVersion;
  if (stateDir !== undefined) resolved.stateDir = stateDir;
  if (o.outbox !== undefined) resolved.outbox = o.outbox as unknown as Outbox;
  if (o.bdSeqStore !== undefined) resolved.bdSeqStore = o.bdSeqStore as unknown as BdSeqStore;
  if (o.outboxLimits !== undefined) resolved.outboxLimits = o.outboxLimits as Partial<OutboxLimits>;
  if (o.fsync !== undefined) resolved.fsync = o.fsync as FsyncPolicy;
  if (o.clock !== undefined) resolved.clock = o.clock as unknown as Clock;
  if (o.deviceKey !== undefined) {
    const k = o.deviceKey as Partial<KeyObject> | null;
    if (!k || k.type !== 'private' || k.asymmetricKeyType !== 'ed25519')
      throw invalidOption('options.deviceKey', 'an Ed25519 private KeyObject', '<key>');
    resolved.deviceKey = o.deviceKey as KeyObject;
  }
  return resolved;
}
