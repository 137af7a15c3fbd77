/**
 * The agent's MQTT side: receives desired states (fleet-wide and for this device, both retained;
 * also fetched over HTTP from provisioned publisher URLs when the broker's copy does not verify),
 * publishes every report retained on the device's OTA state topic (again after each reconnect),
 * and offers blob chunks over MQTT as a source when a desired state says the publisher serves
 * them. mqtt.js reconnects on its own; a desired state that arrives again after a reconnect is
 * recognised by its seq and ignored.
 */
import type { KeyObject } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { EdgeError, messageOf } from '../../core/errors.js';
import { is, invalidOption } from '../../core/validate.js';
import { systemClock, type Clock, type ClockTimer } from '../../core/clock.js';
import type { OtaAgent } from '../agent/agent.js';
import type { UpdateRequest } from '../agent/agent-record.js';
import { MqttBlobSource, type MqttBlobSourceOptions } from '../sources/blob-source-mqtt.js';
import { fetchDesiredMessages } from './desired-http.js';
import { encodeReport } from './device-report.js';
import type { BlobSource } from '../sources/blob-source.js';
import { waitConnected } from './mqtt-connect.js';
import { expectOtaSegment, OtaTopics } from './topics.js';

/** Options of {@link OtaMqttLink.connect}. */
export interface OtaMqttLinkOptions {
  /** Broker URL (`mqtt://`, `mqtts://`, `ws://`, `wss://`). */
  url: string;
  fleet: string;
  device: string;
  /** Topic prefix (default `ringmoe`). */
  prefix?: string;
  /** Further mqtt.js options (credentials, TLS, keepalive). */
  mqtt?: IClientOptions;
  /** Chunk transfer tuning. */
  chunks?: MqttBlobSourceOptions;
  /** Time to wait for the first connection (default 10000 ms). */
  connectTimeoutMs?: number;
  /**
   * The device's own Ed25519 private key (made at provisioning, trusted for the `device` role in the
   * fleet's trust file): every report is signed with it. Without it reports go out unsigned and
   * operators with a trust file show them as unverified.
   */
  deviceKey?: KeyObject;
  /**
   * Base URLs of publishers' blob servers (provisioned): the desired state is fetched from
   * `<base>/desired/<fleet>[/<device>]` on attach, whenever a desired-state message from the
   * broker does not verify, and every `desiredPollMs`.
   */
  desiredUrls?: string[];
  /** Poll `desiredUrls` this often (default 0: only on attach and after a message that does not verify). */
  desiredPollMs?: number;
  /** What the connect timeout, the poll and chunk answer timeouts run on (default: the system time). */
  clock?: Clock;
}

/** Outcome codes of a desired-state message that is not an authentic desired state. */
const FORGED = new Set(['E_SIGNATURE', 'E_UNTRUSTED_KEY', 'E_BUNDLE_INVALID']);

/**
 * A connected MQTT link for one device.
 * @example
 * const link = await OtaMqttLink.connect({ url: 'mqtt://broker:1883', fleet: 'north', device: 'drone-7' });
 * const agent = await OtaAgent.start({ ..., extraSources: (r) => link.sources(r) });
 * await link.attach(agent);
 */
export class OtaMqttLink {
  readonly topics: OtaTopics;
  private detach: (() => void) | undefined;
  private closed = false;

  private constructor(
    readonly client: MqttClient,
    private readonly o: OtaMqttLinkOptions,
  ) {
    this.topics = new OtaTopics(o.prefix);
  }

  /**
   * Connects.
   * @throws EdgeError E_INVALID_ARGUMENT, E_MQTT_OFFLINE (no connection within the timeout)
   */
  static async connect(o: OtaMqttLinkOptions): Promise<OtaMqttLink> {
    if (!is.object(o as unknown)) throw invalidOption('options', 'an object', o);
    if (!is.nonEmptyString(o.url)) throw invalidOption('options.url', 'a broker URL', o.url);
    expectOtaSegment('options.fleet', o.fleet);
    expectOtaSegment('options.device', o.device);
    if (o.deviceKey !== undefined && (o.deviceKey?.type !== 'private' || o.deviceKey.asymmetricKeyType !== 'ed25519')) {
      throw invalidOption('options.deviceKey', 'an Ed25519 private key', '<key>');
    }
    const client = mqtt.connect(o.url, {
      clientId: `ringmoe-ota-${o.fleet}-${o.device}`.slice(0, 64),
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      ...(o.mqtt ?? {}),
    });
    try {
      await waitConnected(client, o.url, o.connectTimeoutMs ?? 10_000, 'url', o.clock);
    } catch (err) {
      await client.endAsync(true).catch(() => {});
      throw err;
    }
    return new OtaMqttLink(client, o);
  }

