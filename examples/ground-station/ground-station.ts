/**
 * A ground station: subscribes to a fleet, aggregates what its drones report and prints a fleet
 * summary (per device: liveness, frames, detections by class, latency, model, outbox).
 *
 *   npx tsx examples/ground-station/ground-station.ts          # embedded broker + two simulated drones
 *   npx tsx examples/ground-station/ground-station.ts --broker mqtt://broker:1883 --fleet north --seconds 60
 *
 * With an MQTT 5 broker, `--group gs` makes several ground stations share the fleet's results.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FleetConsumer, startEmbeddedBroker, type ReceivedResult, type RuntimeResultMessage } from '../../sdk/index.js';

const { values: args } = parseArgs({
  options: {
    broker: { type: 'string' },
    fleet: { type: 'string', default: 'demo' },
    group: { type: 'string' },
    seconds: { type: 'string', default: '30' },
    drones: { type: 'string', default: '2' },
    frames: { type: 'string', default: '10' },
    package: { type: 'string' },
  },
});

interface DeviceStats {
  frames: Set<string>;
  detections: Map<string, number>;
  latencies: number[];
  models: Set<string>;
}

const stats = new Map<string, DeviceStats>();

function record(r: ReceivedResult): void {
  // What the runtime puts in each result message (docs/runtime.md, "MQTT payloads").
  const m = r.result as RuntimeResultMessage & { result: { detections?: { label: string }[] } };
  let d = stats.get(r.device);
  if (!d) stats.set(r.device, (d = { frames: new Set(), detections: new Map(), latencies: [], models: new Set() }));
  if (!d.frames.has(m.frameId)) d.latencies.push(m.latencyMs.total);
  d.frames.add(m.frameId);
  d.models.add(`${m.model.name}@${m.model.version}`);
  for (const det of m.result.detections ?? []) d.detections.set(det.label, (d.detections.get(det.label) ?? 0) + 1);
}

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;

// No broker given: bring our own, with simulated drones publishing to it.
const broker = args.broker ? undefined : await startEmbeddedBroker({ port: 0 });
const url = args.broker ?? broker!.url;
const consumer = await FleetConsumer.create({ url, fleet: args.fleet, ...(args.group ? { group: args.group } : {}) });
consumer.on('result', record);
consumer.on('birth', (b) =>
  console.log(`${b.device} online (model ${b.modelVersion ?? '?'}, MQTT ${b.protocolVersion === 5 ? '5' : '3.1.1'})`),
);
consumer.on(
  'death',
  (d, { stale }) => stale || console.log(`${d.device} offline${d.graceful ? '' : ' (connection lost)'}`),
);
console.log(`ground station on ${url}${broker ? ' (embedded)' : ''}, fleet ${args.fleet}`);

let stop: Promise<unknown>;
if (broker) {
  const drone = fileURLToPath(new URL('../drone/drone.ts', import.meta.url));
  const children = Array.from({ length: Number(args.drones) }, (_, i) =>
    spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        drone,
        '--broker',
        url,
        '--fleet',
        args.fleet,
        '--device',
        `drone-${i + 1}`,
        '--frames',
        args.frames,
        ...(args.package ? ['--package', args.package] : []),
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    ),
  );
  stop = Promise.all(children.map((c) => new Promise((r) => c.once('exit', r)))).then(
    () => new Promise((r) => setTimeout(r, 500)),
  );
} else {
  stop = new Promise((r) => {
    setTimeout(r, Number(args.seconds) * 1000);
    process.once('SIGINT', r);
  });
}
await stop;
const summary = await consumer.close();
await broker?.close();

console.log(
  `\nfleet ${summary.fleet}: ${summary.totals.devices} device(s), ${summary.totals.online} online, ${summary.totals.results} result(s), ${summary.totals.duplicates} duplicate(s) dropped`,
);
for (const device of summary.devices) {
  const s = stats.get(device.device);
  const top = s
    ? [...s.detections]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([label, n]) => `${label} ${n}`)
        .join(', ')
    : '';
  const metrics = device.latestMetrics?.metrics;
  console.log(
    [
      `  ${device.device.padEnd(10)} ${device.online ? 'online ' : 'offline'}`,
      `${String(s?.frames.size ?? 0).padStart(4)} frames`,
      `latency p50 ${quantile(s?.latencies ?? [], 0.5).toFixed(0)} ms p95 ${quantile(s?.latencies ?? [], 0.95).toFixed(0)} ms`,
      `fps ${metrics?.fps ?? '-'}`,
      `outbox ${device.latestMetrics?.outbox.pending ?? '-'} pending`,
      `model ${[...(s?.models ?? [])].join(', ') || device.modelVersion || '-'}`,
      `detections: ${top || 'none'}`,
    ].join('  '),
  );
}
