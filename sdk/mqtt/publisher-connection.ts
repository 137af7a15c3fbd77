/**
 * The connection loop of a publisher: connects (negotiating MQTT 5 or 3.1.1), registers a retained
 * death certificate under a fresh bdSeq as last-will, publishes the retained birth after CONNACK,
 * hands the connection to the {@link Drainer}, and reconnects with jittered exponential backoff
 * until closed. Publishing and draining live beside it (publisher.ts, publisher-drain.ts).
 * @internal
 */
import type { IClientPublishOptions, MqttClient } from 'mqtt';
import { EdgeError, messageOf } from '../core/errors.js';
import type { Clock, ClockTimer } from '../core/clock.js';
import type { BdSeqStore } from './bdseq-store.js';
import { connectNegotiated, type ConnectSpec, type Connected } from './connection.js';
import { outboxReport } from './messages.js';
import type { ProtocolChoice } from './broker-options.js';
import type { ResolvedPublisherOptions } from './options.js';
import type { Outbox } from './outbox/outbox.js';
import type { Drainer } from './publisher-drain.js';
import { birthPayload, deathPayload, encodeMessage, messageProperties } from './publisher-messages.js';
import { mqttLog as log } from './log.js';
import { AttemptWaiters } from './attempt-waiters.js';

/** Where the connection stands. */
export type ConnectionState = 'connecting' | 'online' | 'offline' | 'closed';

/** What the loop tells its owner. */
export interface ConnectionHooks {
  /** A connection is up and its birth certificate was acknowledged. */
  connected(conn: Connected, bdSeq: number): void;
  /** The broker became unreachable (once per outage). */
  offline(error?: EdgeError): void;
  /** A connection attempt failed for a reason other than an unreachable broker. */
  error(err: EdgeError): void;
}

/** @internal */
export class ConnectionLoop {
  private stateNow: ConnectionState = 'connecting';
  private protocol: ProtocolChoice;
  private conn: Connected | undefined;
  private bdSeqNow: number | undefined;
  private closing = false;
  private sleeper: { timer: ClockTimer; wake: () => void } | undefined;
  private loop: Promise<void> = Promise.resolve();
  private readonly stop = new AbortController();
  private readonly attempt: AttemptWaiters;

  constructor(
    private readonly o: ResolvedPublisherOptions,
    private readonly outbox: Outbox,
    private readonly bdSeqs: BdSeqStore,
    private readonly drainer: Drainer,
    private readonly clock: Clock,
    private readonly hooks: ConnectionHooks,
  ) {
    this.protocol = o.protocol;
    this.attempt = new AttemptWaiters(clock);
  }

  get state(): ConnectionState {
    return this.stateNow;
  }

  /** The live connection, once its birth was acknowledged. */
  get connection(): Connected | undefined {
    return this.conn;
  }

  /** The bdSeq of the latest connection attempt. */
  get bdSeq(): number | undefined {
    return this.bdSeqNow;
  }

  /**
   * Resolves once the attempt in flight is online or has ended (at once when none is in flight), or
   * after `ms` on the clock: close() lets a connection that is being made come up and drain.
   */
  settled(ms: number): Promise<void> {
    return this.stateNow !== 'connecting' || this.conn || ms <= 0 ? Promise.resolve() : this.attempt.wait(ms);
  }

  /** Starts connecting in the background. */
  start(): void {
    this.loop = this.run();
  }

  /** No more attempts after the current one; the live connection stays up until {@link close}. */
  beginClose(): void {
    this.closing = true;
  }

  /**
   * Publishes a graceful death on the live connection, disconnects and waits for the loop to end.
   */
  async close(): Promise<void> {
    this.closing = true;
    const conn = this.conn;
    if (conn && this.bdSeqNow !== undefined) {
      const topic = this.o.topics.death(this.o.fleet, this.o.device);
      const death = encodeMessage(this.o, topic, deathPayload(this.o, this.bdSeqNow, this.clock.now(), true), 'death');
      await socketBound(publishOn(this.o, conn, topic, death, 1, true, null));
    }
    this.stateNow = 'closed';
    this.stop.abort();
    this.sleeper?.wake();
    this.drainer.detach();
    if (conn) {
      // A half-dead socket would make DISCONNECT wait for the keepalive timeout; the will covers it.
      if (!(await socketBound(conn.client.endAsync()))) conn.client.end(true);
    }
    this.conn = undefined;
    await this.loop;
  }

  private async connectSpec(protocolVersion: 4 | 5): Promise<ConnectSpec> {
    // A new bdSeq per attempt, persisted before CONNECT: the will and the birth of this connection share it.
    const bdSeq = await this.bdSeqs.next();
    this.bdSeqNow = bdSeq;
    // The will is signed now, at CONNECT: the broker publishes these very bytes if the connection dies.
    const deathTopic = this.o.topics.death(this.o.fleet, this.o.device);
    const payload = encodeMessage(this.o, deathTopic, deathPayload(this.o, bdSeq, this.clock.now(), false), 'death');
    return {
      url: this.o.url,
      clientId: this.o.clientId,
      ...(this.o.username !== undefined ? { username: this.o.username } : {}),
      ...(this.o.password !== undefined ? { password: this.o.password } : {}),
      ...(this.o.tls ? { tls: this.o.tls } : {}),
      keepaliveSeconds: this.o.keepaliveSeconds,
      connectTimeoutMs: this.o.connectTimeoutMs,
      clean: true,
      reconnectPeriod: 0,
      will: {
        topic: deathTopic,
        payload,
        qos: 1,
        retain: true,
        ...(protocolVersion === 5
          ? { properties: { contentType: messageProperties(this.o.encoding, null).contentType! } }
          : {}),
      },
    };
  }

