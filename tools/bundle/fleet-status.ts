/**
 * Watching a fleet's OTA state topics: the retained report of every device (version, state,
 * progress, last outcome), kept current as devices report. With the fleet's trust file, only
 * reports signed by the device's own key count ({@link FleetWatcher.devices}); the rest are listed
 * as unverified and decide nothing. Reports are bounded in size and nesting, and at most
 * `maxDevices` devices are tracked.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import type { AgentReport } from '../../sdk/internal.js';
import { decodeReport, type ReceivedReport } from '../../sdk/internal.js';
import type { TrustStore } from '../../sdk/internal.js';
import { brokerAuthOptions, waitConnected, type BrokerAuth } from '../../sdk/internal.js';
import { OtaTopics } from '../../sdk/internal.js';

/** Options of {@link FleetWatcher.start}. */
export interface FleetWatchOptions {
  fleet: string;
  /** A broker URL, or a connected client to share. */
  broker: string | MqttClient;
  /** Credentials and TLS material for a broker given by URL. */
  auth?: BrokerAuth;
  prefix?: string;
  connectTimeoutMs?: number;
  /** The fleet's trust file: only reports signed by a device's own key count. */
  trust?: TrustStore;
  /** Most devices tracked (default 10000); reports of further devices are refused. */
  maxDevices?: number;
}

/** A report that does not count, and why. */
export interface UnverifiedReport {
  device: string;
  state: string;
  reason: string;
}

/**
 * The latest report of every device of a fleet.
 * @example
 * const watch = await FleetWatcher.start({ broker: 'mqtt://localhost:1883', fleet: 'north' });
 * await watch.waitFor((devices) => devices.every((d) => d.outcome?.bundle?.version === '2.0.0'), 60_000);
 */
export class FleetWatcher {
  private readonly reports = new Map<string, ReceivedReport>();
  private readonly listeners = new Set<() => void>();
  private closed = false;
  /** Messages refused (malformed, oversized, too deep, over the device limit). */
  refused = 0;
  private trust: TrustStore | undefined;

  private constructor(
    private readonly client: MqttClient,
    private readonly owned: boolean,
    private readonly filter: string,
    private readonly onMessage: (topic: string, payload: Buffer) => void,
  ) {}

  /**
   * Subscribes to the fleet's state topics.
   * @throws EdgeError E_MQTT_OFFLINE, E_MQTT_TLS (client certificate refused, broker not trusted),
   *   E_MQTT_PROTOCOL (credentials refused)
   */
  static async start(o: FleetWatchOptions): Promise<FleetWatcher> {
    const topics = new OtaTopics(o.prefix);
    const filter = topics.fleetStates(o.fleet);
    let client: MqttClient;
    const owned = typeof o.broker === 'string';
    if (typeof o.broker === 'string') {
      client = mqtt.connect(o.broker, {
        clientId: `ringmoe-fleet-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
        reconnectPeriod: 1000,
        connectTimeout: o.connectTimeoutMs ?? 10_000,
        ...brokerAuthOptions(o.auth),
      });
      try {
        await waitConnected(client, o.broker, o.connectTimeoutMs ?? 10_000, '--broker');
      } catch (err) {
        await client.endAsync(true).catch(() => {});
        throw err;
      }
    } else client = o.broker;
    let watcher: FleetWatcher | undefined;
    const onMessage = (topic: string, payload: Buffer) => {
      const device = topics.deviceOf(topic, o.fleet);
      if (!device || !topic.endsWith('/ota/state') || !watcher || payload.length === 0) return;
      if (!watcher.reports.has(device) && watcher.reports.size >= (o.maxDevices ?? 10_000)) {
        watcher.refused++;
        return;
      }
      let r: ReceivedReport;
      try {
        r = decodeReport(payload, { fleet: o.fleet, device }, o.trust);
      } catch {
        watcher.refused++;
        return;
      }
      // A verified report is never replaced by an unverified one, nor by an older signed one (a replay).
      const had = watcher.reports.get(device);
      const older = had?.verified && r.verified && Date.parse(r.report.at) < Date.parse(had.report.at);
      if (o.trust && had?.verified && (!r.verified || older)) {
        watcher.refused++;
        return;
      }
      watcher.reports.set(device, r);
      for (const l of watcher.listeners) l();
    };
    watcher = new FleetWatcher(client, owned, filter, onMessage);
    watcher.trust = o.trust;
    client.on('message', onMessage);
    try {
      await client.subscribeAsync(filter, { qos: 1 });
    } catch (err) {
      await watcher.close();
      throw new EdgeError('E_MQTT_OFFLINE', `cannot subscribe to ${filter}: ${messageOf(err)}`, { cause: err });
    }
    return watcher;
  }

  /**
   * Latest report per device, sorted by device id: with a trust file, only verified reports;
   * without one, every report (nothing can be verified).
   */
  devices(): AgentReport[] {
    return [...this.reports.values()]
      .filter((r) => !this.trust || r.verified)
      .map((r) => r.report)
      .sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
  }

  /** True when reports are checked against a trust file. */
  get verifying(): boolean {
    return this.trust !== undefined;
  }

  /** Reports that do not count (with a trust file): unsigned, or not signed by the device's key. */
  unverified(): UnverifiedReport[] {
    if (!this.trust) return [];
    return [...this.reports.values()]
      .filter((r) => !r.verified)
      .map((r) => ({ device: r.report.device, state: r.report.state, reason: r.unverifiedReason ?? 'unverified' }))
      .sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
  }

  /** Calls `listener` after every new report. Returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves when `done(devices)` holds, or with false after `timeoutMs`.
   */
  waitFor(done: (devices: AgentReport[]) => boolean, timeoutMs: number): Promise<boolean> {
    if (done(this.devices())) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(false);
      }, timeoutMs);
      const off = this.onChange(() => {
        if (!done(this.devices())) return;
        clearTimeout(timer);
        off();
        resolve(true);
      });
    });
  }

  /** Unsubscribes (and disconnects a client it opened). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.client.removeListener('message', this.onMessage);
    if (this.owned) await this.client.endAsync(true).catch(() => {});
    else await this.client.unsubscribeAsync(this.filter).catch(() => {});
  }
}