  /** MQTT chunk sources for `request` (none unless its desired state offers chunks). */
  async sources(request: UpdateRequest): Promise<BlobSource[]> {
    if (!request.sources.mqtt || this.closed) return [];
    return [
      await MqttBlobSource.create(
        this.client,
        this.topics.chunkRequest(this.o.fleet, this.o.device),
        this.topics.chunk(this.o.fleet, this.o.device),
        { ...(this.o.clock ? { clock: this.o.clock } : {}), ...this.o.chunks },
      ),
    ];
  }

  /**
   * Feeds desired states to `agent` and publishes its reports.
   * @throws EdgeError E_MQTT_OFFLINE when subscribing fails
   */
  async attach(agent: OtaAgent, log: (line: string) => void = () => {}): Promise<void> {
    const desired = new Set([
      this.topics.fleetDesired(this.o.fleet),
      this.topics.deviceDesired(this.o.fleet, this.o.device),
    ]);
    const stateTopic = this.topics.state(this.o.fleet, this.o.device);
    const publish = () => {
      if (this.closed) return;
      this.client.publish(
        stateTopic,
        encodeReport(agent.report(), this.o.deviceKey),
        { qos: 1, retain: true },
        (err) => {
          if (err && !this.closed) log(`state report not sent: ${messageOf(err)}`);
        },
      );
    };
    const urls = this.o.desiredUrls ?? [];
    let pulling: Promise<void> | undefined;
    const pull = (why: string): Promise<void> => {
      if (!urls.length || this.closed) return Promise.resolve();
      pulling ??= (async () => {
        try {
          for (const m of await fetchDesiredMessages(urls, this.o.fleet, this.o.device)) {
            if (this.closed) return;
            const out = await agent.handleDesired(m.bytes);
            log(`desired state from ${m.url} (${why}): ${out.result}${out.code ? ` ${out.code}` : ''}`);
          }
        } catch (err) {
          log(`desired state over HTTP failed: ${messageOf(err)}`);
        } finally {
          pulling = undefined;
        }
      })();
      return pulling;
    };
    const onMessage = (topic: string, payload: Buffer) => {
      if (!desired.has(topic) || payload.length === 0) return; // an empty retained message clears a desired state
      agent
        .handleDesired(payload)
        .then((out) => {
          // Not an authentic desired state (another client replaced the retained copy): ask the publisher.
          if (out.result === 'rejected' && out.code && FORGED.has(out.code))
            void pull(`the message on ${topic} is ${out.code}`);
        })
        .catch((err) => log(`desired state from ${topic} failed: ${messageOf(err)}`));
    };
    this.client.on('message', onMessage);
    this.client.on('connect', publish);
    const unsubscribe = agent.onReport(publish);
    // The system clock's timers are unref'd: the poll alone does not keep a process alive.
    const clock = this.o.clock ?? systemClock;
    const every = this.o.desiredPollMs && urls.length ? this.o.desiredPollMs : 0;
    let poll: ClockTimer | undefined;
    const arm = () => {
      poll = clock.setTimeout(() => {
        arm();
        void pull('poll');
      }, every);
    };
    if (every) arm();
    this.detach = () => {
      if (poll) clock.clearTimeout(poll);
      this.client.removeListener('message', onMessage);
      this.client.removeListener('connect', publish);
      unsubscribe();
    };
    publish();
    try {
      await this.client.subscribeAsync([...desired], { qos: 1 });
    } catch (err) {
      throw new EdgeError('E_MQTT_OFFLINE', `cannot subscribe to the desired-state topics: ${messageOf(err)}`, {
        cause: err,
      });
    }
    void pull('attach');
  }

  /** Stops and disconnects (pending reports are flushed first). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.detach?.();
    await this.client.endAsync(false).catch(() => {});
  }
}
