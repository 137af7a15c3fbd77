/**
 * `npm run bench [-- name ...]`: runs the benchmarks (all, or those named), prints each ratio
 * against its anchor measured in the same run, how long each took, and a summary last (JSON in
 * .cache/bench/last-run.json, a Markdown table in .cache/bench/last-run.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { BENCH_CACHE, type Bench, type BenchResult } from './harness.js';
import { markdownSummary, type RunSummary, type TimedBench } from './summary.js';

const BENCHES: Record<string, () => Promise<{ bench: Bench }>> = {
  'sparse-vs-dense': () => import('./sparse-vs-dense.js'),
  'quantize-latency': () => import('./quantize-latency.js'),
  'prune-throughput': () => import('./prune-throughput.js'),
  'prune-tiers': () => import('./prune-tiers.js'),
  'pipeline-vs-raw': () => import('./pipeline-vs-raw.js'),
  'pipeline-vs-serial': () => import('./pipeline-vs-serial.js'),
  'mqtt-outbox': () => import('./mqtt-outbox.js'),
  'ota-delta': () => import('./ota-delta.js'),
  'ota-install': () => import('./ota-install.js'),
  'rotated-nms': () => import('./rotated-nms.js'),
  tracking: () => import('./tracking.js'),
  'tier-accuracy': () => import('./tier-accuracy.js'),
  'runtime-memory': () => import('./runtime-memory.js'),
  'preprocess-vs-decoder': () => import('./preprocess-vs-decoder.js'),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !(w in BENCHES));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}\n`);
  process.exit(2);
}
const started = Date.now();
const timed: TimedBench[] = [];
for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
  const { bench } = await BENCHES[name]!();
  process.stdout.write(`\n== ${bench.name}: ${bench.description}\n`);
  const t0 = Date.now();
  const load0 = loadavg()[0]!;
  const r = await bench.run((l) => process.stdout.write(`   ${l}\n`));
  const results: BenchResult[] = Array.isArray(r) ? r : [r];
  for (const x of results) {
    process.stdout.write(
      `-> ${x.name}: ${x.ratio.value.toFixed(3)} (${x.ratio.label}${x.ratio.goal ? `; goal ${x.ratio.goal}` : ''})\n`,
    );
  }
  const seconds = (Date.now() - t0) / 1000;
  process.stdout.write(`   (${bench.name} took ${seconds.toFixed(0)} s)\n`);
  timed.push({ name: bench.name, seconds, load: [load0, loadavg()[0]!], results });
}
const summary: RunSummary = {
  date: new Date(started).toISOString(),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  cpus: cpus().length,
  totalSeconds: (Date.now() - started) / 1000,
  benches: timed,
};
mkdirSync(BENCH_CACHE, { recursive: true });
writeFileSync(join(BENCH_CACHE, 'last-run.json'), `${JSON.stringify(summary, null, 2)}\n`);
const markdown = markdownSummary(summary);
writeFileSync(join(BENCH_CACHE, 'last-run.md'), markdown);
process.stdout.write(`\n${markdown}\n${JSON.stringify(summary)}\n`);
