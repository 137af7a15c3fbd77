/**
 * The types a {@link ResultPublisher} speaks in: its events, the per-result details a caller may
 * give, and what publishing, status and close report back. Types only.
 */
import type { EdgeError } from '../core/errors.js';
import type { OutboxStats } from './outbox/outbox.js';
import type { ConnectionState } from './publisher-connection.js';
import type { StateDamage } from './publisher-state.js';

/** Events of a {@link ResultPublisher}. */
export interface PublisherEvents {
  /** A connection is up and its birth certificate was acknowledged. */
  connected: (info: { protocolVersion: 4 | 5; bdSeq: number; url: string }) => void;
  /** The broker became unreachable (once per outage; the publisher keeps retrying). */
  offline: (info: { error?: EdgeError }) => void;
  /** Entries left the outbox undelivered: `full` (oldest dropped), `expired` or `rejected` by the broker. */
  dropped: (info: { reason: 'full' | 'expired' | 'rejected'; seqs: number[]; count: number }) => void;
  /** Something needs attention: credentials refused, a message refused, outbox I/O failed. */
  error: (err: EdgeError) => void;
  /**
   * A state file was damaged: outbox records lost (found at open or when read back) or a bdSeq
   * file that could not be read. Damage found at start is held until the first listener is added.
   */
  damaged: (info: StateDamage) => void;
}

/** Per-result details; all optional. */
export interface ResultMeta {
  /** Unique result id (default: a random UUID). Reuse the same id when you publish the same result again. */
  id?: string;
  /** The frame the result belongs to. */
  frameId?: string;
  /** The model that produced the result (default: the publisher's current `modelVersion`). */
  modelVersion?: string;
}

/** What {@link ResultPublisher.publishResult} stored. */
export interface PublishedResult {
  id: string;
  /** Outbox sequence number. */
  seq: number;
  topic: string;
}

/** Connection and outbox state. */
export interface PublisherStatus {
  state: ConnectionState;
  protocolVersion?: 4 | 5;
  bdSeq?: number;
  outbox: OutboxStats;
}

/** What {@link ResultPublisher.close} achieved. */
export interface CloseReport {
  /** True when the outbox was empty before the deadline. */
  drained: boolean;
  /** Entries still in the outbox (they go out after the next start when it is durable). */
  pending: number;
}
