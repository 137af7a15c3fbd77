/**
 * What a ground station knows about a fleet, built from the messages it receives: per device the
 * liveness (birth/death with Sparkplug's bdSeq rule), last seen time, result counts per task,
 * duplicates dropped, latest state and metrics. Pure: feed it payloads, read summaries.
 *
 * The bdSeq rule: a birth is always current (only a live connection publishes one). A death counts
 * only when its bdSeq equals the current birth's; any other death is stale (left by an older
 * connection, e.g. delivered late by the broker or retained from before a restart) and is ignored.
 */
import { DedupeWindow } from './dedupe.js';
import type {
  BirthPayload,
  DeathPayload,
  DevicePayload,
  MetricsPayload,
  OutboxReport,
  StatePayload,
} from './messages.js';
import { DEFAULT_CONSUMER_LIMITS, type ConsumerLimits } from './consumer-limits.js';
import { PayloadRefused, type RefusalReason } from '../core/json-limits.js';

/** One device as the ground station sees it. */
export interface DeviceSummary {
  device: string;
  /** true after a current birth, false after its death; undefined until either is seen. */
  online?: boolean;
  /** bdSeq of the current birth. */
  bdSeq?: number;
  birthTs?: number;
  /** The last death that counted (not stale). */
  lastDeath?: { bdSeq: number; ts: number; graceful: boolean };
  /** Deaths ignored because their bdSeq was not the current birth's. */
  staleDeaths: number;
  /** Epoch ms (consumer clock) of the last message of any kind. */
  lastSeen: number;
  /** Distinct results per task. */
  results: Record<string, number>;
  /** Copies dropped by id. */
  duplicates: number;
  modelVersion?: string;
  protocolVersion?: 4 | 5;
  encoding?: string;
  latestState?: { ts: number; state: Record<string, unknown>; verified?: boolean };
  /** With a trust file: true once a state signed by the device's own key arrived. */
  verified?: boolean;
  latestMetrics?: { ts: number; metrics: MetricsPayload['metrics']; outbox: OutboxReport };
}

/** The whole fleet. */
export interface FleetSummary {
  fleet: string;
  devices: DeviceSummary[];
  totals: {
    devices: number;
    online: number;
    results: number;
    duplicates: number;
    malformed: number;
    /** Messages refused by the consumer's limits, by reason (oversized, too-deep, device-limit, …). */
    refused: Partial<Record<RefusalReason, number>>;
    /**
     * With a trust file: messages that did not verify (unsigned, forged, tampered, replayed on
     * another topic, a key of another device), all kinds together. They are kept apart: results,
     * births and deaths are not counted or applied at all, and a state never replaces a verified one.
     */
    unverified: number;
    /** {@link FleetSummary.totals.unverified} by message kind. */
    unverifiedByKind: Partial<Record<UnverifiedKind, number>>;
  };
}

/** Kinds of message a consumer with a trust file checks. */
export type UnverifiedKind = 'result' | 'birth' | 'death' | 'state';

/** What applying one payload meant. */
export type ViewChange =
  | { kind: 'result'; duplicate: boolean }
  | { kind: 'birth' }
  | { kind: 'death'; stale: boolean }
  | { kind: 'state' }
  | { kind: 'metrics' };

/**
 * Aggregates payloads of one fleet.
 * @example
 * const view = new FleetView('north');
 * view.apply(payload, Date.now());
 * console.log(view.summary().totals);
 */
export class FleetView {
  private readonly devices = new Map<string, DeviceSummary>();
  /** bdSeqs of the last deaths seen per device (a re-delivered birth must not revive a dead connection). */
  private readonly deaths = new Map<string, number[]>();
  private readonly seen: DedupeWindow;
  private malformedCount = 0;
  private readonly refusedCounts: Partial<Record<RefusalReason, number>> = {};
  private readonly unverifiedCounts: Partial<Record<UnverifiedKind, number>> = {};

  /**
   * @param dedupeCapacity result ids remembered for de-duplication (default 100000)
   * @param limits devices and tasks tracked at most (see {@link ConsumerLimits})
   */
  constructor(
    readonly fleet: string,
    dedupeCapacity = 100_000,
    private readonly limits: Pick<ConsumerLimits, 'maxDevices' | 'maxTasksPerDevice'> = DEFAULT_CONSUMER_LIMITS,
  ) {
    this.seen = new DedupeWindow(dedupeCapacity);
  }

