/**
 * Sparse (gather → expert → scatter) vs dense (every expert on every token, one-hot combine)
 * lowering of ringmoe-small, one modality, same weights, same inputs, same run; then where each
 * lowering spends its time, from onnxruntime's profiler (per-node medians over the profiled runs).
 */
import { join } from 'node:path';
import { openPackage } from '../../sdk/package/open-package.js';
import { OrtBackend } from '../../sdk/runtime/backends/ort.js';
import { randomFeeds } from '../helpers/packages.js';
import { benchPackage, interleave, median, pairedRatio, type Bench } from './harness.js';
import { profileBreakdown, profileGraph, type ProfileRow } from './ort-profile.js';

/** `--threads=N` after the bench name: onnxruntime intra-op threads (default: its own, one per core). */
function threadsFlag(argv: readonly string[]): number | undefined {
  const flag = argv.find((a) => a.startsWith('--threads='));
  if (flag === undefined) return undefined;
  const n = Number(flag.slice('--threads='.length));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--threads= needs a positive integer, got ${flag}`);
  return n;
}

export const bench: Bench = {
  name: 'sparse-vs-dense',
  description: 'ringmoe-small, optical entry: latency of the sparse lowering vs the dense lowering (onnxruntime CPU)',
  async run(log) {
    const sparseDir = await benchPackage('ringmoe-small', { lowering: 'sparse' }, log);
    const denseDir = await benchPackage('ringmoe-small', { lowering: 'dense' }, log);
    const entry = (await openPackage(sparseDir, { verify: 'size' })).entry('optical');
    const graphs = { sparse: join(sparseDir, entry.graph), dense: join(denseDir, entry.graph) };
    const threads = threadsFlag(process.argv);
    if (threads !== undefined) log(`onnxruntime intra-op threads: ${threads}`);
    // Without --threads= both lowerings are timed at 1 intra-op thread and at onnxruntime's
    // default, and each is compared at its best (as quantize-latency and pipeline-vs-raw do): on 2
    // cores the second thread's waits between ~1,400 kernels can cost more than it gains.
    const settings: { name: string; threads?: number }[] =
      threads !== undefined
        ? [{ name: `${threads} thread${threads > 1 ? 's' : ''}`, threads }]
        : [{ name: '1 thread', threads: 1 }, { name: 'default threads' }];
    const backend = new OrtBackend();
    const timed = new Map<string, { batch: number; sparse: number[]; dense: number[] }[]>();
    for (const st of settings) {
      const o = st.threads ? { threads: st.threads } : {};
      const sparse = await backend.load({ graphPath: graphs.sparse, ...o });
      const dense = await backend.load({ graphPath: graphs.dense, ...o });
      const perBatch = [];
      for (const batch of [1, 4]) {
        const feeds = randomFeeds(entry, batch, 11);
        const samples = await interleave(
          { sparse: () => sparse.run(feeds), dense: () => dense.run(feeds) },
          batch === 1 ? 41 : 15,
        );
        perBatch.push({ batch, sparse: samples.sparse!, dense: samples.dense! });
        const [s, d] = [median(samples.sparse!), median(samples.dense!)];
        // The median of the rounds' own ratios (see pairedRatio), the ratio of the medians beside it.
        log(
          `batch ${batch}, ${st.name}: sparse median ${s.toFixed(1)} ms, dense median ${d.toFixed(1)} ms, sparse/dense ${pairedRatio(samples.sparse!, samples.dense!).toFixed(2)} paired (ratio of the medians ${(s / d).toFixed(2)})`,
        );
      }
      timed.set(st.name, perBatch);
      await sparse.dispose();
      await dense.dispose();
    }
    const results = [];
    for (const [k, batch] of [1, 4].entries()) {
      const at = settings.map((st) => ({ name: st.name, ...timed.get(st.name)![k]! }));
      const best = (side: 'sparse' | 'dense') => at.reduce((x, y) => (median(y[side]) < median(x[side]) ? y : x));
      const [bs, bd] = [best('sparse'), best('dense')];
      const [s, d] = [median(bs.sparse), median(bd.dense)];
      log(
        `batch ${batch}: sparse best ${s.toFixed(1)} ms (${bs.name}) / dense best ${d.toFixed(1)} ms (${bd.name}) = ${(s / d).toFixed(2)}, dense/sparse ${(d / s).toFixed(2)}x`,
      );
      results.push({
        name: `sparse-vs-dense (batch ${batch}${threads ? `, ${settings[0]!.name}` : ''})`,
        ratio: {
          label: `sparse latency / dense latency (<1: sparse routing is faster)${threads ? '' : ', each at its best thread setting'}`,
          value: s / d,
          goal: '<= 0.5',
        },
        metrics: {
          sparseMedianMs: s,
          sparseThreads: bs.name,
          denseMedianMs: d,
          denseThreads: bd.name,
          denseOverSparse: d / s,
          ...Object.fromEntries(at.map((t) => [`pairedRatio, ${t.name}`, pairedRatio(t.sparse, t.dense)])),
          rounds: bs.sparse.length,
          batch,
        },
      });
    }
    for (const [i, batch] of [1, 4].entries()) {
      const feeds = randomFeeds(entry, batch, 11);
      const runs = batch === 1 ? 7 : 5;
      const profiles = {
        sparse: profileBreakdown(await profileGraph(graphs.sparse, feeds, runs, threads)),
        dense: profileBreakdown(await profileGraph(graphs.dense, feeds, runs, threads)),
      };
      log(`profile, batch ${batch} (onnxruntime profiler, per-node median of ${runs} runs, ms per run):`);
      for (const line of profileTable(profiles.sparse, profiles.dense)) log(`  ${line}`);
      const metrics: Record<string, number | string> = results[i]!.metrics;
      for (const [name, p] of Object.entries(profiles)) {
        metrics[`${name}ProfiledRunMs`] = p.run;
        metrics[`${name}KernelMs`] = p.total;
        for (const r of p.parts) metrics[`${name}Kernel ${r.part}`] = r.ms;
      }
    }
    return results;
  },
};

/** The parts side by side, then the sparse lowering's MoE glue by op type. */
function profileTable(
  sparse: ReturnType<typeof profileBreakdown>,
  dense: ReturnType<typeof profileBreakdown>,
): string[] {
  const ms = (rows: ProfileRow[], part: string) => rows.find((r) => r.part === part)?.ms ?? 0;
  const parts = [...new Set([...sparse.parts, ...dense.parts].map((r) => r.part))];
  const row = (a: string, b: string, c: string, d: string) =>
    `${a.padEnd(30)}${b.padStart(10)}${c.padStart(10)}${d.padStart(8)}`;
  const fmt = (x: number) => x.toFixed(2);
  return [
    row('part', 'sparse', 'dense', 's/d'),
    ...parts.map((p) => {
      const s = ms(sparse.parts, p);
      const d = ms(dense.parts, p);
      return row(p, fmt(s), fmt(d), d > 0 ? (s / d).toFixed(2) : '-');
    }),
    row('kernels (sum of medians)', fmt(sparse.total), fmt(dense.total), (sparse.total / dense.total).toFixed(2)),
    row('model_run (median)', fmt(sparse.run), fmt(dense.run), (sparse.run / dense.run).toFixed(2)),
    'sparse MoE glue and routers by op type:',
    ...sparse.glueOps.map((r) => `  ${r.part.padEnd(40)}${fmt(r.ms).padStart(8)} ms  (${r.kernels} kernels)`),
  ];
}
