/**
 * One simulated drone: an OTA agent on a filesystem slot store, an onnxruntime model host, an MQTT
 * link to the fleet, and a camera stream of real aerial tiles (examples/data/aerial/aero1.jpg cut
 * into 64×64 model inputs) served continuously while updates install.
 *
 *   node --import tsx examples/ota-rollout/device.ts --name drone-1 --broker mqtt://127.0.0.1:1883 \
 *     --store out/ota-rollout/devices/drone-1 --trust out/ota-rollout/trust.json \
 *     --provision out/ota-rollout/bundles/drone-optical-1.0.0 [--latency-budget-ms 200]
 *
 * On SIGTERM it stops the stream, closes everything and prints one `SUMMARY {json}` line: frames
 * served per model version, frames lost or served twice (none, if the swap works), last outcome.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import {
  FsSlotStore,
  OrtModelHost,
  OtaAgent,
  OtaMqttLink,
  TrustStore,
  preprocessFrame,
  type ModelFrameResult,
} from '../../sdk/index.js';

const { values: a } = parseArgs({
  options: {
    name: { type: 'string' },
    fleet: { type: 'string', default: 'demo' },
    broker: { type: 'string' },
    store: { type: 'string' },
    trust: { type: 'string' },
    provision: { type: 'string' },
    target: { type: 'string', default: 'cpu-x86-64-onnxruntime' },
    'latency-budget-ms': { type: 'string', default: '2000' },
    fps: { type: 'string', default: '20' },
  },
});
for (const k of ['name', 'broker', 'store', 'trust'] as const) if (!a[k]) throw new Error(`--${k} is required`);
const name = a.name!;
const say = (line: string) => process.stdout.write(`[${name}] ${line}\n`);

const store = await FsSlotStore.open(a.store!);
const host = await OrtModelHost.create({ entries: ['optical'], threads: 1 });
const link = await OtaMqttLink.connect({ url: a.broker!, fleet: a.fleet!, device: name });
const agent = await OtaAgent.start({
  identity: { fleet: a.fleet!, device: name, target: a.target! },
  store,
  host,
  trust: await TrustStore.load(a.trust!),
  health: { frames: 3, latencyBudgetMs: Number(a['latency-budget-ms']) },
  extraSources: (request) => link.sources(request),
});
await link.attach(agent, say);
const versionOf = new Map<string, string>();
const learn = (r: ReturnType<typeof agent.report>) => {
  for (const b of [r.current, r.previous, r.target]) if (b) versionOf.set(b.manifest, b.version);
};
agent.onReport((r) => {
  learn(r);
  if (r.transition === 'committed' || r.transition === 'rolled-back' || r.transition === 'rejected')
    say(`${r.transition}: ${r.outcome?.message ?? `${r.current?.name}@${r.current?.version}`}`);
});
if (!agent.report().current && a.provision) {
  const out = await agent.installFromDirectory(a.provision);
  say(`provisioned from ${a.provision}: ${out.result} ${out.message ?? ''}`);
}
learn(agent.report());
say(
  `running ${agent.report().current?.name}@${agent.report().current?.version}; latency budget ${a['latency-budget-ms']} ms`,
);

// The camera: real aerial tiles, in order, forever.
const pre = await preprocessFrame(
  { id: 'aero1', modality: 'optical', timestamp: Date.now(), pixels: join('examples', 'data', 'aerial', 'aero1.jpg') },
  { inputSize: 64, fit: 'tile', batchSize: 1 },
);
const tiles = pre.batches.map((b) => ({ image: { dtype: 'float32' as const, shape: [...b.shape], data: b.data } }));
const results: ModelFrameResult[] = [];
let errors = 0;
let submitted = 0;
let running = true;
const camera = (async () => {
  const period = 1000 / Number(a.fps);
  while (running) {
    const t0 = Date.now();
    const seq = submitted++;
    try {
      const r = await host.process({ seq, entry: 'optical', feeds: tiles[seq % tiles.length]! });
      results.push({ ...r, outputs: {} });
    } catch {
      errors++;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, period - (Date.now() - t0))));
  }
})();

async function shutdown(): Promise<void> {
  running = false;
  await camera;
  const seqs = new Set(results.map((r) => r.seq));
  const perModel: Record<string, number> = {};
  for (const r of results) {
    const v = versionOf.get(r.model) ?? r.model.slice(0, 12);
    perModel[v] = (perModel[v] ?? 0) + 1;
  }
  const summary = {
    device: name,
    running: agent.report().current,
    outcome: agent.report().outcome,
    frames: {
      submitted,
      served: results.length,
      lost: submitted - seqs.size - errors,
      duplicated: results.length - seqs.size,
      errors,
      perModel,
    },
  };
  await link.close();
  await agent.close();
  await host.close();
  await store.close();
  process.stdout.write(`SUMMARY ${JSON.stringify(summary)}\n`);
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
