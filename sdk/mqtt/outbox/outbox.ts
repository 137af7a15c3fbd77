/**
 * The durable queue between "a result was produced" and "the broker acknowledged it". Everything
 * appended stays until {@link Outbox.ack} (PUBACK seen), {@link Outbox.discard} (expired or refused
 * by the broker) or until the outbox is full and drops its oldest entries, which it counts.
 *
 * Two implementations share one contract suite (test/contract/outbox.contract.ts):
 * {@link MemoryOutbox} (lost with the process) and {@link FileOutbox} (an append-only log that
 * survives restarts and kill -9).
 */
import { EdgeError } from '../../core/errors.js';
import { expectInteger, invalidOption, is, rejectUnknownKeys } from '../../core/validate.js';

/** MQTT quality of service. */
export type QoS = 0 | 1 | 2;

/** MQTT 5 properties kept with a message (dropped on the wire when the broker speaks 3.1.1). */
export interface OutboxProperties {
  /** MIME type of the payload. */
  contentType?: string;
  /** Seconds the message stays valid after it was appended; the drainer sends the remainder. */
  messageExpiryInterval?: number;
  /** String pairs, e.g. model version and frame id. */
  userProperties?: Record<string, string>;
}

/** A message to store. */
export interface OutboxMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties?: OutboxProperties;
}

/** A stored message with its place in the queue. */
export interface OutboxEntry extends OutboxMessage {
  /** Position in the queue: strictly increasing, never reused (also across restarts of a file outbox). */
  seq: number;
  /** When it was appended (epoch ms, from the outbox's clock). */
  createdAt: number;
}

/** Why entries left the outbox without a PUBACK. */
export type DiscardReason = 'expired' | 'rejected';

/** What {@link Outbox.append} did. */
export interface OutboxAppendResult {
  /** Sequence number of the new entry. */
  seq: number;
  /** Sequence numbers of the oldest entries dropped to make room (usually empty). */
  dropped: number[];
}

/** Counters and sizes. Totals of a file outbox cover its whole life on disk, not one process. */
export interface OutboxStats {
  /** Entries waiting for a PUBACK. */
  pending: number;
  /** Their size as counted against `maxBytes` (topic + payload + properties). */
  pendingBytes: number;
  appended: number;
  acked: number;
  /** Dropped because the outbox was full (oldest first). */
  dropped: number;
  expired: number;
  rejected: number;
  maxEntries: number;
  maxBytes: number;
  /** Records lost to damage on disk since the outbox was opened, found at open or when read back (file outbox only). */
  damaged?: number;
}

/** Bounds shared by every implementation. */
export interface OutboxLimits {
  /** Most entries kept; beyond it the oldest are dropped. Default 100000. */
  maxEntries: number;
  /** Most bytes kept (topic + payload + properties); beyond it the oldest are dropped. Default 64 MiB. */
  maxBytes: number;
  /** Largest single message accepted; bigger ones are refused with E_INVALID_ARGUMENT. Default 1 MiB. */
  maxMessageBytes: number;
}

/** Default {@link OutboxLimits}. */
export const DEFAULT_OUTBOX_LIMITS: Readonly<OutboxLimits> = Object.freeze({
  maxEntries: 100_000,
  maxBytes: 64 * 1024 * 1024,
  maxMessageBytes: 1024 * 1024,
});

/**
 * A durable FIFO of MQTT messages awaiting acknowledgement.
 *
 * Invariants every implementation keeps (checked by the contract suite):
 * - `read` returns pending entries in `seq` order; `seq` never repeats;
 * - `ack`/`discard` of an unknown or already removed seq is a no-op;
 * - when an append would exceed a bound, the oldest entries are dropped and counted, never the new one;
 * - after `close()`, every method but `stats` and `close` rejects with E_CLOSED.
 */
export interface Outbox {
  /** `memory` or `file` (or a custom implementation's name), reported in birth certificates. */
  readonly kind: string;
  /**
   * Appends a message. When the promise resolves the message is as durable as the
   * implementation promises (a file outbox: written, and fsynced under `fsync: 'always'`).
   * @throws EdgeError E_INVALID_ARGUMENT (malformed message, larger than maxMessageBytes), E_OUTBOX (I/O), E_CLOSED
   */
  append(message: OutboxMessage): Promise<OutboxAppendResult>;
  /** Up to `limit` pending entries with `seq > afterSeq`, oldest first. */
  read(afterSeq: number, limit: number): Promise<OutboxEntry[]>;
  /** Removes entries the broker acknowledged. */
  ack(seqs: readonly number[]): Promise<void>;
  /** Removes entries that will never be delivered (expired, or refused by the broker), counting them. */
  discard(seqs: readonly number[], reason: DiscardReason): Promise<void>;
  /** Counters and sizes (synchronous, cheap). */
  stats(): OutboxStats;
  /** Makes everything written so far durable (fsync for a file outbox). */
  flush(): Promise<void>;
  /** Flushes and releases resources. Idempotent. */
  close(): Promise<void>;
}

