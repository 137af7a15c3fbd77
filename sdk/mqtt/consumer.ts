/**
 * The ground-station side: subscribes to one fleet, drops duplicate results by id, keeps a
 * {@link FleetView} of every device and emits typed events. With `group`, results come through an
 * MQTT 5 shared subscription (`$share/<group>/...`), so several consumers split one fleet's stream.
 */
import type { IPublishPacket, ISubscriptionGrant, MqttClient } from 'mqtt';
import { EdgeError } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import { decodePayload, type Encoding } from './codec.js';
import { connectNegotiated } from './connection.js';
import { resolveConsumerOptions, type FleetConsumerOptions, type ResolvedConsumerOptions } from './consumer-options.js';
import { FleetView, type FleetSummary } from './fleet-view.js';
import {
  parsePayload,
  type BirthPayload,
  type DeathPayload,
  type MetricsPayload,
  type ResultPayload,
  type StatePayload,
} from './messages.js';
import { checkJsonDepth, checkPayloadShape, PayloadRefused } from '../core/json-limits.js';
import { verifyState } from './state-auth.js';
import { checkReceived, type SignedMessageKind } from './message-auth.js';
import { TOPIC_KINDS } from './topics.js';
import { TypedEmitter } from '../core/typed-emitter.js';
import { mqttLog as log } from './log.js';

/** A result as delivered to the application. */
export interface ReceivedResult extends ResultPayload {
  topic: string;
  /** Consumer clock, epoch ms. */
  receivedAt: number;
  encoding: Encoding;
  /** MQTT 5 user properties, when the broker speaks 5. */
  userProperties?: Record<string, string | string[]>;
  /** With a trust file: the id of the device key that signed it (every result delivered then is verified). */
  keyId?: string;
}

/** A result, birth or death that did not verify against the trust file (never applied). */
export interface UnverifiedMessage {
  kind: SignedMessageKind;
  device: string;
  topic: string;
  /** Why: unsigned, an untrusted key, another device's key, tampered or replayed bytes, an older birth. */
  reason: string;
}

/** Events of a {@link FleetConsumer}. */
export interface ConsumerEvents {
  /** A result not seen before. */
  result: (result: ReceivedResult) => void;
  /** A result whose id was already seen for that device (dropped; for monitoring). */
  duplicate: (result: ReceivedResult) => void;
  birth: (birth: BirthPayload) => void;
  /** `stale` when the death's bdSeq is not the current birth's (ignored for liveness). */
  death: (death: DeathPayload, info: { stale: boolean }) => void;
  state: (state: StatePayload) => void;
  metrics: (metrics: MetricsPayload) => void;
  /** With a trust file: a result, birth or death that did not verify (counted apart, not applied). */
  unverified: (message: UnverifiedMessage) => void;
  /**
   * A message under the fleet's topics that is not a valid payload, or that a limit refused
   * (E_MQTT_PAYLOAD; refusals are `PayloadRefused` with their `reason`, counted in the summary).
   */
  malformed: (err: EdgeError) => void;
  connected: (info: { protocolVersion: 4 | 5; sessionPresent: boolean }) => void;
  offline: () => void;
  error: (err: EdgeError) => void;
}

/**
 * Subscribes to a fleet.
 * @example
 * const consumer = await FleetConsumer.create({ url: 'mqtt://broker:1883', fleet: 'north', group: 'gs' });
 * consumer.on('result', (r) => console.log(r.device, r.task, r.result));
 * // ...
 * const summary = await consumer.close();
 */
export class FleetConsumer extends TypedEmitter<ConsumerEvents> {
  private readonly view: FleetView;
  private readonly clock: Clock;
  private online = true;
  private closing: Promise<FleetSummary> | undefined;
  /** Messages that arrived before the caller could attach listeners (retained ones come with SUBACK). */
  private held: [string, Buffer, IPublishPacket][] | undefined = [];

