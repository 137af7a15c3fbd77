/**
 * Options of the ground-station consumer, written and resolved (pure, no I/O).
 */
import { EdgeError } from '../core/errors.js';
import { expectInteger, expectString, invalidOption, is, rejectUnknownKeys } from '../core/validate.js';
import type { Clock } from '../core/clock.js';
import type { QoS } from './outbox/outbox.js';
import { resolveConsumerLimits, type ConsumerLimits } from './consumer-limits.js';
import { TrustStore } from '../core/signing/trust-store.js';
import { expectBrokerUrl, expectProtocol, type ProtocolChoice, type TlsOptions } from './broker-options.js';
import { DEFAULT_TOPIC_PREFIX, TopicScheme, expectTopicSegment } from './topics.js';

/** Options of `FleetConsumer.create`. */
export interface FleetConsumerOptions {
  /** Broker URL. */
  url: string;
  fleet: string;
  /** Topic prefix, default `ringmoe`. */
  prefix?: string;
  /**
   * Shared-subscription group (MQTT 5): consumers with the same group split the fleet's results
   * between them. Liveness, state and metrics are still subscribed by each consumer in full.
   */
  group?: string;
  /** Needed for a persistent session; default a random id. */
  clientId?: string;
  username?: string;
  password?: string;
  tls?: TlsOptions;
  /** Default `auto`. */
  protocol?: ProtocolChoice;
  /** Subscription QoS (the most the broker delivers with). Default 1. */
  qos?: QoS;
  /**
   * Keep the session (subscriptions and queued results) this many seconds after a disconnect, so a
   * consumer that restarts gets what arrived meanwhile. 0 (default) = clean session. Needs `clientId`.
   */
  sessionExpirySeconds?: number;
  /** Result ids remembered for de-duplication. Default 100000. */
  dedupeCapacity?: number;
  /** Payload size and nesting, devices and tasks tracked (see {@link ConsumerLimits}). */
  limits?: Partial<ConsumerLimits>;
  /**
   * The fleet's trust file: states must be signed by the device's own key (`device` role) to count;
   * the rest are kept apart as unverified and never replace a verified state.
   */
  trust?: TrustStore;
  /** Default 30. */
  keepaliveSeconds?: number;
  /** Default 10000. */
  connectTimeoutMs?: number;
  /** Delay between reconnect attempts after a lost connection. Default 1000. */
  reconnectDelayMs?: number;
  clock?: Clock;
}

/** Options after defaults and checks. */
export interface ResolvedConsumerOptions {
  url: string;
  fleet: string;
  topics: TopicScheme;
  group?: string;
  clientId: string;
  username?: string;
  password?: string;
  tls?: TlsOptions;
  protocol: ProtocolChoice;
  qos: QoS;
  sessionExpirySeconds: number;
  dedupeCapacity: number;
  limits: ConsumerLimits;
  trust?: TrustStore;
  keepaliveSeconds: number;
  connectTimeoutMs: number;
  reconnectDelayMs: number;
  clock?: Clock;
}

const KNOWN = [
  'url',
  'fleet',
  'prefix',
  'group',
  'clientId',
  'username',
  'password',
  'tls',
  'protocol',
  'qos',
  'sessionExpirySeconds',
  'dedupeCapacity',
  'limits',
  'trust',
  'keepaliveSeconds',
  'connectTimeoutMs',
  'reconnectDelayMs',
  'clock',
] as const;

/**
 * Applies defaults and checks every option.
 * @throws EdgeError E_INVALID_ARGUMENT naming the option
 */
export function resolveConsumerOptions(written: FleetConsumerOptions): ResolvedConsumerOptions {
  if (!is.object(written as unknown)) throw invalidOption('options', 'an object', written);
  const o = written as unknown as Record<string, unknown>;
  rejectUnknownKeys('options', o, KNOWN);
  const protocol = expectProtocol('options.protocol', o.protocol);
  const group = o.group === undefined ? undefined : expectTopicSegment('options.group', o.group);
  if (group !== undefined && protocol === 4) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      'shared subscriptions (options.group) need MQTT 5; options.protocol is 4',
      { field: 'options.group' },
    );
  }
  const sessionExpirySeconds =
    o.sessionExpirySeconds === undefined
      ? 0
      : expectInteger('options.sessionExpirySeconds', o.sessionExpirySeconds, 0, 0xffffffff);
  if (sessionExpirySeconds > 0 && o.clientId === undefined) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      'a persistent session (options.sessionExpirySeconds > 0) needs a fixed options.clientId',
      { field: 'options.clientId' },
    );
  }
  const qos = o.qos === undefined ? 1 : o.qos;
  if (qos !== 0 && qos !== 1 && qos !== 2) throw invalidOption('options.qos', '0, 1 or 2', qos);
  if (o.password !== undefined && typeof o.password !== 'string')
    throw invalidOption('options.password', 'a string', '<hidden>');
  if (o.tls !== undefined) {
    if (!is.object(o.tls)) throw invalidOption('options.tls', 'an object', o.tls);
    rejectUnknownKeys('options.tls', o.tls, ['ca', 'cert', 'key', 'rejectUnauthorized']);
  }
  if (o.clock !== undefined && (!is.object(o.clock) || typeof (o.clock as Partial<Clock>).now !== 'function'))
    throw invalidOption('options.clock', 'a Clock', o.clock);
  const resolved: ResolvedConsumerOptions = {
    url: expectBrokerUrl('options.url', o.url),
    fleet: expectTopicSegment('options.fleet', o.fleet),
    topics: new TopicScheme(o.prefix === undefined ? DEFAULT_TOPIC_PREFIX : (o.prefix as string)),
    clientId:
      o.clientId === undefined
        ? `ringmoe-gs-${Math.random().toString(16).slice(2, 10)}`
        : expectString('options.clientId', o.clientId),
    protocol,
    qos,
    sessionExpirySeconds,
    dedupeCapacity:
      o.dedupeCapacity === undefined
        ? 100_000
        : expectInteger('options.dedupeCapacity', o.dedupeCapacity, 1, 100_000_000),
    limits: resolveConsumerLimits(o.limits),
    keepaliveSeconds:
      o.keepaliveSeconds === undefined ? 30 : expectInteger('options.keepaliveSeconds', o.keepaliveSeconds, 1, 65535),
    connectTimeoutMs:
      o.connectTimeoutMs === undefined
        ? 10_000
        : expectInteger('options.connectTimeoutMs', o.connectTimeoutMs, 100, 600_000),
    reconnectDelayMs:
      o.reconnectDelayMs === undefined
        ? 1000
        : expectInteger('options.reconnectDelayMs', o.reconnectDelayMs, 10, 3_600_000),
  };
  if (group !== undefined) resolved.group = group;
  if (o.username !== undefined) resolved.username = expectString('options.username', o.username);
  if (o.password !== undefined) resolved.password = o.password as string;
  if (o.tls !== undefined) resolved.tls = o.tls as TlsOptions;
  if (o.clock !== undefined) resolved.clock = o.clock as unknown as Clock;
  if (o.trust !== undefined) {
    if (!(o.trust instanceof TrustStore)) throw invalidOption('options.trust', 'a TrustStore', '<value>');
    resolved.trust = o.trust;
  }
  return resolved;
}