/** Bytes a message counts against `maxBytes`: topic + payload + properties as JSON. */
export function messageBytes(
  message: OutboxMessage,
  propertiesJson = message.properties ? JSON.stringify(message.properties) : '',
): number {
  return Buffer.byteLength(message.topic) + message.payload.byteLength + Buffer.byteLength(propertiesJson);
}

/** An own copy of message properties (the caller may change its object after append). */
export function copyProperties(p: OutboxProperties): OutboxProperties {
  return {
    ...(p.contentType !== undefined ? { contentType: p.contentType } : {}),
    ...(p.messageExpiryInterval !== undefined ? { messageExpiryInterval: p.messageExpiryInterval } : {}),
    ...(p.userProperties !== undefined ? { userProperties: { ...p.userProperties } } : {}),
  };
}

/**
 * Checks a message before it is stored; returns its size and its properties as JSON.
 * @throws EdgeError E_INVALID_ARGUMENT naming the field at fault
 */
export function validateOutboxMessage(
  message: OutboxMessage,
  limits: OutboxLimits,
): { bytes: number; propertiesJson: string } {
  if (!is.object(message)) throw invalidOption('message', 'an object', message);
  if (!is.nonEmptyString(message.topic) || /[+#\u0000]/.test(message.topic)) {
    throw invalidOption('message.topic', 'a non-empty topic without wildcards or NUL', message.topic);
  }
  if (!(message.payload instanceof Uint8Array))
    throw invalidOption('message.payload', 'a Uint8Array or Buffer', message.payload);
  if (message.qos !== 0 && message.qos !== 1 && message.qos !== 2)
    throw invalidOption('message.qos', '0, 1 or 2', message.qos);
  if (typeof message.retain !== 'boolean') throw invalidOption('message.retain', 'a boolean', message.retain);
  const p = message.properties;
  if (p !== undefined) {
    if (!is.object(p)) throw invalidOption('message.properties', 'an object', p);
    rejectUnknownKeys('message.properties', p as Record<string, unknown>, [
      'contentType',
      'messageExpiryInterval',
      'userProperties',
    ]);
    if (p.contentType !== undefined && !is.nonEmptyString(p.contentType))
      throw invalidOption('message.properties.contentType', 'a non-empty string', p.contentType);
    if (p.messageExpiryInterval !== undefined)
      expectInteger('message.properties.messageExpiryInterval', p.messageExpiryInterval, 1, 0xffffffff);
    if (p.userProperties !== undefined) {
      if (!is.object(p.userProperties))
        throw invalidOption('message.properties.userProperties', 'an object of strings', p.userProperties);
      for (const [k, v] of Object.entries(p.userProperties)) {
        if (typeof v !== 'string') throw invalidOption(`message.properties.userProperties.${k}`, 'a string', v);
      }
    }
  }
  const propertiesJson = p === undefined ? '' : JSON.stringify(p);
  const bytes = messageBytes(message, propertiesJson);
  if (bytes > limits.maxMessageBytes) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `message of ${bytes} bytes exceeds the outbox's maxMessageBytes (${limits.maxMessageBytes})`,
      {
        field: 'message.payload',
        hint: 'publish smaller results (e.g. CBOR instead of JSON, or a reference to a file) or raise maxMessageBytes',
      },
    );
  }
  return { bytes, propertiesJson };
}

/**
 * Resolves written limits against the defaults.
 * @param name option name used in messages, e.g. `options.limits`
 * @throws EdgeError E_INVALID_ARGUMENT
 */
export function resolveOutboxLimits(written: Partial<OutboxLimits> | undefined, name = 'limits'): OutboxLimits {
  if (written === undefined) return { ...DEFAULT_OUTBOX_LIMITS };
  if (!is.object(written)) throw invalidOption(name, 'an object', written);
  rejectUnknownKeys(name, written as Record<string, unknown>, ['maxEntries', 'maxBytes', 'maxMessageBytes']);
  const maxEntries =
    written.maxEntries === undefined
      ? DEFAULT_OUTBOX_LIMITS.maxEntries
      : expectInteger(`${name}.maxEntries`, written.maxEntries, 1, 100_000_000);
  const maxBytes =
    written.maxBytes === undefined
      ? DEFAULT_OUTBOX_LIMITS.maxBytes
      : expectInteger(`${name}.maxBytes`, written.maxBytes, 1024, 2 ** 40);
  const maxMessageBytes =
    written.maxMessageBytes === undefined
      ? Math.min(DEFAULT_OUTBOX_LIMITS.maxMessageBytes, maxBytes)
      : expectInteger(`${name}.maxMessageBytes`, written.maxMessageBytes, 1, maxBytes);
  return { maxEntries, maxBytes, maxMessageBytes };
}

/** The error every method of a closed outbox throws. */
export function outboxClosed(kind: string): EdgeError {
  return new EdgeError('E_CLOSED', `the ${kind} outbox is closed`);
}