  /**
   * Applies a validated payload received at `receivedAt`.
   * @throws PayloadRefused (`device-limit`, `task-limit`) when the payload would grow the view past its limits
   */
  apply(
    p: DevicePayload,
    receivedAt: number,
    topic = p.device,
    auth?: { verified: boolean; state?: Record<string, unknown> },
  ): ViewChange {
    if (!this.devices.has(p.device) && this.devices.size >= this.limits.maxDevices) {
      throw new PayloadRefused(
        'device-limit',
        `already tracking ${this.limits.maxDevices} devices; device ${JSON.stringify(p.device)} is not tracked`,
        topic,
      );
    }
    if (p.type === 'result') {
      const known = this.devices.get(p.device);
      if (known && !(p.task in known.results) && Object.keys(known.results).length >= this.limits.maxTasksPerDevice) {
        throw new PayloadRefused(
          'task-limit',
          `device ${p.device} already reported ${this.limits.maxTasksPerDevice} tasks; task ${JSON.stringify(p.task)} is not counted`,
          topic,
        );
      }
    }
    const d = this.device(p.device);
    d.lastSeen = Math.max(d.lastSeen, receivedAt);
    switch (p.type) {
      case 'result': {
        if (this.seen.check(`${p.device}\u0000${p.id}`)) {
          d.duplicates++;
          return { kind: 'result', duplicate: true };
        }
        d.results[p.task] = (d.results[p.task] ?? 0) + 1;
        if (p.modelVersion !== undefined) d.modelVersion = p.modelVersion;
        return { kind: 'result', duplicate: false };
      }
      case 'birth':
        this.birth(d, p);
        return { kind: 'birth' };
      case 'death':
        return { kind: 'death', stale: this.death(d, p) };
      case 'state':
        if (auth && !auth.verified) {
          this.unverifiedMessage('state');
          // A forgery never replaces what the device itself signed.
          if (!d.latestState?.verified) d.latestState = { ts: p.ts, state: (p as StatePayload).state, verified: false };
          return { kind: 'state' };
        }
        // A replayed older signed state does not replace a newer one.
        if (auth && d.latestState?.verified && p.ts < d.latestState.ts) return { kind: 'state' };
        d.latestState = {
          ts: p.ts,
          state: auth?.state ?? (p as StatePayload).state,
          ...(auth ? { verified: true } : {}),
        };
        if (auth) d.verified = true;
        return { kind: 'state' };
      case 'metrics':
        if (!d.latestMetrics || d.latestMetrics.ts <= p.ts)
          d.latestMetrics = { ts: p.ts, metrics: p.metrics, outbox: p.outbox };
        return { kind: 'metrics' };
    }
  }

  /** Counts a message that could not be parsed. */
  malformed(): void {
    this.malformedCount++;
  }

  /** Counts a message that did not verify against the trust file. */
  unverifiedMessage(kind: UnverifiedKind): void {
    this.unverifiedCounts[kind] = (this.unverifiedCounts[kind] ?? 0) + 1;
  }

  /**
   * True when a birth of `device` with `ts` and `bdSeq` is older than its current birth on both
   * counts: an earlier time and a bdSeq no higher. A restart moves at least one of them forward (a
   * persisted bdSeq, or the clock), so only a copy of an old birth is older on both.
   */
  olderBirth(device: string, ts: number, bdSeq: number): boolean {
    const d = this.devices.get(device);
    return d?.birthTs !== undefined && d.bdSeq !== undefined && ts < d.birthTs && bdSeq <= d.bdSeq;
  }

  /** Counts a message refused by a limit. */
  refused(reason: RefusalReason): void {
    this.refusedCounts[reason] = (this.refusedCounts[reason] ?? 0) + 1;
  }

  /** A copy of the current picture. */
  summary(): FleetSummary {
    const devices = [...this.devices.values()]
      .map((d) => structuredClone(d))
      .sort((a, b) => a.device.localeCompare(b.device));
    return {
      fleet: this.fleet,
      devices,
      totals: {
        devices: devices.length,
        online: devices.filter((d) => d.online === true).length,
        results: devices.reduce((n, d) => n + Object.values(d.results).reduce((a, b) => a + b, 0), 0),
        duplicates: devices.reduce((n, d) => n + d.duplicates, 0),
        malformed: this.malformedCount,
        refused: { ...this.refusedCounts },
        unverified: Object.values(this.unverifiedCounts).reduce((a, b) => a + b, 0),
        unverifiedByKind: { ...this.unverifiedCounts },
      },
    };
  }

  private device(id: string): DeviceSummary {
    let d = this.devices.get(id);
    if (!d) {
      d = { device: id, staleDeaths: 0, lastSeen: 0, results: {}, duplicates: 0 };
      this.devices.set(id, d);
    }
    return d;
  }

  private birth(d: DeviceSummary, p: BirthPayload): void {
    d.bdSeq = p.bdSeq;
    d.birthTs = p.ts;
    // A death of this very connection may have arrived first (both are retained), or the birth is
    // a retained copy delivered again after its death.
    d.online = !(this.deaths.get(d.device) ?? []).includes(p.bdSeq);
    d.protocolVersion = p.protocolVersion;
    d.encoding = p.encoding;
    if (p.modelVersion !== undefined) d.modelVersion = p.modelVersion;
  }

  /** Returns true when the death is stale. */
  private death(d: DeviceSummary, p: DeathPayload): boolean {
    const recent = this.deaths.get(d.device) ?? [];
    if (!recent.includes(p.bdSeq)) recent.push(p.bdSeq);
    this.deaths.set(d.device, recent.slice(-16));
    if (d.bdSeq === undefined || d.bdSeq === p.bdSeq) {
      d.lastDeath = { bdSeq: p.bdSeq, ts: p.ts, graceful: p.graceful };
      d.online = false;
      return false;
    }
    d.staleDeaths++;
    return true;
  }
}