  private async run(): Promise<void> {
    let delay = this.o.reconnect.minDelayMs;
    while (!this.closing) {
      try {
        const conn = await connectNegotiated(this.protocol, (v) => this.connectSpec(v), this.stop.signal);
        // After beginClose() the attempt in flight may still come up (close() drains it); not after close().
        if (this.stop.signal.aborted) {
          conn.client.end(true);
          break;
        }
        // A broker that refused 5 will refuse it on the next attempt too.
        if (this.protocol === 'auto' && conn.protocolVersion === 4) this.protocol = 4;
        const stayed = await this.online(conn);
        if (stayed) delay = this.o.reconnect.minDelayMs;
      } catch (err) {
        const e = err instanceof EdgeError ? err : new EdgeError('E_MQTT_OFFLINE', messageOf(err), { cause: err });
        this.attempt.settle();
        if (this.closing) break;
        if (e.code !== 'E_MQTT_OFFLINE') this.hooks.error(e);
        this.goOffline(e);
      }
      if (this.closing) break;
      await this.sleep(Math.round(delay * (0.8 + 0.4 * Math.random())));
      delay = Math.min(delay * 2, this.o.reconnect.maxDelayMs);
    }
  }

  /** Waits `ms` on the clock, or until {@link close} wakes it. */
  private sleep(ms: number): Promise<void> {
    log('connectLoop :: retrying in %d ms', ms);
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        this.clock.clearTimeout(timer);
        this.sleeper = undefined;
        resolve();
      };
      const timer = this.clock.setTimeout(wake, ms);
      this.sleeper = { timer, wake };
    });
  }

  /** Runs one connection until it closes. Returns true when it got as far as the birth. */
  private async online(conn: Connected): Promise<boolean> {
    const closed = new Promise<void>((resolve) =>
      conn.client.once('close', () => {
        // end(true) fails the callbacks of unacknowledged publishes ("Connection closed"), so
        // nothing waits forever on a dead connection; their entries stay in the outbox.
        conn.client.end(true);
        resolve();
      }),
    );
    conn.client.on('error', (err) => log('online :: client error: %s', err.message));
    // close() ends the online connection itself (graceful death, DISCONNECT). One whose birth is not
    // acknowledged yet it does not know: that one must end here, or this loop would wait for its
    // 'close' forever, and close() with it. Forced, so the broker publishes the will (the death).
    const endOnStop = (): void => {
      if (this.conn !== conn) conn.client.end(true);
    };
    this.stop.signal.addEventListener('abort', endOnStop, { once: true });
    try {
      return await this.serve(conn, closed);
    } finally {
      this.stop.signal.removeEventListener('abort', endOnStop);
    }
  }

  /** Publishes the birth, goes online and hands the connection to the drainer until `closed`. */
  private async serve(conn: Connected, closed: Promise<void>): Promise<boolean> {
    let born = false;
    try {
      const birth = birthPayload(
        this.o,
        this.bdSeqNow!,
        this.clock.now(),
        conn.protocolVersion,
        outboxReport(this.outbox.kind, this.outbox.stats()),
      );
      const birthTopic = this.o.topics.birth(this.o.fleet, this.o.device);
      await publishOn(this.o, conn, birthTopic, encodeMessage(this.o, birthTopic, birth, 'birth'), 1, true, null);
      // Stopped while the birth was on its way: this connection is ending, it never goes online.
      if (this.stop.signal.aborted)
        throw new EdgeError('E_CLOSED', 'the publisher closed before its birth was acknowledged');
      born = true;
      this.conn = conn;
      this.stateNow = 'online';
      this.hooks.connected(conn, this.bdSeqNow!);
      this.attempt.settle();
      const receiveMaximum = conn.connack.properties?.receiveMaximum;
      await this.drainer.attach(
        conn.client,
        conn.protocolVersion,
        Math.min(this.o.maxInflight, receiveMaximum ?? Infinity),
      );
    } catch (err) {
      log('online :: connection failed during setup: %s', messageOf(err));
      conn.client.end(true);
    }
    this.attempt.settle();
    await closed;
    this.drainer.detach();
    if (this.conn === conn) this.conn = undefined;
    conn.client.end(true);
    if (!this.closing) this.goOffline();
    return born;
  }

  private goOffline(error?: EdgeError): void {
    if (this.stateNow === 'offline' || this.stateNow === 'closed') return;
    this.stateNow = 'offline';
    this.hooks.offline(error);
  }
}

/** Publishes one message on `conn`, with MQTT 5 properties when the connection speaks 5. */
export async function publishOn(
  o: ResolvedPublisherOptions,
  conn: Connected,
  topic: string,
  payload: Buffer,
  qos: 0 | 1 | 2,
  retain: boolean,
  expiry: number | null,
): Promise<void> {
  const opts: IClientPublishOptions = { qos, retain };
  if (conn.protocolVersion === 5) {
    const p = messageProperties(o.encoding, expiry, { modelVersion: o.modelVersion });
    opts.properties = {
      contentType: p.contentType!,
      ...(p.messageExpiryInterval ? { messageExpiryInterval: p.messageExpiryInterval } : {}),
      ...(p.userProperties ? { userProperties: p.userProperties } : {}),
    };
  }
  await (conn.client as MqttClient).publishAsync(topic, payload, opts);
}

/**
 * Waits for a socket operation at most 2 s of real time (not the injected clock: this guards I/O,
 * not application time). Resolves true when it completed.
 */
export function socketBound(op: Promise<unknown>): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 2000);
    timer.unref();
    op.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}
