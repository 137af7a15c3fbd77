/**
 * The RingMoE paper's deployment tiers measured in accuracy, on the trained reference
 * (models/ringmoe-statlog-ms/package, Statlog Landsat, 6 classes): full, EP keeping 1 of 4 collaborative
 * experts (routing statistics from the training split), ks, ka, kc as the pruner makes them
 * (zero-shot: before fine-tuning), and ks, ka, kc after the recipe's distillation from the full
 * model (the committed packages models/ringmoe-statlog-ms-{ks,ka,kc}/package, converted from the
 * distilled checkpoints; a tier whose package is absent is said so and left out) — each in fp32,
 * int8 and fp16 — with test-split accuracy through the SDK runtime, parameters, bytes and CPU
 * latency (onnxruntime, 1 thread, batch 1, interleaved rounds), all in one run against the full
 * fp32 package. Needs ../shared/data (the Statlog CSV); without it the benchmark says so and
 * measures nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PackageManifest } from '../../sdk/package/package-manifest.js';
import { looksLikePackage, openPackage } from '../../sdk/package/open-package.js';
import { OrtBackend } from '../../sdk/runtime/backends/ort.js';
import { preprocessFrame } from '../../sdk/sensors/preprocess/preprocess.js';
import { calibratePackage } from '../../tools/calibrate/calibrate.js';
import type { Frame as ToolFrame } from '../../tools/frames/frame.js';
import { DATASETS } from '../../tools/evaluate/datasets.js';
import { evaluateClassifier } from '../../tools/evaluate/evaluate.js';
import { readStatlogCsv, type LabelledDataset, type LabelledSample } from '../../tools/evaluate/statlog.js';
import { prunePackage } from '../../tools/prune/prune.js';
import type { WrittenPruneOptions } from '../../tools/planner/prune-options.js';
import type { RoutingStats } from '../../tools/calibrate/routing-stats.js';
import type { FrameSet, PreparedFrame } from '../../tools/frames/frame-set.js';
import { quantizePackage } from '../../tools/quantize/quantize-package.js';
import { REPO_ROOT, sharedData } from '../helpers/shared-data.js';
import { BENCH_CACHE, interleave, median, type Bench, type BenchResult } from './harness.js';

const PACKAGE = join(REPO_ROOT, 'models', 'ringmoe-statlog-ms', 'package');
const WORK = join(BENCH_CACHE, 'tier-accuracy');

const TIERS: { tier: string; options?: WrittenPruneOptions }[] = [
  { tier: 'full' },
  { tier: 'ep-1of4', options: { strategy: 'ep', keepCollaborative: 0.25 } },
  { tier: 'ks', options: { strategy: 'ks' } },
  { tier: 'ka', options: { strategy: 'ka' } },
  { tier: 'kc', options: { strategy: 'kc' } },
];
const PRECISIONS = ['fp32', 'int8', 'fp16'] as const;
/** The dense tiers after distillation (npm run train -- kc-statlog --strategy <tier>, then convert). */
const DISTILLED = ['ks', 'ka', 'kc'] as const;

/** What the recipe measured in PyTorch for a distilled tier (its metrics.json), if present. */
interface RecipeMetrics {
  epochs: number;
  collapsed_before_distillation: { test_acc: number };
  distilled: { test_acc: number };
}

