/**
 * `npm run bench [-- name ...]`: runs the benchmarks (all, or those named), prints each ratio
 * against its anchor measured in the same run, and a JSON summary last.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_CACHE, type Bench, type BenchResult } from './harness.js';

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
const all: BenchResult[] = [];
for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
  const { bench } = await BENCHES[name]!();
  process.stdout.write(`\n== ${bench.name}: ${bench.description}\n`);
  const r = await bench.run((l) => process.stdout.write(`   ${l}\n`));
  for (const x of Array.isArray(r) ? r : [r]) {
    all.push(x);
    process.stdout.write(
      `-> ${x.name}: ${x.ratio.value.toFixed(3)} (${x.ratio.label}${x.ratio.goal ? `; goal ${x.ratio.goal}` : ''})\n`,
    );
  }
}
mkdirSync(BENCH_CACHE, { recursive: true });
const summary = { node: process.version, platform: `${process.platform}-${process.arch}`, results: all };
writeFileSync(join(BENCH_CACHE, 'last-run.json'), `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`\n${JSON.stringify(summary)}\n`);
