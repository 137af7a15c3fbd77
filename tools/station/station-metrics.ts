/**
 * The station's Prometheus metrics: what it sees of the fleet (devices and their liveness, results,
 * frames, duplicates, reported failures and drops, outbox depth, model, OTA state), frame latency
 * and delivery delay histograms, and its own MQTT link and page clients.
 */
import { Histogram, Registry } from 'prom-client';
import { AGENT_STATES } from '../../sdk/internal.js';
import { LATENCY_BUCKETS, enumSeries, readCounter, readGauge } from '../../sdk/internal.js';
import type { StationSnapshot } from './station-state.js';

/**
 * Registers the station's metrics on a new registry.
 * @param read the current snapshot, the station's MQTT link state and its page clients
 * @example
 * const m = stationMetrics(() => ({ snapshot: station.snapshot(), online: true, clients: 2 }));
 * m.observeFrame('drone-1', 120, 35);
 */
export function stationMetrics(read: () => { snapshot: StationSnapshot; online: boolean; clients: number }): {
  registry: Registry;
  observeFrame(device: string, pipelineMs: number | undefined, deliveryMs: number): void;
} {
  const registry = new Registry();
  const devices = () => read().snapshot.devices;
  readGauge(
    registry,
    'ringmoe_station_mqtt_connected',
    'Whether the station is connected to the broker (1) or not (0).',
    [],
    () => [[{}, read().online ? 1 : 0]],
  );
  readGauge(registry, 'ringmoe_station_page_clients', 'Browsers receiving live updates.', [], () => [
    [{}, read().clients],
  ]);
  readGauge(
    registry,
    'ringmoe_station_device_online',
    'Device liveness from its birth and death messages (1 online, 0 offline; absent until either is seen).',
    ['device'],
    () =>
      devices()
        .filter((d) => d.online !== undefined)
        .map((d) => [{ device: d.device }, d.online ? 1 : 0]),
  );
  readGauge(
    registry,
    'ringmoe_station_device_last_seen_seconds',
    'Unix time of the last message from the device.',
    ['device'],
    () =>
      devices()
        .filter((d) => d.lastSeen > 0)
        .map((d) => [{ device: d.device }, d.lastSeen / 1000]),
  );
  readCounter(
    registry,
    'ringmoe_station_results_total',
    'Distinct result messages received, by device and task.',
    ['device', 'task'],
    () =>
      devices().flatMap((d) =>
        Object.entries(d.results).map(([task, n]): [{ device: string; task: string }, number] => [
          { device: d.device, task },
          n,
        ]),
      ),
  );
  readCounter(registry, 'ringmoe_station_frames_total', 'Distinct frames received, by device.', ['device'], () =>
    devices().map((d) => [{ device: d.device }, d.frames]),
  );
  readCounter(registry, 'ringmoe_station_duplicates_total', 'Result copies dropped by id, by device.', ['device'], () =>
    devices().map((d) => [{ device: d.device }, d.duplicates]),
  );
  readCounter(
    registry,
    'ringmoe_station_malformed_total',
    'Messages under the fleet topics that were not valid payloads.',
    [],
    () => [[{}, read().snapshot.totals.malformed]],
  );
  readCounter(
    registry,
    'ringmoe_station_unverified_total',
    "Messages that did not verify against the fleet's trust file (not counted anywhere else), by kind.",
    ['kind'],
    () => Object.entries(read().snapshot.totals.unverifiedByKind ?? {}).map(([kind, n]) => [{ kind }, n]),
  );
  readCounter(
    registry,
    'ringmoe_station_device_frame_failures_total',
    'Frames the device reported as failed (drops excluded).',
    ['device'],
    () => devices().map((d) => [{ device: d.device }, Math.max(0, d.failed - d.dropped)]),
  );
  readCounter(
    registry,
    'ringmoe_station_device_frames_dropped_total',
    'Frames the device reported as dropped.',
    ['device'],
    () => devices().map((d) => [{ device: d.device }, d.dropped]),
  );
  readGauge(
    registry,
    'ringmoe_station_device_outbox_pending_messages',
    'Results waiting in the device outbox, as last reported.',
    ['device'],
    () =>
      devices()
        .filter((d) => d.outbox)
        .map((d) => [{ device: d.device }, d.outbox!.pending]),
  );
  readGauge(
    registry,
    'ringmoe_station_device_model_info',
    'Model the device reports (value 1).',
    ['device', 'model'],
    () =>
      devices()
        .filter((d) => d.modelVersion)
        .map((d) => [{ device: d.device, model: d.modelVersion! }, 1]),
  );
  readGauge(
    registry,
    'ringmoe_station_device_ota_state',
    'OTA agent state of the device (1 for the current state).',
    ['device', 'state'],
    () => devices().flatMap((d) => enumSeries<'device'>(AGENT_STATES, d.ota?.state, { device: d.device })),
  );
  readGauge(
    registry,
    'ringmoe_station_frames_per_second',
    'Frames per second received from the fleet (10 s window).',
    [],
    () => [[{}, read().snapshot.throughput.framesPerSecond]],
  );
  const pipeline = new Histogram({
    name: 'ringmoe_station_frame_latency_seconds',
    help: 'Admission-to-result time of each frame as the device measured it.',
    labelNames: ['device'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const delivery = new Histogram({
    name: 'ringmoe_station_delivery_delay_seconds',
    help: 'Time from a result message leaving the device to its arrival here (clocks of both).',
    labelNames: ['device'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  return {
    registry,
    observeFrame(device, pipelineMs, deliveryMs) {
      if (pipelineMs !== undefined && Number.isFinite(pipelineMs)) pipeline.observe({ device }, pipelineMs / 1000);
      delivery.observe({ device }, Math.max(0, deliveryMs) / 1000);
    },
  };
}