function recipeMetrics(dir: string): RecipeMetrics | undefined {
  const file = join(dir, '..', 'metrics.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RecipeMetrics) : undefined;
}

/** The model input of one Statlog patch, preprocessed as the package declares. */
export async function prepare(s: LabelledSample, ds: LabelledDataset, m: PackageManifest): Promise<Float32Array> {
  const declared = m.model.preprocessing?.multispectral ?? {};
  const { width, height, bands } = ds.patch;
  const pre = await preprocessFrame(
    {
      id: String(s.row),
      modality: 'multispectral',
      timestamp: 0,
      pixels: { data: s.pixels, width, height, bands, dtype: 'uint8', layout: 'hwc' },
    },
    {
      inputSize: m.model.inputSize!,
      ...(declared.fit ? { fit: declared.fit } : {}),
      ...(declared.interpolation ? { interpolation: declared.interpolation } : {}),
      ...(declared.stretch ? { stretch: declared.stretch } : {}),
    },
  );
  return pre.batches[0]!.data;
}

function toolFrame(id: string, data: Float32Array): ToolFrame {
  return {
    id,
    source: 'real',
    note: 'Statlog patch, preprocessed as the package declares',
    inputs: async () => [data],
  };
}

export function preparedSet(
  source: string,
  tensors: { id: string; data: Float32Array }[],
  m: PackageManifest,
): FrameSet {
  const { height, width } = m.model.inputSize!;
  const frames: PreparedFrame[] = tensors.map((t) => ({
    id: t.id,
    modality: 'multispectral',
    origin: 'real',
    channels: 4,
    height,
    width,
    data: t.data,
  }));
  return { modality: 'multispectral', source, origin: 'real', frames };
}

function bytesOf(m: PackageManifest): number {
  return Object.values(m.files).reduce((s, f) => s + f.size, 0);
}

export const bench: Bench = {
  name: 'tier-accuracy',
  description:
    'trained ringmoe-statlog-ms: Statlog test accuracy, params, bytes and CPU latency of full / EP 1-of-4 / ks / ka / kc (zero-shot and distilled) in fp32, int8 and fp16',
  async run(log) {
    const csv = sharedData(DATASETS.statlog);
    if (!csv) {
      log(`SKIPPED: ${DATASETS.statlog} is not under ../shared/data (only beside a developer checkout)`);
      return [];
    }
    if (!looksLikePackage(PACKAGE)) {
      log('SKIPPED: models/ringmoe-statlog-ms/package is not a package in this checkout');
      return [];
    }
    const source = await openPackage(PACKAGE, { verify: 'size' });
    const m = source.manifest;
    const train = await readStatlogCsv(csv, 'train');
    const test = await readStatlogCsv(csv, 'test');
    log(
      `preparing ${train.samples.length} training and ${test.samples.length} test patches (${JSON.stringify(m.model.preprocessing?.multispectral ?? {})})`,
    );
    const trainTensors = await Promise.all(
      train.samples.map(async (s) => ({ id: `train#${s.row}`, data: await prepare(s, train, m) })),
    );
    const testTensors = await Promise.all(
      test.samples.map(async (s) => ({ id: `test#${s.row}`, data: await prepare(s, test, m) })),
    );

    // The full package, calibrated on the training split (routing statistics for EP), in a work copy.
    await rm(WORK, { recursive: true, force: true });
    await mkdir(WORK, { recursive: true });
    const fullDir = join(WORK, 'full-fp32');
    await cp(PACKAGE, fullDir, { recursive: true });
    log(`calibrating routing on the ${trainTensors.length} training patches`);
    const cal = await calibratePackage({
      dir: fullDir,
      frames: trainTensors.map((t) => toolFrame(t.id, t.data)),
      modalities: ['multispectral'],
      batch: 64,
    });
    const usage = routingUsage(cal.stats);
    for (const line of usage) log(`  ${line}`);

    const evalFrames = testTensors.slice(0, 64).map((t) => toolFrame(t.id, t.data));
    const calibration = [preparedSet('statlog train (first 256)', trainTensors.slice(0, 256), m)];
    const heldOut = [preparedSet('statlog test (first 64)', testTensors.slice(0, 64), m)];
    const rows: {
      tier: string;
      precision: string;
      dir: string;
      manifest: PackageManifest;
      method?: string;
      recipe?: RecipeMetrics;
    }[] = [];
    const sources: { tier: string; dir: string; recipe?: RecipeMetrics }[] = [];
    for (const t of TIERS) {
      let dir = fullDir;
      if (t.options) {
        dir = join(WORK, `${t.tier}-fp32`);
        log(`pruning ${t.tier}`);
        await prunePackage({ dir: fullDir, outDir: dir, options: t.options, evalFrames, verify: 'size' });
      }
      sources.push({ tier: t.tier, dir });
    }
    for (const tier of DISTILLED) {
      const dir = join(REPO_ROOT, 'models', `ringmoe-statlog-ms-${tier}`, 'package');
      if (!looksLikePackage(dir)) {
        log(
          `${tier}+distil: models/ringmoe-statlog-ms-${tier}/package is not in this checkout; left out (npm run train -- kc-statlog --strategy ${tier}, then convert: BENCHMARKS.md)`,
        );
        continue;
      }
      const recipe = recipeMetrics(dir);
      sources.push({ tier: `${tier}+distil`, dir, ...(recipe ? { recipe } : {}) });
    }
    for (const { tier, dir, recipe } of sources) {
      const manifest = (await openPackage(dir, { verify: 'size' })).manifest;
      rows.push({ tier, precision: 'fp32', dir, manifest, ...(recipe ? { recipe } : {}) });
      for (const precision of PRECISIONS.slice(1)) {
        const out = join(WORK, `${tier}-${precision}`);
        log(`quantizing ${tier} to ${precision}`);
        const q = await quantizePackage({
          source: dir,
          outDir: out,
          precision: precision as 'int8' | 'fp16',
          ...(precision === 'int8' ? { method: 'max' as const } : {}),
          calibration: precision === 'int8' ? calibration : [],
          heldOut,
          latencyRounds: 0,
        });
        rows.push({
          tier,
          precision,
          dir: out,
          manifest: q.manifest,
          ...(precision === 'int8' ? { method: 'max' } : {}),
        });
      }
    }

    const accuracy: Record<string, number> = {};
    for (const r of rows) {
      const rep = await evaluateClassifier(
        r.dir,
        { name: 'statlog', samples: test.samples, patch: test.patch },
        { batch: 64, threads: 1, verify: 'size' },
      );
      accuracy[`${r.tier}/${r.precision}`] = rep.metrics.accuracy;
      const pt =
        r.recipe && r.precision === 'fp32'
          ? ` (PyTorch after ${r.recipe.epochs} epochs: ${(100 * r.recipe.distilled.test_acc).toFixed(2)} %; its collapse before them: ${(100 * r.recipe.collapsed_before_distillation.test_acc).toFixed(2)} %)`
          : '';
      log(`${`${r.tier} ${r.precision}`.padEnd(18)} accuracy ${(100 * rep.metrics.accuracy).toFixed(2)} %${pt}`);
    }

    // CPU latency, batch 1, one intra-op thread, interleaved rounds.
    const backend = new OrtBackend();
    const entryOf = (mm: PackageManifest) => mm.entries.find((e) => e.modalities[0] === 'multispectral')!;
    const sessions = await Promise.all(
      rows.map((r) => backend.load({ graphPath: join(r.dir, entryOf(r.manifest).graph), threads: 1 })),
    );
    const { height, width } = m.model.inputSize!;
    const input = entryOf(m).inputs[0]!.name;
    const feeds = { [input]: { dtype: 'float32' as const, shape: [1, 4, height, width], data: testTensors[0]!.data } };
    const samples = await interleave(
      Object.fromEntries(
        rows.map((r, i) => [`${r.tier}/${r.precision}`, () => sessions[i]!.run(feeds, ['cls_logits'])]),
      ),
      41,
      5,
    );
    await Promise.all(sessions.map((s) => s.dispose()));

    const base = {
      acc: accuracy['full/fp32']!,
      ms: median(samples['full/fp32']!),
      bytes: bytesOf(rows[0]!.manifest),
      params: rows[0]!.manifest.model.params.backbone,
    };
    const results: BenchResult[] = [];
    log('');
    log('tier         precision  accuracy  Δ vs full fp32  backbone params  bytes        latency (1 thread, batch 1)');
    for (const r of rows) {
      const key = `${r.tier}/${r.precision}`;
      const acc = accuracy[key]!;
      const ms = median(samples[key]!);
      const bytes = bytesOf(r.manifest);
      const params = r.manifest.model.params.backbone;
      log(
        `${r.tier.padEnd(12)} ${r.precision.padEnd(9)}  ${(100 * acc).toFixed(2).padStart(6)} %  ${((acc - base.acc) * 100).toFixed(2).padStart(7)} pts     ${(params / 1e6).toFixed(3)} M (${(params / base.params).toFixed(2)}x)  ${(bytes / 2 ** 20).toFixed(2)} MiB (${(bytes / base.bytes).toFixed(2)}x)  ${ms.toFixed(2)} ms (${(ms / base.ms).toFixed(2)}x)`,
      );
      results.push({
        name: `tier-accuracy (${r.tier}, ${r.precision})`,
        ratio: { label: 'Statlog test accuracy / full fp32 accuracy', value: acc / base.acc },
        metrics: {
          accuracy: acc,
          fullAccuracy: base.acc,
          deltaPoints: (acc - base.acc) * 100,
          backboneParams: params,
          paramsRatio: params / base.params,
          bytes,
          bytesRatio: bytes / base.bytes,
          medianMs: ms,
          latencyRatio: ms / base.ms,
          ...(r.method ? { int8Calibration: r.method } : {}),
          ...(r.recipe
            ? {
                distillEpochs: r.recipe.epochs,
                pytorchAccuracy: r.recipe.distilled.test_acc,
                pytorchBeforeDistillation: r.recipe.collapsed_before_distillation.test_acc,
              }
            : {}),
        },
      });
    }
    return results;
  },
};

/** One line per block and router: the share of tokens each expert got (specialisation at a glance). */
function routingUsage(stats: RoutingStats): string[] {
  const lines: string[] = [];
  for (const [modality, ms] of Object.entries(stats.modalities)) {
    for (const [block, b] of Object.entries(ms?.blocks ?? {})) {
      for (const [router, r] of Object.entries(b.routers)) {
        const total = r.counts.reduce((a, c) => a + c, 0) || 1;
        lines.push(
          `${modality} ${block} ${router.split('.').slice(2).join('.')}: ${r.counts.map((c) => `${((100 * c) / total).toFixed(0)}%`).join(' / ')}`,
        );
      }
    }
  }
  return lines;
}
