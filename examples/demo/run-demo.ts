/**
 * `npm run demo`: the main job end to end on embedded defaults — no external broker, no GPU.
 *
 *   1. build (or reuse) a RingMoE reference package with seeded weights
 *   2. start an in-process MQTT broker and a ground-station subscriber
 *   3. stream real frames of several modalities through the runtime on a "drone", publishing every
 *      result over MQTT through a durable outbox
 *   4. show the results arriving at the ground station, then a summary
 *
 * Options: --config ringmoe-tiny|ringmoe-small (default tiny), --frames N (default 24),
 * --broker mqtt://host:port (use an external broker instead of the embedded one), --fresh (rebuild).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  FleetConsumer,
  createRuntime,
  generateQuadPolScene,
  rasterToPixels,
  startEmbeddedBroker,
  type Frame,
  type InferenceResult,
} from '../../sdk/index.js';
import { looksLikePackage } from '../../sdk/package/open-package.js';
import { createIO, table } from '../../tools/cli/io.js';
import { namedConfig } from '../../tools/ringmoe/config.js';
import { writeReferencePackage } from '../../tools/ringmoe/reference.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const data = (p: string) => join(root, 'examples', 'data', p);
const { values: args } = parseArgs({
  options: { config: { type: 'string', default: 'ringmoe-tiny' }, frames: { type: 'string', default: '24' }, broker: { type: 'string' }, fresh: { type: 'boolean', default: false } },
});
const io = createIO(false);
const say = (s = '') => process.stdout.write(`${s}\n`);
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** The frames a drone with an RGB camera, a multispectral imager and a quad-pol SAR would send. */
function demoFrames(count: number): Frame[] {
  const sar = generateQuadPolScene({ width: 192, height: 192, seed: 11, ships: 4 });
  const sources: Omit<Frame, 'id' | 'timestamp'>[] = [
    { modality: 'optical', pixels: data('aerial/aero1.jpg') },
    { modality: 'multispectral', pixels: data('landsat7-olinda/L7_ETMs.tif'), sensor: 'landsat7-etm' },
    { modality: 'optical', pixels: data('aerial/aero3.jpg') },
    { modality: 'sar-l1', pixels: rasterToPixels(sar.raster), sensor: 'quadpol-slc', georef: sar.georef },
    { modality: 'optical', pixels: data('bluemarble/bluemarble_2700x1350.jpg') },
  ];
  const t0 = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const s = sources[i % sources.length]!;
    // Raw rasters are handed to worker threads (transferred): give each frame its own copy.
    const pixels = typeof s.pixels === 'object' && !(s.pixels instanceof Uint8Array) ? { ...s.pixels, data: s.pixels.data.slice() } : s.pixels;
    return { ...s, pixels, id: `frame-${String(i).padStart(3, '0')}`, timestamp: t0 + i * 100 } as Frame;
  });
}

function describe(r: InferenceResult): string {
  const t = r.tasks;
  const parts: string[] = [];
  if (t.classification) parts.push(`class ${t.classification.top[0]?.label} ${(100 * (t.classification.top[0]?.score ?? 0)).toFixed(0)}%`);
  if (t.detection) parts.push(`${t.detection.detections.length} detections`);
  if (t.segmentation) {
    const top = [...t.segmentation.classes].sort((a, b) => b.fraction - a.fraction)[0];
    if (top) parts.push(`${top.label} ${(100 * top.fraction).toFixed(0)}% of area`);
  }
  if (t.depth) parts.push(`depth median ${t.depth.stats.percentiles.p50?.toFixed(2) ?? '-'} m`);
  return parts.join(', ');
}

