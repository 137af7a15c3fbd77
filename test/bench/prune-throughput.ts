/**
 * Pruning throughput on a generated package of more than 2 GB (big experts), against a plain copy
 * of the same kept files in the same run, each in its own child process so its peak RSS (VmHWM)
 * can be read: pruning streams files and holds one tensor at a time, so its peak should stay near
 * a plain copy's plus the largest tensor, and its time should follow the kept bytes. A third
 * anchor copies and then sha256-hashes the same files, the least any package writer must do: the
 * headline is its speed against pruning's, which does the same for each kept file (a kernel copy,
 * then a hash of the copy), two files at a time, and hashes new files as it writes them (goal ≥ 0.9).
 */
import { execFile } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { looksLikePackage, openPackage } from '../../sdk/package/open-package.js';
import { calibratePackage } from '../../tools/calibrate/calibrate.js';
import { generatedFrames } from '../../tools/frames/frame.js';
import { resolvePruneOptions, type WrittenPruneOptions } from '../../tools/planner/prune-options.js';
import { prunePlan } from '../../tools/prune/plan.js';
import { readRoutingStats } from '../../tools/calibrate/routing-stats.js';
import { resolveConfig, stageGeometry } from '../../tools/ringmoe/config.js';
import { writeReferencePackage } from '../../tools/ringmoe/reference.js';
import { REPO_ROOT } from '../helpers/shared-data.js';
import { BENCH_CACHE, median, type Bench, type BenchResult } from './harness.js';

const exec = promisify(execFile);
const CHILD = join(REPO_ROOT, 'test/bench/prune-child.ts');

/** ringmoe-tiny's layout with 144-wide embeddings and 8 blocks: 2.3 GiB, 97% experts, 21 MiB largest tensor. */
const BIG = resolveConfig({
  base: 'ringmoe-tiny',
  name: 'bench-big-experts',
  embedDim: 144,
  depths: [2, 2, 2, 2],
  heads: [2, 4, 8, 16],
  mlpRatio: 4,
  cpbHidden: 16,
});

async function bigPackage(log: (l: string) => void): Promise<string> {
  const dir = join(BENCH_CACHE, 'bench-big-experts');
  if (!(existsSync(dir) && looksLikePackage(dir))) {
    log('generating bench-big-experts (2.3 GiB, once; cached in .cache/bench)');
    await writeReferencePackage({ config: BIG, outDir: dir, force: true });
  }
  if (!existsSync(join(dir, 'routing-stats.json')))
    await calibratePackage({ dir, frames: generatedFrames(2, 0, 'calibration'), modalities: ['optical'] });
  return dir;
}

type Mode = 'prune' | 'copy' | 'copy-hash';

async function child(
  mode: Mode,
  src: string,
  out: string,
  arg: string,
): Promise<{ ms: number; peakRssBytes: number; bytes: number }> {
  rmSync(out, { recursive: true, force: true });
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', CHILD, mode, src, out, arg], {
    cwd: REPO_ROOT,
    maxBuffer: 1 << 20,
  });
  rmSync(out, { recursive: true, force: true });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { ms: number; peakRssBytes: number; bytes: number };
}

const CASES: { name: string; options: WrittenPruneOptions }[] = [
  { name: 'sub-model optical', options: { modalities: 'optical' } },
  { name: 'sub-model optical+sar-l2', options: { modalities: 'optical,sar-l2' } },
  { name: 'EP 0.25 optical', options: { strategy: 'ep', keepCollaborative: 0.25, modalities: 'optical' } },
];

export const bench: Bench = {
  name: 'prune-throughput',
  description:
    'pruning a 2.3 GiB package (big experts) vs fs.copyFile (+ sha256) of the same kept files; peak RSS of each (child processes, VmHWM)',
  async run(log) {
    const dir = await bigPackage(log);
    const pkg = await openPackage(dir, { verify: 'size' });
    const total = Object.values(pkg.manifest.files).reduce((s, f) => s + f.size, 0);
    const largest = Math.max(...stageGeometry(BIG).map((g) => g.dim * g.hidden * 4));
    const stats = await readRoutingStats(join(dir, 'routing-stats.json'));
    log(`source ${(total / 2 ** 30).toFixed(2)} GiB; largest tensor ${(largest / 2 ** 20).toFixed(1)} MiB`);
    const results: BenchResult[] = [];
    for (const c of CASES) {
      const plan = prunePlan(pkg, resolvePruneOptions(c.options, pkg.manifest), stats);
      // The anchor copies the same files: the kept ones, and for every file pruning writes anew, its source counterpart when there is one.
      const files = [
        ...plan.files.copy.map((f) => f.path),
        ...plan.files.write.map((f) => f.path).filter((p) => p in pkg.manifest.files),
      ];
      const list = join(BENCH_CACHE, 'prune-throughput-files.json');
      writeFileSync(list, JSON.stringify(files));
      const out = join(BENCH_CACHE, 'prune-throughput-out');
      const modes: Mode[] = ['prune', 'copy', 'copy-hash'];
      const ms: Record<Mode, number[]> = { prune: [], copy: [], 'copy-hash': [] };
      const rss: Record<Mode, number[]> = { prune: [], copy: [], 'copy-hash': [] };
      let kept = 0;
      await child('prune', dir, out, JSON.stringify(c.options)); // warm the page cache
      for (let round = 0; round < 5; round++) {
        for (const mode of round % 2 ? [...modes].reverse() : modes) {
          const r = await child(mode, dir, out, mode === 'prune' ? JSON.stringify(c.options) : list);
          ms[mode].push(r.ms);
          rss[mode].push(r.peakRssBytes);
          if (mode === 'prune') kept = r.bytes;
        }
      }
      const p = median(ms.prune);
      const cp = median(ms.copy);
      const ch = median(ms['copy-hash']);
      const mb = kept / 2 ** 20;
      const rssP = Math.max(...rss.prune);
      const rssC = Math.max(...rss.copy);
      log(
        `${c.name}: kept ${mb.toFixed(0)} MiB; prune median ${p.toFixed(0)} ms (${((mb / p) * 1000).toFixed(0)} MiB/s), copy ${cp.toFixed(0)} ms, copy + sha256 ${ch.toFixed(0)} ms; ` +
          `peak RSS prune ${(rssP / 2 ** 20).toFixed(0)} MiB, copy ${(rssC / 2 ** 20).toFixed(0)} MiB`,
      );
      results.push({
        name: `prune-throughput (${c.name})`,
        ratio: {
          label:
            'speed: (copy + sha256 time) / prune time, same kept files, same run (prune: kernel copy + hash of each kept file, new files hashed as written)',
          value: ch / p,
          goal: '≥ 0.9',
        },
        metrics: {
          keptMiB: mb,
          sourceMiB: total / 2 ** 20,
          pruneMedianMs: p,
          copyMedianMs: cp,
          copyHashMedianMs: ch,
          pruneOverCopyHash: p / ch,
          pruneOverCopy: p / cp,
          pruneMiBps: (mb / p) * 1000,
          peakRssPruneMiB: rssP / 2 ** 20,
          peakRssCopyMiB: rssC / 2 ** 20,
          peakRssAboveCopyMiB: (rssP - rssC) / 2 ** 20,
          largestTensorMiB: largest / 2 ** 20,
          rounds: ms.prune.length,
        },
      });
    }
    return results;
  },
};
