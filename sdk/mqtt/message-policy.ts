/**
 * The per-class message policy of a publisher: its message classes (results, state, metrics) and
 * the QoS and expiry of each, with their defaults and checks. Pure: no I/O here.
 */
import { expectInteger, invalidOption, is, rejectUnknownKeys } from '../core/validate.js';
import type { QoS } from './outbox/outbox.js';

/** The message classes a publisher sends, each with its own QoS and expiry. */
export type MessageClass = 'results' | 'state' | 'metrics';

/** QoS per message class. */
export interface QosPolicy {
  /** Default 1: the outbox entry is removed on PUBACK. With 0 it is removed once written to the socket. */
  results: QoS;
  /** Default 1. State is retained. */
  state: QoS;
  /** Default 0: a lost metrics sample is replaced by the next. */
  metrics: QoS;
}

/** Default {@link QosPolicy}. */
export const DEFAULT_QOS: Readonly<QosPolicy> = Object.freeze({ results: 1, state: 1, metrics: 0 });

/** Message expiry in seconds per class (MQTT 5 only); `null` = never expires. */
export type ExpiryPolicy = Record<MessageClass, number | null>;

/** Default {@link ExpiryPolicy}: results and state never expire, metrics after 5 minutes. */
export const DEFAULT_EXPIRY: Readonly<ExpiryPolicy> = Object.freeze({ results: null, state: null, metrics: 300 });

function qosOf(name: string, value: unknown, fallback: QoS): QoS {
  if (value === undefined) return fallback;
  if (value === 0 || value === 1 || value === 2) return value;
  throw invalidOption(name, '0, 1 or 2', value);
}

function classRecord<T>(
  name: string,
  value: unknown,
  read: (field: string, v: unknown, d: T) => T,
  defaults: Record<MessageClass, T>,
): Record<MessageClass, T> {
  if (value === undefined) return { ...defaults };
  if (!is.object(value)) throw invalidOption(name, 'an object with results, state and/or metrics', value);
  rejectUnknownKeys(name, value, ['results', 'state', 'metrics']);
  return {
    results: read(`${name}.results`, value.results, defaults.results),
    state: read(`${name}.state`, value.state, defaults.state),
    metrics: read(`${name}.metrics`, value.metrics, defaults.metrics),
  };
}

/** Checks `qos` and fills the classes it leaves out from {@link DEFAULT_QOS}. */
export function resolveQosPolicy(value: unknown): QosPolicy {
  return classRecord<QoS>('options.qos', value, qosOf, DEFAULT_QOS);
}

/** Checks `expirySeconds` and fills the classes it leaves out from {@link DEFAULT_EXPIRY}. */
export function resolveExpiryPolicy(value: unknown): ExpiryPolicy {
  return classRecord<number | null>(
    'options.expirySeconds',
    value,
    (field, v, d) => (v === undefined ? d : v === null ? null : expectInteger(field, v, 1, 0xffffffff)),
    DEFAULT_EXPIRY,
  );
}