async function main(): Promise<void> {
  say('ringmoe-edge demo — reference model, in-process MQTT broker, drone runtime and ground station on this machine');
  say('(weights are seeded, not trained: results show the pipeline working, not real predictions)');
  say();

  // 1. the model package
  const pkgDir = join(root, '.cache', 'demo', String(args.config));
  let built = 'reused';
  if (args.fresh || !existsSync(pkgDir) || !looksLikePackage(pkgDir)) {
    const t = performance.now();
    const progress = io.progress(`building ${args.config}`, 1, 'entries');
    await writeReferencePackage({ config: namedConfig(String(args.config)), outDir: pkgDir, force: true, onEntry: (d, n, name) => progress.update(d, n, name) });
    progress.stop();
    built = `built in ${((performance.now() - t) / 1000).toFixed(1)} s`;
  }

  // 2. broker and ground station
  const broker = args.broker ? undefined : await startEmbeddedBroker({ port: 0 });
  const url = args.broker ?? broker!.url;
  const ground = await FleetConsumer.create({ url, fleet: 'demo' });
  const arrivals: { device: string; task: string; frameId?: string; at: number }[] = [];
  ground.on('result', (r) => arrivals.push({ device: r.device, task: r.task, ...(r.frameId ? { frameId: r.frameId } : {}), at: Date.now() }));

  // 3. the drone's runtime
  const stateDir = mkdtempSync(join(tmpdir(), 'ringmoe-demo-'));
  const runtime = await createRuntime({
    package: pkgDir,
    backend: 'auto',
    mqtt: { url, fleet: 'demo', device: 'drone-1', stateDir },
    tasks: { segmentation: {}, detection: { scoreThreshold: 0.05 } },
  });
  const m0 = runtime.metrics();
  say(`1/4 model    ${runtime.model.name} @ ${runtime.model.version} (${built}) — ${pkgDir.replace(`${root}/`, '')}`);
  say(`             backend ${runtime.backend}${m0.backendSkipped.length ? ` (${m0.backendSkipped.map((s) => s.reason).join('; ')})` : ''}`);
  say(`2/4 broker   ${broker ? `embedded aedes at ${url}` : url}; ground station subscribed to fleet "demo"`);

  const frames = demoFrames(Number(args.frames));
  const modalities = [...new Set(frames.map((f) => f.modality))];
  say(`3/4 drone-1  streaming ${frames.length} real and generated frames (${modalities.join(', ')}) through the pipeline`);
  const progress = io.progress('    frames', frames.length, 'frames');
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
  // let the last messages land at the ground station
  for (let i = 0; i < 50 && arrivals.length < published; i++) await new Promise((r) => setTimeout(r, 100));
  const fleet = await ground.close();
  await broker?.close();
  rmSync(stateDir, { recursive: true, force: true });

  say();
  say('    a few results as the drone produced them:');
  for (const r of results.filter((_, i) => i < 5)) say(`      ${r.frameId} ${r.modality.padEnd(13)} ${r.frame.width}×${r.frame.height} (${r.frame.inputs} input${r.frame.inputs > 1 ? 's' : ''}) → ${describe(r)}`);
  say();
  say('4/4 summary');
  const l = metrics.latencyMs;
  say(table(
    ['stage', 'p50', 'p95', 'p99'],
    (['preprocess', 'queue', 'inference', 'postprocess', 'total'] as const).map((k) => [k, ms(l[k].p50), ms(l[k].p95), ms(l[k].p99)]),
  ).split('\n').map((x) => `    ${x}`).join('\n'));
  say(`    frames: ${metrics.frames.completed} done, ${metrics.frames.failed} failed, ${metrics.frames.dropped} dropped in ${seconds.toFixed(1)} s (${(metrics.frames.completed / seconds).toFixed(2)} frames/s); batches of ${metrics.batches.meanInputs.toFixed(1)} inputs on average`);
  say(`    MQTT: ${published} results published by drone-1 (${closeReport.drained ? 'outbox drained' : `${closeReport.unsentResults} still in the durable outbox`}); ground station received ${fleet.totals.results} (duplicates ${fleet.totals.duplicates})`);
  for (const d of fleet.devices) say(`    ground station view of ${d.device}: ${d.online === false ? 'offline (death seen after close)' : 'online'}, model ${d.modelVersion ?? '?'}, results ${Object.entries(d.results).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  say(`    package ${runtime.model.name}: every file verified against its sha256 at load (package ${runtime.model.packageHash.slice(0, 16)}…)`);
  if (failures.length) {
    say(`    failed frames:`);
    for (const f of failures) say(`      ${f}`);
  }
  if (fleet.totals.results !== published) {
    process.exitCode = 1;
    say(`    ERROR: ${published - fleet.totals.results} results did not reach the ground station`);
  }
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
