/**
 * Watching a fleet's OTA state topics: the retained report of every device (version, state,
 * progress, last outcome), kept current as devices report.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { EdgeError, messageOf } from '../../sdk/core/errors.js';
import type { AgentReport } from '../../sdk/ota/agent-states.js';
import { waitConnected } from '../../sdk/ota/mqtt-connect.js';
import { OtaTopics } from '../../sdk/ota/topics.js';
import { parseJsonBounded } from '../../sdk/core/json-limits.js';

/** An agent report is a few KiB: 1 MiB, nesting 16, strings of 64 KiB are more than enough. */
const REPORT_JSON_LIMITS = { maxBytes: 1 << 20, maxDepth: 16, maxStringLength: 64 * 1024 };
/** Options of {@link FleetWatcher.start}. */
export interface FleetWatchOptions {
  fleet: string;
  /** A broker URL, or a connected client to share. */
  broker: string | MqttClient;
  prefix?: string;
  connectTimeoutMs?: number;
}

/**
 * The latest report of every device of a fleet.
 * @example
 * const watch = await FleetWatcher.start({ broker: 'mqtt://localhost:1883', fleet: 'north' });
 * await watch.waitFor((devices) => devices.every((d) => d.outcome?.bundle?.version === '2.0.0'), 60_000);
 */
export class FleetWatcher {
  private readonly reports = new Map<string, AgentReport>();
  private readonly listeners = new Set<() => void>();
  private closed = false;

  private constructor(
    private readonly client: MqttClient,
    private readonly owned: boolean,
    private readonly filter: string,
    private readonly onMessage: (topic: string, payload: Buffer) => void,
  ) {}

  /**
   * Subscribes to the fleet's state topics.
   * @throws EdgeError E_MQTT_OFFLINE
   */
  static async start(o: FleetWatchOptions): Promise<FleetWatcher> {
    const topics = new OtaTopics(o.prefix);
    const filter = topics.fleetStates(o.fleet);
    let client: MqttClient;
    const owned = typeof o.broker === 'string';
    if (typeof o.broker === 'string') {
      client = mqtt.connect(o.broker, { clientId: `ringmoe-fleet-${process.pid}-${Math.random().toString(16).slice(2, 8)}`, reconnectPeriod: 1000, connectTimeout: o.connectTimeoutMs ?? 10_000 });
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
      if (!device || !topic.endsWith('/ota/state') || !watcher) return;
      let r: AgentReport;
      try {
        r = parseJsonBounded(payload, REPORT_JSON_LIMITS, { file: topic, what: 'agent report' }) as AgentReport;
      } catch {
        return;
      }
      if (typeof r !== 'object' || r === null || typeof r.state !== 'string') return;
      watcher.reports.set(device, { ...r, device });
      for (const l of watcher.listeners) l();
    };
    watcher = new FleetWatcher(client, owned, filter, onMessage);
    client.on('message', onMessage);
    try {
      await client.subscribeAsync(filter, { qos: 1 });
    } catch (err) {
      await watcher.close();
      throw new EdgeError('E_MQTT_OFFLINE', `cannot subscribe to ${filter}: ${messageOf(err)}`, { cause: err });
    }
    return watcher;
  }

  /** Latest report per device, sorted by device id. */
  devices(): AgentReport[] {
    return [...this.reports.values()].sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
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
