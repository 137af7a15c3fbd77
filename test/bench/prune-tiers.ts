/**
 * The deployment tiers of ringmoe-small on one modality (optical): latency of the optical entry
 * (onnxruntime CPU, one intra-op thread, batch 1, interleaved rounds) and bytes, each relative to the full package,
 * all measured in one run. Tier packages are pruned once and cached in .cache/bench.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PackageManifest } from '../../sdk/package/package-manifest.js';
import { looksLikePackage, openPackage } from '../../sdk/package/open-package.js';
import { OrtBackend } from '../../sdk/runtime/backends/ort.js';
import { calibratePackage } from '../../tools/calibrate/calibrate.js';
import { generatedFrames } from '../../tools/frames/frame.js';
import { FIDELITY_REPORT, prunePackage, type FidelityReport } from '../../tools/prune/prune.js';
import type { WrittenPruneOptions } from '../../tools/planner/prune-options.js';
import { readRoutingStats } from '../../tools/calibrate/routing-stats.js';
import { randomFeeds } from '../helpers/packages.js';
import { readFile } from 'node:fs/promises';
import { BENCH_CACHE, benchPackage, interleave, median, type Bench, type BenchResult } from './harness.js';

const TIERS: { tier: string; options: WrittenPruneOptions }[] = [
  { tier: 'sub-model', options: { modalities: 'optical' } },
  { tier: 'ep-0.25', options: { strategy: 'ep', keepCollaborative: 0.25, modalities: 'optical' } },
  { tier: 'ks', options: { strategy: 'ks', modalities: 'optical' } },
  { tier: 'ka', options: { strategy: 'ka', modalities: 'optical' } },
  { tier: 'kc', options: { strategy: 'kc', modalities: 'optical' } },
];

/** Bytes of the package and of what its optical entry reads (graph + weight files). */
function bytesOf(m: PackageManifest): { pkg: number; optical: number } {
  const e = m.entries.find((x) => x.name === 'optical')!;
  return {
    pkg: Object.values(m.files).reduce((s, f) => s + f.size, 0),
    optical: [e.graph, ...e.weightFiles].reduce((s, f) => s + m.files[f]!.size, 0),
  };
}

export const bench: Bench = {
  name: 'prune-tiers',
  description:
    'ringmoe-small, optical: latency (onnxruntime CPU, 1 thread, batch 1) and bytes of sub-model, EP 0.25, ks, ka, kc relative to the full package',
  async run(log) {
    const fullDir = await benchPackage('ringmoe-small', {}, log);
    const full = await openPackage(fullDir, { verify: 'size' });
    const statsFile = join(fullDir, 'routing-stats.json');
    const stats = existsSync(statsFile) ? await readRoutingStats(statsFile) : undefined;
    if (stats?.stats.package.sha256 !== full.packageHash || !stats.stats.modalities.optical) {
      log('calibrating ringmoe-small on 8 generated optical frames (once)');
      await calibratePackage({ dir: fullDir, frames: generatedFrames(8, 0, 'calibration'), modalities: ['optical'] });
    }
    const tiers: { tier: string; dir: string; manifest: PackageManifest; report?: FidelityReport }[] = [
      { tier: 'full', dir: fullDir, manifest: full.manifest },
    ];
    for (const t of TIERS) {
      const dir = join(BENCH_CACHE, 'ringmoe-small-tiers', t.tier);
      let manifest: PackageManifest | undefined;
      if (existsSync(dir) && looksLikePackage(dir)) {
        const m = (await openPackage(dir, { verify: 'size' })).manifest;
        if (m.lineage[m.lineage.length - 1]!.sourcePackage === full.packageHash) manifest = m;
      }
      if (!manifest) {
        log(`pruning ${t.tier} (once; cached)`);
        const started = Date.now();
        manifest = (
          await prunePackage({
            dir: fullDir,
            outDir: dir,
            force: true,
            options: t.options,
            verify: 'size',
            evalFrames: generatedFrames(4, 0, 'eval'),
          })
        ).manifest!;
        log(`  ${t.tier}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
      const report = JSON.parse(await readFile(join(dir, FIDELITY_REPORT), 'utf8')) as FidelityReport;
      tiers.push({ tier: t.tier, dir, manifest, report });
    }
    const backend = new OrtBackend();
    const entry = full.manifest.entries.find((e) => e.name === 'optical')!;
    const feeds = randomFeeds(entry, 1, 21);
    // One intra-op thread per session: on a shared machine, thread scheduling noise otherwise swamps the differences.
    const sessions = await Promise.all(
      tiers.map((t) =>
        backend.load({
          graphPath: join(t.dir, t.manifest.entries.find((e) => e.name === 'optical')!.graph),
          threads: 1,
        }),
      ),
    );
    const samples = await interleave(
      Object.fromEntries(tiers.map((t, i) => [t.tier, () => sessions[i]!.run(feeds)])),
      21,
      3,
    );
    await Promise.all(sessions.map((s) => s.dispose()));
    const base = { ms: median(samples.full!), ...bytesOf(full.manifest) };
    const results: BenchResult[] = [];
    for (const t of tiers) {
      const ms = median(samples[t.tier]!);
      const b = bytesOf(t.manifest);
      const cos = t.report?.entries.find((e) => e.entry === 'optical')?.featureCosine.embedding?.mean;
      log(
        `${t.tier.padEnd(9)} ${ms.toFixed(1).padStart(7)} ms (${(ms / base.ms).toFixed(2)}x)  package ${(b.pkg / 2 ** 20).toFixed(1).padStart(6)} MiB (${(b.pkg / base.pkg).toFixed(3)}x)  optical entry ${(b.optical / 2 ** 20).toFixed(1).padStart(6)} MiB (${(b.optical / base.optical).toFixed(3)}x)  backbone ${(t.manifest.model.params.backbone / 1e6).toFixed(2)}M` +
          (cos !== undefined ? `  embedding cosine ${cos.toFixed(4)}` : ''),
      );
      results.push({
        name: `prune-tiers (${t.tier})`,
        ratio: {
          label: 'optical-entry latency / full package (onnxruntime CPU, 1 thread, batch 1)',
          value: ms / base.ms,
        },
        metrics: {
          medianMs: ms,
          fullMedianMs: base.ms,
          packageBytes: b.pkg,
          packageBytesRatio: b.pkg / base.pkg,
          opticalEntryBytes: b.optical,
          opticalEntryBytesRatio: b.optical / base.optical,
          backboneParams: t.manifest.model.params.backbone,
          ...(cos !== undefined ? { embeddingCosine: cos } : {}),
          rounds: samples[t.tier]!.length,
        },
      });
    }
    return results;
  },
};
