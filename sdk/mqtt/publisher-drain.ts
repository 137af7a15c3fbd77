/**
 * Moves outbox entries onto one live connection, oldest first, keeping at most `window` awaiting
 * PUBACK, and removes each from the outbox when its PUBACK arrives. A new connection starts again
 * from the oldest unacknowledged entry: anything sent but not acknowledged before a disconnect is
 * sent again (at-least-once; the result id lets consumers drop the copy).
 * @internal
 */
import type { MqttClient } from 'mqtt';
import { EdgeError, messageOf } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Outbox, OutboxEntry } from './outbox/outbox.js';
import { mqttLog as log } from './log.js';

/** What the drainer tells its owner. */
export interface DrainerHooks {
  /** Entries removed without delivery (expired before sending, or refused by the broker). */
  discarded(seqs: number[], reason: 'expired' | 'rejected'): void;
  error(err: EdgeError): void;
  /** The outbox became empty. */
  idle(): void;
}

interface Session {
  client: MqttClient;
  protocolVersion: 4 | 5;
  window: number;
  /** Highest seq handed to the client in this session. */
  cursor: number;
  inflight: number;
}

// PUBACK reason codes after which sending again can succeed.
const RETRYABLE = new Set([0x97 /* quota exceeded */, 0x89 /* server busy */]);

/** @internal */
export class Drainer {
  private session: Session | undefined;
  private pumping = false;
  private again = false;
  private acks: number[] = [];
  private ackTimer = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly hooks: DrainerHooks,
  ) {}

  /** Starts sending on `client`, from the oldest entry not yet acknowledged. */
  async attach(client: MqttClient, protocolVersion: 4 | 5, window: number): Promise<void> {
    // Acks of the previous connection first, or their entries would be sent again.
    await this.flushAcks();
    this.session = { client, protocolVersion, window, cursor: 0, inflight: 0 };
    this.kick();
  }

  /** True when nothing is pending or awaiting PUBACK. */
  get idle(): boolean {
    return this.outbox.stats().pending === 0 && (this.session?.inflight ?? 0) === 0;
  }

  /** Stops; late PUBACKs of this session are ignored (their entries are sent again next time). */
  detach(): void {
    this.session = undefined;
  }

  /** Something was appended. */
  kick(): void {
    const s = this.session;
    if (s) void this.pump(s);
  }

  /** Writes buffered acks to the outbox now. */
  async flushAcks(): Promise<void> {
    const seqs = this.acks;
    this.acks = [];
    if (seqs.length) await this.outbox.ack(seqs);
  }

  private async pump(s: Session): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        while (this.session === s && s.inflight < s.window) {
          const entries = await this.outbox.read(s.cursor, s.window - s.inflight);
          if (this.session !== s || entries.length === 0) break;
          const expired: number[] = [];
          for (const e of entries) {
            s.cursor = e.seq;
            if (this.remainingExpiry(e) === 0) expired.push(e.seq);
            else this.send(s, e);
          }
          if (expired.length) {
            await this.outbox.discard(expired, 'expired');
            this.hooks.discarded(expired, 'expired');
          }
        }
      } while (this.again && this.session === s);
    } catch (err) {
      this.hooks.error(
        err instanceof EdgeError
          ? err
          : new EdgeError('E_OUTBOX', `reading the outbox failed: ${messageOf(err)}`, { cause: err }),
      );
    } finally {
      this.pumping = false;
    }
    if (this.session === s && s.inflight === 0 && this.outbox.stats().pending === 0) this.hooks.idle();
  }

  /** Seconds of validity left (MQTT 5 expiry counts from the broker's receipt, so send the rest); 0 = expired. */
  private remainingExpiry(e: OutboxEntry): number | undefined {
    const total = e.properties?.messageExpiryInterval;
    if (total === undefined) return undefined;
    const left = total - Math.floor((this.clock.now() - e.createdAt) / 1000);
    return left > 0 ? left : 0;
  }

  private send(s: Session, e: OutboxEntry): void {
    s.inflight++;
    const payload = Buffer.from(e.payload.buffer, e.payload.byteOffset, e.payload.byteLength);
    let properties: Record<string, unknown> | undefined;
    if (s.protocolVersion === 5 && e.properties) {
      const left = this.remainingExpiry(e);
      properties = { ...e.properties, ...(left !== undefined ? { messageExpiryInterval: left } : {}) };
    }
    s.client.publish(
      e.topic,
      payload,
      { qos: e.qos, retain: e.retain, ...(properties ? { properties } : {}) },
      (err) => {
        if (this.session !== s) return;
        s.inflight--;
        if (!err) {
          this.ack(e.seq);
        } else {
          const code = (err as Error & { code?: unknown }).code;
          if (typeof code === 'number' && code >= 0x80 && !RETRYABLE.has(code)) {
            // The broker received it and said no (not authorized, topic invalid, payload too large...):
            // sending it again would fail the same way.
            void this.outbox.discard([e.seq], 'rejected').then(
              () => this.hooks.discarded([e.seq], 'rejected'),
              (ioErr: unknown) => this.hooks.error(ioErr as EdgeError),
            );
            this.hooks.error(
              new EdgeError(
                'E_MQTT_PROTOCOL',
                `broker refused ${e.topic} (reason 0x${code.toString(16)}): ${err.message}`,
                { field: e.topic, cause: err },
              ),
            );
          } else {
            // Connection trouble: the entry stays in the outbox and goes out on the next connection.
            log('Drainer.send :: seq %d not acknowledged: %s', e.seq, err.message);
            return;
          }
        }
        void this.pump(s);
      },
    );
  }

  private ack(seq: number): void {
    this.acks.push(seq);
    if (this.ackTimer) return;
    this.ackTimer = true;
    // One ACK record per tick instead of one per PUBACK.
    setImmediate(() => {
      this.ackTimer = false;
      const written = this.flushAcks();
      // Outboxes remove acknowledged entries before their ack record is written (a lost ack record
      // only means a duplicate later), so "empty" is known now.
      const s = this.session;
      if (s && s.inflight === 0 && this.outbox.stats().pending === 0) this.hooks.idle();
      written.catch((err: unknown) =>
        this.hooks.error(
          err instanceof EdgeError
            ? err
            : new EdgeError('E_OUTBOX', `recording acknowledgements failed: ${messageOf(err)}`, { cause: err }),
        ),
      );
    });
  }
}
