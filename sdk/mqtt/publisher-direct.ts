/**
 * State and metrics of a publisher: messages that bypass the outbox. They go out on the live
 * connection when there is one, with a bounded wait; while offline only the latest state and the
 * latest metrics sample are kept, and sent once the next connection is up (metrics only while
 * younger than their expiry).
 * @internal
 */
import type { Clock } from '../core/clock.js';
import { encodePayload } from './codec.js';
import type { Connected } from './connection.js';
import { outboxReport, type MetricValue } from './messages.js';
import type { MessageClass } from './message-policy.js';
import type { ResolvedPublisherOptions } from './options.js';
import type { Outbox } from './outbox/outbox.js';
import { publishOn, socketBound } from './publisher-connection.js';
import { metricsPayload, statePayload } from './publisher-messages.js';
import { mqttLog as log } from './log.js';

/** @internal */
export class DirectSender {
  private latestState: Record<string, unknown> | undefined;
  private pendingMetrics: { ts: number; metrics: Record<string, MetricValue> } | undefined;

  constructor(
    private readonly o: ResolvedPublisherOptions,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    /** The live connection, if any. */
    private readonly connection: () => Connected | undefined,
  ) {}

  /** Sends `state` (retained) and keeps it as the latest. Resolves whether the broker has it now. */
  async sendState(state: Record<string, unknown>): Promise<boolean> {
    const bytes = encodePayload(this.o.encoding, statePayload(this.o, this.clock.now(), state), 'state');
    this.latestState = state;
    return this.sendDirect('state', this.o.topics.state(this.o.fleet, this.o.device), bytes, true);
  }

  /** Sends a metrics sample; keeps it for the next connection when it did not go out now. */
  async sendMetrics(metrics: Record<string, MetricValue>): Promise<boolean> {
    const ts = this.clock.now();
    const delivered = await this.metricsAt(ts, metrics);
    this.pendingMetrics = delivered ? undefined : { ts, metrics };
    return delivered;
  }

  /** A connection is up: sends the latest state again and the metrics sample kept while offline. */
  resend(): void {
    if (this.latestState) {
      const bytes = encodePayload(this.o.encoding, statePayload(this.o, this.clock.now(), this.latestState), 'state');
      void this.sendDirect('state', this.o.topics.state(this.o.fleet, this.o.device), bytes, true);
    }
    const m = this.pendingMetrics;
    const expiry = this.o.expirySeconds.metrics;
    if (m && (expiry === null || this.clock.now() - m.ts < expiry * 1000)) {
      void this.metricsAt(m.ts, m.metrics).then((ok) => {
        if (ok && this.pendingMetrics === m) this.pendingMetrics = undefined;
      });
    }
  }

  private async metricsAt(ts: number, metrics: Record<string, MetricValue>): Promise<boolean> {
    const payload = metricsPayload(this.o, ts, metrics, outboxReport(this.outbox.kind, this.outbox.stats()));
    return this.sendDirect(
      'metrics',
      this.o.topics.metrics(this.o.fleet, this.o.device),
      encodePayload(this.o.encoding, payload, 'metrics'),
      false,
    );
  }

  /** Publishes a non-outbox message on the current connection; false when offline or it failed. */
  private async sendDirect(cls: MessageClass, topic: string, payload: Buffer, retain: boolean): Promise<boolean> {
    const conn = this.connection();
    if (!conn) return false;
    // Bounded: a broker that stops acknowledging must not hold up the caller (close() sends the
    // stopped state this way); the message may still go out later, it is just not confirmed now.
    const delivered = await socketBound(
      publishOn(this.o, conn, topic, payload, this.o.qos[cls], retain, this.o.expirySeconds[cls]),
    );
    if (!delivered) log('sendDirect :: %s not confirmed within the socket bound', topic);
    return delivered;
  }
}