  private constructor(
    private readonly o: ResolvedConsumerOptions,
    private readonly client: MqttClient,
    /** The MQTT version in use. */
    readonly protocolVersion: 4 | 5,
  ) {
    super();
    this.view = new FleetView(o.fleet, o.dedupeCapacity, o.limits);
    this.clock = o.clock ?? systemClock;
  }

  /**
   * Connects and subscribes; resolves once every subscription is granted. Events start on the next
   * turn of the event loop, so listeners attached right after `await create()` miss nothing
   * (retained births, deaths and state arrive with the subscription).
   * @throws EdgeError E_INVALID_ARGUMENT (options), E_MQTT_OFFLINE (broker unreachable),
   *   E_MQTT_PROTOCOL (connection or a subscription refused; shared subscriptions on a 3.1.1-only broker)
   */
  static async create(options: FleetConsumerOptions): Promise<FleetConsumer> {
    const o = resolveConsumerOptions(options);
    const { client, protocolVersion, connack } = await connectNegotiated(o.protocol, async () => ({
      url: o.url,
      clientId: o.clientId,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.tls ? { tls: o.tls } : {}),
      keepaliveSeconds: o.keepaliveSeconds,
      connectTimeoutMs: o.connectTimeoutMs,
      clean: o.sessionExpirySeconds === 0,
      sessionExpirySeconds: o.sessionExpirySeconds,
      reconnectPeriod: o.reconnectDelayMs,
    }));
    if (o.group !== undefined && protocolVersion !== 5) {
      client.end(true);
      throw new EdgeError(
        'E_MQTT_PROTOCOL',
        `shared subscriptions need MQTT 5, but the broker at ${o.url} speaks only 3.1.1`,
        {
          field: 'options.group',
          hint: 'use a broker with MQTT 5 (Mosquitto 2, EMQX, HiveMQ, VerneMQ) or drop --group',
        },
      );
    }
    const consumer = new FleetConsumer(o, client, protocolVersion);
    client.on('message', (topic, payload, packet) => {
      if (consumer.held) consumer.held.push([topic, payload, packet]);
      else consumer.onMessage(topic, payload, packet);
    });
    try {
      await consumer.subscribe();
    } catch (err) {
      client.end(true);
      throw err;
    }
    client.on('connect', (ack) => {
      consumer.online = true;
      consumer.emit('connected', { protocolVersion, sessionPresent: ack.sessionPresent });
    });
    client.on('close', () => {
      if (!consumer.online || consumer.closing) return;
      consumer.online = false;
      consumer.emit('offline');
    });
    client.on('error', (err) => log('FleetConsumer :: client error: %s', err.message));
    // Listeners attached right after `await create()` see everything, retained messages included.
    setImmediate(() => {
      consumer.emit('connected', { protocolVersion, sessionPresent: connack.sessionPresent });
      const held = consumer.held ?? [];
      consumer.held = undefined;
      for (const [topic, payload, packet] of held) consumer.onMessage(topic, payload, packet);
    });
    return consumer;
  }

  /** The subscription filters in use. */
  get filters(): string[] {
    const { topics, fleet, group } = this.o;
    return TOPIC_KINDS.map((kind) => topics.fleetFilter(fleet, kind, kind === 'results' ? group : undefined));
  }

  /** The fleet as seen so far. */
  summary(): FleetSummary {
    return this.view.summary();
  }

  /** Disconnects (ending a persistent session only when it expires) and returns the final summary. Idempotent. */
  close(): Promise<FleetSummary> {
    this.closing ??= this.client
      .endAsync()
      .catch(() => this.client.end(true))
      .then(() => this.view.summary());
    return this.closing;
  }

  private async subscribe(): Promise<void> {
    const map = Object.fromEntries(this.filters.map((f) => [f, { qos: this.o.qos }]));
    let grants: ISubscriptionGrant[];
    try {
      grants = await this.client.subscribeAsync(map);
    } catch (err) {
      throw new EdgeError(
        'E_MQTT_PROTOCOL',
        `subscribing to ${this.filters.join(', ')} failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
    for (const g of grants) {
      const code = g.qos as number;
      if (code >= 0x80) {
        const why =
          code === 0x9e
            ? 'the broker does not support shared subscriptions'
            : code === 0x87
              ? 'not authorized'
              : `reason 0x${code.toString(16)}`;
        throw new EdgeError('E_MQTT_PROTOCOL', `subscription to ${g.topic} refused: ${why}`, { field: g.topic });
      }
    }
  }

  /** Counts and reports a message that did not verify. */
  private refuse(kind: UnverifiedMessage['kind'], device: string, topic: string, reason: string): void {
    this.view.unverifiedMessage(kind);
    log('onMessage :: unverified %s on %s: %s', kind, topic, reason);
    this.emit('unverified', { kind, device, topic, reason });
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    // An empty retained message is how an operator clears a retained birth, death or state.
    if (payload.length === 0) return;
    const receivedAt = this.clock.now();
    const where = this.o.topics.parse(topic);
    try {
      if (!where || where.fleet !== this.o.fleet)
        throw new EdgeError('E_MQTT_PAYLOAD', 'topic is not a device topic of this fleet', { file: topic });
      const limits = this.o.limits;
      if (payload.length > limits.maxPayloadBytes)
        throw new PayloadRefused(
          'oversized',
          `payload is ${payload.length} bytes, over the ${limits.maxPayloadBytes}-byte limit`,
          topic,
        );
      if ((where.kind === 'state' || where.kind === 'metrics') && payload.length > limits.maxStateBytes) {
        throw new PayloadRefused(
          'state-oversized',
          `${where.kind} payload is ${payload.length} bytes, over the ${limits.maxStateBytes}-byte limit kept per device`,
          topic,
        );
      }
      if (payload[0] === 0x7b) checkJsonDepth(payload, limits.maxDepth, topic);
      const { encoding, value } = decodePayload(payload, packet.properties?.contentType, topic);
      checkPayloadShape(value, limits, topic);
      const check = checkReceived(where, topic, payload, encoding, value, this.o.trust);
      if (check.verified === false) return this.refuse(check.kind, where.device, topic, check.reason);
      const keyId = check.verified ? check.keyId : undefined;
      const p = parsePayload(topic, where, value);
      if (p.type === 'birth' && keyId !== undefined && this.view.olderBirth(p.device, p.ts, p.bdSeq))
        return this.refuse('birth', p.device, topic, `replayed: older than the current birth of ${p.device}`);
      let auth: { verified: boolean; state?: Record<string, unknown> } | undefined;
      if (p.type === 'state' && this.o.trust) {
        const check = verifyState(p, this.o.trust);
        auth = check.verified ? { verified: true, state: check.state } : { verified: false };
        if (!check.verified) log('onMessage :: unverified state on %s: %s', topic, check.reason);
      }
      const change = this.view.apply(p, receivedAt, topic, auth);
      switch (change.kind) {
        case 'result': {
          const users = packet.properties?.userProperties;
          const r: ReceivedResult = {
            ...(p as ResultPayload),
            topic,
            receivedAt,
            encoding,
            ...(users ? { userProperties: { ...users } } : {}),
            ...(keyId !== undefined ? { keyId } : {}),
          };
          this.emit(change.duplicate ? 'duplicate' : 'result', r);
          return;
        }
        case 'birth':
          this.emit('birth', p as BirthPayload);
          return;
        case 'death':
          this.emit('death', p as DeathPayload, { stale: change.stale });
          return;
        case 'state':
          this.emit('state', p as StatePayload);
          return;
        case 'metrics':
          this.emit('metrics', p as MetricsPayload);
      }
    } catch (err) {
      if (!(err instanceof EdgeError)) throw err;
      if (err instanceof PayloadRefused) this.view.refused(err.reason);
      else this.view.malformed();
      log('onMessage :: malformed message on %s: %s', topic, err.message);
      this.emit('malformed', err);
    }
  }
}
