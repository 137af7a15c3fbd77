/**
 * `npm run demo`: the main job end to end on embedded defaults — no external broker, no GPU.
 *
 *   1. the trained Statlog Landsat classifier (models/ringmoe-statlog-ms/package), when it is there: its
 *      accuracy on the Statlog test split and the land cover of the Landsat-7 Olinda scene (PNG)
 *   2. build (or reuse) a RingMoE reference package with seeded weights
 *   3. run every entry of it on real (and, for SAR, generated) frames
 *   4. plan and prune it for a drone: its target device and its sensors
 *   5. start an in-process MQTT broker and a ground-station subscriber; stream frames through the
 *      drone's runtime on the pruned package, publishing every result through a durable outbox,
 *      and show the results arriving at the ground station
 *   6. a summary
 *
 * Options: --config ringmoe-tiny|ringmoe-small (default tiny), --frames N (default 24),
 * --target <device id> (default jetson-orin-nano-8gb), --broker mqtt://host:port (an external
 * broker instead of the embedded one), --fresh (rebuild the package), --out <dir> (files the
 * demo writes; default .cache/demo/output), --station-port N (the ground station page's port;
 * default: a free one), --stay (keep the station page up after the stream, until Ctrl-C).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  FleetConsumer,
  createRuntime,
  startEmbeddedBroker,
  type InferenceResult,
  type Runtime,
} from '../../sdk/index.js';
import { looksLikePackage, openPackage } from '../../sdk/package/open-package.js';
import { runCli } from '../../tools/cli/cli.js';
import { createIO, type CommandIO } from '../../tools/cli/io.js';
import { formatBytes } from '../../tools/format/numbers.js';
import { table } from '../../tools/format/table.js';
import { namedConfig } from '../../tools/ringmoe/config.js';
import { writeReferencePackage } from '../../tools/ringmoe/reference.js';
import { startStation } from '../../tools/station/station-server.js';
import { aero1Crop, data, droneFrames, paintedAero1, sarL1, sarL2 } from './frames.js';
import { trainedModelStep } from './trained-model.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({
  options: {
    config: { type: 'string', default: 'ringmoe-tiny' },
    frames: { type: 'string', default: '24' },
    target: { type: 'string', default: 'jetson-orin-nano-8gb' },
    broker: { type: 'string' },
    fresh: { type: 'boolean', default: false },
    out: { type: 'string' },
    'station-port': { type: 'string', default: '0' },
    stay: { type: 'boolean', default: false },
  },
});
const io = createIO(false);
const say = (s = '') => process.stdout.write(`${s}\n`);
const ms = (x: number) => `${x.toFixed(1)} ms`;
const rel = (p: string) => p.replace(`${root}/`, '');
const DRONE_SENSORS = 'optical,multispectral,sar-l1';

/** Runs a CLI command in-process and returns its result object (quiet). */
async function tool<T>(argv: string[]): Promise<T> {
  const quiet: CommandIO = { json: true, out() {}, note() {}, progress: () => ({ update() {}, stop() {} }) };
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write; // the router prints --json results; keep the demo's output readable
  try {
    return (await runCli([...argv, '--json'], () => quiet)).result as T;
  } finally {
    process.stdout.write = write;
  }
}

function describe(r: InferenceResult): string {
  const t = r.tasks;
  const parts: string[] = [];
  if (t.classification)
    parts.push(`class ${t.classification.top[0]?.label} ${(100 * (t.classification.top[0]?.score ?? 0)).toFixed(0)}%`);
  if (t.detection) parts.push(`${t.detection.detections.length} detections`);
  if (t.segmentation) {
    const top = [...t.segmentation.classes].sort((a, b) => b.fraction - a.fraction)[0];
    if (top) parts.push(`${top.label} ${(100 * top.fraction).toFixed(0)}% of area`);
  }
  if (t.depth) parts.push(`depth median ${t.depth.stats.percentiles.p50?.toFixed(2) ?? '-'} m`);
  return parts.join(', ');
}

