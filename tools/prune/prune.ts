/**
 * `prunePackage`: open → resolve options → load statistics → plan (pure) → (dry run: stop) →
 * apply → fidelity on held-out frames → manifest. What the `prune` command calls.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';
import type { PackageManifest } from '../../sdk/internal.js';
import { openPackage } from '../../sdk/internal.js';
import type { Frame } from '../frames/frame.js';
import type { EntryFidelity, FidelityOptions } from '../fidelity/report.js';
import { ROUTING_STATS_FILE } from '../package/inspect.js';
import { flops } from '../ringmoe/flops.js';
import { bytesAt } from '../package/param-bytes.js';
import type { LatencyEstimate } from '../planner/package-latency.js';
import { applyPrunePlan } from './apply.js';
import { packageFidelity, summariseFrames, type FrameSummary } from './fidelity.js';
import { resolvePruneOptions, type WrittenPruneOptions } from '../planner/prune-options.js';
import { prunePlan } from './plan.js';
import type { PrunePlan } from './plan-types.js';
import { readRoutingStats, type LoadedStats } from '../calibrate/routing-stats.js';
import { manifestConfig, manifestSelection } from '../ringmoe/manifest.js';

/** Path of the fidelity report inside a pruned package. */
export const FIDELITY_REPORT = 'reports/fidelity.json';

/** The fidelity report of a pruning (reports/fidelity.json, `--json`). */
export interface FidelityReport {
  format: 'ringmoe-edge/fidelity-report';
  reference: { name: string; sha256: string };
  candidate: { name: string };
  pruning: PrunePlan['options'];
  /** Held-out frames (never the calibration frames). */
  frames: FrameSummary & { heldOut: true };
  entries: EntryFidelity[];
  params: { backbone: number; heads: number; total: number; referenceBackbone: number };
  bytes: { fp32: number; fp16: number; int8: number; stored: number; referenceStored: number };
  /** Backbone GFLOPs of one frame's active path through a single-modality entry. */
  compute: { gflops: number; referenceGflops: number; lowering: 'sparse' | 'dense' };
  latency?: LatencyEstimate[];
}

/** What to prune, how, and where to write it. */
export interface PruneRequest {
  dir: string;
  /** Required unless `dryRun`. */
  outDir?: string;
  options: WrittenPruneOptions;
  /** Routing statistics (default: routing-stats.json in the package, when present). */
  statsFile?: string;
  dryRun?: boolean;
  force?: boolean;
  name?: string;
  /** Held-out frames for the fidelity report (default: 8 generated frames). */
  evalFrames?: Frame[];
  /**
   * Measure fidelity and write reports/fidelity.json (default true; the CLI always does). Off only
   * where the pruning itself is measured (benchmarks) — the package then carries no report.
   */
  evaluate?: boolean;
  fidelity?: FidelityOptions;
  /** Skip hashing the source's files (sizes are still checked). */
  verify?: 'full' | 'size';
  /** Refuse the source unless its manifest has this sha256 (a saved plan names the package it was made for). */
  expectSource?: { sha256: string; name: string; file: string };
  /** Latency estimates to add to the fidelity report, given the pruned manifest. */
  estimate?: (m: PackageManifest) => LatencyEstimate[];
  onProgress?: (done: number, total: number, label: string) => void;
}

/** The plan and, unless a dry run, the written package and its fidelity report. */
export interface PruneResult {
  plan: PrunePlan;
  outDir?: string;
  manifest?: PackageManifest;
  report?: FidelityReport;
}

/** Bytes of every file under `dir` (the package as written so far). */
async function storedBytes(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? await storedBytes(p) : (await stat(p)).size;
  }
  return n;
}

/**
 * Prunes the package in `r.dir` (or only plans it with `dryRun`).
 * @throws EdgeError E_INVALID_ARGUMENT, E_UNKNOWN_MODALITY, E_STATS_MISMATCH, E_CALIBRATION,
 *   E_PRUNE (also: a plan made for another package), E_OUTPUT_EXISTS, E_PACKAGE_* (source package damaged)
 */
