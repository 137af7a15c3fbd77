/**
 * MQTT for ringmoe-edge: the device-side {@link ResultPublisher} with its durable {@link Outbox},
 * the ground-station {@link FleetConsumer}, and an embedded broker. See docs/mqtt.md.
 * @packageDocumentation
 */
export { systemClock, ManualClock, type Clock, type ClockTimer } from '../core/clock.js';
export {
  TopicScheme,
  TOPIC_KINDS,
  DEFAULT_TOPIC_PREFIX,
  expectTopicSegment,
  type TopicKind,
  type ParsedTopic,
} from './topics.js';
export { ENCODINGS, CONTENT_TYPES, encodePayload, decodePayload, detectEncoding, type Encoding } from './codec.js';
export {
  PAYLOAD_VERSION,
  parsePayload,
  type PayloadBase,
  type ResultPayload,
  type BirthPayload,
  type DeathPayload,
  type StatePayload,
  type MetricsPayload,
  type MetricValue,
  type DevicePayload,
  type OutboxReport,
} from './messages.js';
export {
  DEFAULT_OUTBOX_LIMITS,
  type Outbox,
  type OutboxMessage,
  type OutboxEntry,
  type OutboxProperties,
  type OutboxAppendResult,
  type OutboxStats,
  type OutboxLimits,
  type DiscardReason,
  type QoS,
} from './outbox/outbox.js';
export { MemoryOutbox, type MemoryOutboxOptions } from './outbox/memory-outbox.js';
export { FileOutbox } from './outbox/file-outbox.js';
export type { FileOutboxOptions, FsyncPolicy } from './outbox/open-log.js';
export type { FileOutboxRecovery } from './outbox/log-replay.js';
export { MemoryBdSeqStore, FileBdSeqStore, type BdSeqStore } from './bdseq-store.js';
export type { ResultPublisherOptions } from './options.js';
export { DEFAULT_QOS, DEFAULT_EXPIRY, type QosPolicy, type ExpiryPolicy, type MessageClass } from './message-policy.js';
export type { BrokerAuth, ReconnectPolicy, ProtocolChoice, TlsOptions } from './broker-options.js';
export {
  ResultPublisher,
  type PublisherEvents,
  type ResultMeta,
  type PublishedResult,
  type PublisherStatus,
  type CloseReport,
} from './publisher.js';
export { DedupeWindow } from './dedupe.js';
export { FleetView, type DeviceSummary, type FleetSummary, type ViewChange } from './fleet-view.js';
export { FleetConsumer, type ConsumerEvents, type ReceivedResult } from './consumer.js';
export { DEFAULT_CONSUMER_LIMITS, type ConsumerLimits } from './consumer-limits.js';
export { PayloadRefused, checkPayloadShape, type RefusalReason } from '../core/json-limits.js';
// Options of FleetConsumer.create (documented in consumer-options.ts).
export type { FleetConsumerOptions } from './consumer-options.js';
export { startEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded-broker.js';