/** Step 3: every entry of the full package on one frame (or pair) each. */
async function everyEntry(runtime: Runtime): Promise<void> {
  const now = Date.now();
  const rows: string[][] = [];
  const add = (entry: string, input: string, r: InferenceResult) =>
    rows.push([entry, input, describe(r), ms(r.latencyMs.total)]);
  add(
    'optical',
    'aero1.jpg (real)',
    await runtime.infer({ id: 'e-optical', modality: 'optical', pixels: data('aerial/aero1.jpg'), timestamp: now }),
  );
  add(
    'multispectral',
    'Landsat-7 Olinda, 6 bands (real)',
    await runtime.infer({
      id: 'e-ms',
      modality: 'multispectral',
      pixels: data('landsat7-olinda/L7_ETMs.tif'),
      sensor: 'landsat7-etm',
      timestamp: now,
    }),
  );
  add(
    'sar-l1',
    'quad-pol SLC (generated)',
    await runtime.infer({ id: 'e-sar-l1', modality: 'sar-l1', ...sarL1(), timestamp: now }),
  );
  add(
    'sar-l2',
    '|VV| amplitude (generated)',
    await runtime.infer({ id: 'e-sar-l2', modality: 'sar-l2', ...sarL2(), timestamp: now }),
  );
  add(
    'fusion-optical-sar-l2',
    'aero1 crop + SAR-L2 (pairing simulated)',
    await runtime.fuse([
      { id: 'e-fuse-opt', modality: 'optical', pixels: await aero1Crop(), timestamp: now },
      { id: 'e-fuse-sar', modality: 'sar-l2', ...sarL2(), timestamp: now },
    ]),
  );
  const change = await runtime.change(
    { id: 'e-before', modality: 'optical', pixels: data('aerial/aero1.jpg'), timestamp: now - 86_400_000 },
    { id: 'e-after', modality: 'optical', pixels: await paintedAero1(), timestamp: now },
  );
  rows.push([
    'change-optical',
    'aero1 → aero1 + painted patch',
    `${(100 * (change.tasks.change?.changedFraction ?? 0)).toFixed(1)}% changed`,
    ms(change.latencyMs.total),
  ]);
  const olinda = {
    modality: 'multispectral',
    pixels: data('landsat7-olinda/L7_ETMs.tif'),
    sensor: 'landsat7-etm',
  } as const;
  const ms2 = await runtime.change(
    { id: 'e-ms-0', ...olinda, timestamp: now - 1 },
    { id: 'e-ms-1', ...olinda, timestamp: now },
  );
  rows.push([
    'change-multispectral',
    'Olinda → Olinda (no change)',
    `${(100 * (ms2.tasks.change?.changedFraction ?? 0)).toFixed(1)}% changed`,
    ms(ms2.latencyMs.total),
  ]);
  say(indent(table(['entry', 'input', 'result', 'latency'], rows)));
}

function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n');
}