export async function prunePackage(r: PruneRequest): Promise<PruneResult> {
  const source = await openPackage(r.dir, { verify: r.verify ?? 'full' });
  if (r.expectSource && r.expectSource.sha256 !== source.packageHash) {
    throw new EdgeError(
      'E_PRUNE',
      `the plan was made for package ${r.expectSource.name} (${r.expectSource.sha256.slice(0, 12)}…), not for ${source.manifest.name} (${source.packageHash.slice(0, 12)}…)`,
      {
        file: r.expectSource.file,
        hint: 'plan again against this package',
      },
    );
  }
  const options = resolvePruneOptions(r.options, source.manifest);
  const statsFile =
    r.statsFile ??
    (existsSync(join(source.dir, ROUTING_STATS_FILE)) ? join(source.dir, ROUTING_STATS_FILE) : undefined);
  const stats: LoadedStats | undefined = statsFile ? await readRoutingStats(statsFile) : undefined;
  const plan = prunePlan({ manifest: source.manifest, packageHash: source.packageHash }, options, stats);
  if (r.dryRun) return { plan };
  if (!r.outDir)
    throw new EdgeError('E_INVALID_ARGUMENT', 'prune needs an output directory (option outDir) unless option dryRun', {
      field: 'outDir',
    });

  // Frames (and the sensors module behind them) are loaded only when fidelity is measured.
  const frames =
    r.evaluate === false ? [] : (r.evalFrames ?? (await import('../frames/frame.js')).generatedFrames(8, 0, 'eval'));
  const calibrationIds = new Set(
    Object.values(stats?.stats.modalities ?? {}).flatMap((s) => s?.frames.map((f) => f.id) ?? []),
  );
  const reused = frames.filter((f) => calibrationIds.has(f.id));
  if (reused.length) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `fidelity must be measured on held-out frames, but ${reused.length} evaluation frame(s) were used for calibration (e.g. ${reused[0]!.id})`,
      { field: 'evalFrames' },
    );
  }
  const config = manifestConfig(source.manifest);
  let report: FidelityReport | undefined;
  const manifest = await applyPrunePlan(plan, source, {
    outDir: r.outDir,
    ...(r.force !== undefined ? { force: r.force } : {}),
    ...(r.name !== undefined ? { name: r.name } : {}),
    ...(r.onProgress ? { onProgress: r.onProgress } : {}),
    beforeFinalize: async (dir, draft) => {
      if (r.evaluate === false) return {};
      const candidate = {
        dir,
        manifest: { ...draft, format: 'ringmoe-edge/package', formatVersion: 1, files: {} } as PackageManifest,
      };
      const entries = await packageFidelity(source, candidate, frames, r.fidelity ? { fidelity: r.fidelity } : {});
      const stored = await storedBytes(dir);
      const lowering = source.manifest.model.lowering ?? 'sparse';
      report = {
        format: 'ringmoe-edge/fidelity-report',
        reference: { name: source.manifest.name, sha256: source.packageHash },
        candidate: { name: draft.name },
        pruning: plan.options,
        frames: { ...summariseFrames(frames), heldOut: true },
        entries,
        params: { ...draft.model.params, referenceBackbone: source.manifest.model.params.backbone },
        bytes: {
          ...bytesAt(draft.model.params.total),
          stored,
          referenceStored: Object.values(source.manifest.files).reduce((s, f) => s + f.size, 0),
        },
        compute: {
          gflops: flops(config, plan.selection, { lowering }).backbone / 1e9,
          referenceGflops:
            flops(
              config,
              { ...manifestSelection(source.manifest), modalities: plan.selection.modalities },
              { lowering },
            ).backbone / 1e9,
          lowering,
        },
        ...(r.estimate ? { latency: r.estimate(candidate.manifest) } : {}),
      };
      return { [FIDELITY_REPORT]: report };
    },
  });
  return { plan, outDir: r.outDir, manifest, ...(report ? { report } : {}) };
}