async function main(): Promise<void> {
  say(
    'ringmoe-edge demo — reference model, device planning and pruning, in-process MQTT broker, drone runtime and ground station on this machine',
  );
  say();
  await trainedModelStep(root, resolve(args.out ?? join(root, '.cache', 'demo', 'output')), say, io);
  say();
  say('steps 2-6 use seeded weights, not trained ones: their results show the pipeline working, not real predictions');

  // 2. the model package
  const pkgDir = join(root, '.cache', 'demo', String(args.config));
  let built = 'reused from an earlier run';
  if (args.fresh || !existsSync(pkgDir) || !looksLikePackage(pkgDir)) {
    const t = performance.now();
    const progress = io.progress(`building ${args.config}`, 1, 'entries');
    await writeReferencePackage({
      config: namedConfig(String(args.config)),
      outDir: pkgDir,
      force: true,
      onEntry: (d, n, name) => progress.update(d, n, name),
    });
    progress.stop();
    built = `built in ${((performance.now() - t) / 1000).toFixed(1)} s`;
  }
  const full = await createRuntime({
    package: pkgDir,
    backend: 'auto',
    tasks: { detection: { scoreThreshold: 0.05 } },
  });
  const skipped = full.metrics().backendSkipped;
  say(`2/6 model    ${full.model.name} @ ${full.model.version}, ${built} — ${rel(pkgDir)}`);
  say(`             backend ${full.backend}${skipped.length ? ` (${skipped.map((x) => x.reason).join('; ')})` : ''}`);

  // 3. every entry
  say('3/6 entries  every entry of the package on one frame each');
  await everyEntry(full);
  await full.close();

  // 4. plan and prune for the drone
  const work = mkdtempSync(join(tmpdir(), 'ringmoe-demo-'));
  const planFile = join(work, 'plan.json');
  const planned = await tool<{ choice: { label: string; precision: string; memory: { totalBytes: number } } }>([
    'plan',
    pkgDir,
    '--target',
    String(args.target),
    '--modalities',
    DRONE_SENSORS,
    '-o',
    planFile,
  ]);
  const droneDir = join(work, 'drone-package');
  const pruned = await tool<{
    report?: { entries: { entry: string; featureCosine: Record<string, { mean: number }> }[] };
    bytes?: { source: number; output: number };
  }>(['prune', pkgDir, '--plan', planFile, '-o', droneDir]);
  say(
    `4/6 plan     drone-1 = ${args.target} with sensors ${DRONE_SENSORS}: planner chose ${planned.choice.label} at ${planned.choice.precision}`,
  );
  const droneManifest = (await openPackage(droneDir)).manifest;
  const fullManifest = (await openPackage(pkgDir)).manifest;
  const bytes = (m: typeof droneManifest) => Object.values(m.files).reduce((a, f) => a + f.size, 0);
  say(
    `    pruned    ${droneManifest.entries.length} of ${fullManifest.entries.length} entries (${droneManifest.entries.map((e) => e.name).join(', ')}), ${formatBytes(bytes(droneManifest))} of ${formatBytes(bytes(fullManifest))}`,
  );
  const cos = pruned.report?.entries
    .filter((e) => e.featureCosine.embedding)
    .map((e) => `${e.entry} ${e.featureCosine.embedding!.mean.toFixed(4)}`)
    .join(', ');
  if (cos) say(`              fidelity vs the full package on held-out frames (embedding cosine): ${cos}`);

  // 5. broker, ground station, drone
  const broker = args.broker ? undefined : await startEmbeddedBroker({ port: 0 });
  const url = args.broker ?? broker!.url;
  const ground = await FleetConsumer.create({ url, fleet: 'demo' });
  let received = 0;
  ground.on('result', () => received++);
  const station = await startStation({ broker: url, fleet: 'demo', port: Number(args['station-port']) });
  const runtime = await createRuntime({
    package: droneDir,
    backend: 'auto',
    mqtt: { url, fleet: 'demo', device: 'drone-1', stateDir: join(work, 'state') },
    // The seeded model scores low: tracking thresholds follow the detection threshold.
    tasks: {
      detection: { scoreThreshold: 0.05 },
      tracking: { highThreshold: 0.05, lowThreshold: 0.05, newTrackThreshold: 0.05 },
    },
  });
  const frames = droneFrames(Number(args.frames));
  say(`5/6 stream   broker ${broker ? `embedded (aedes) at ${url}` : url}; ground station subscribed to fleet "demo"`);
  say(
    `             ground station page: ${station.url} (open it in a browser${args.stay ? '; it stays up until Ctrl-C' : '; --stay keeps it up after the stream'})`,
  );
  say(
    `             drone-1 streams ${frames.length} frames (${[...new Set(frames.map((f) => f.modality))].join(', ')}) through the pruned package`,
  );
  const progress = io.progress('             frames', frames.length, 'frames');
  const results: InferenceResult[] = [];
  const failures: string[] = [];
  let n = 0;
  const t0 = performance.now();
  for await (const out of runtime.run(frames)) {
    progress.update(++n, frames.length, out.frameId);
    if (out.ok) results.push(out);
    else failures.push(`${out.frameId}: ${out.error.code} ${out.error.message}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  progress.stop();
  const metrics = runtime.metrics();
  const published = results.reduce((s, r) => s + Object.keys(r.tasks).length, 0);
  const closeReport = await runtime.close({ deadlineMs: 5000 });
  for (let i = 0; i < 50 && received < published; i++) await new Promise((r) => setTimeout(r, 100));
  const fleet = await ground.close();
  if (args.stay) {
    say(`             stream done; the station page stays at ${station.url} — Ctrl-C to end`);
    await new Promise((resolve) => process.once('SIGINT', resolve));
  }
  await station.close();
  await broker?.close();
  rmSync(work, { recursive: true, force: true });
  for (const r of results.slice(0, 4))
    say(`             ${r.frameId} ${r.modality.padEnd(13)} ${r.frame.width}×${r.frame.height} → ${describe(r)}`);

  // 6. summary
  say('6/6 summary');
  const l = metrics.latencyMs;
  say(
    indent(
      table(
        ['stage', 'p50', 'p95', 'p99'],
        (['preprocess', 'queue', 'inference', 'postprocess', 'total'] as const).map((k) => [
          k,
          ms(l[k].p50),
          ms(l[k].p95),
          ms(l[k].p99),
        ]),
      ),
    ),
  );
  say(
    `    frames: ${metrics.frames.completed} done, ${metrics.frames.failed} failed, ${metrics.frames.dropped} dropped in ${seconds.toFixed(1)} s (${(metrics.frames.completed / seconds).toFixed(2)} frames/s)`,
  );
  say(
    `    MQTT: drone-1 published ${published} results (${closeReport.drained ? 'outbox drained' : `${closeReport.unsentResults} kept in the durable outbox`}); the ground station received ${fleet.totals.results}, duplicates ${fleet.totals.duplicates}`,
  );
  for (const d of fleet.devices)
    say(
      `    ground station view of ${d.device}: ${d.online === false ? 'offline (its death message arrived after close)' : 'online'}, model ${d.modelVersion ?? '?'}; ${Object.entries(
        d.results,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  if (failures.length) for (const f of failures) say(`    failed: ${f}`);
  if (fleet.totals.results !== published) {
    process.exitCode = 1;
    say(`    ERROR: ${published - fleet.totals.results} results did not reach the ground station`);
  }
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
