/**
 * `ringmoe-edge plan --config <name>`: parameter accounting of the deployment tiers from a config
 * alone (nothing is materialised), with bytes at fp32/fp16/int8.
 * `ringmoe-edge plan <package> --target <id> --modalities ...` (or `--config <name> --target <id>`):
 * chooses the pruning and precision that fit a device, explains the choice and the runners-up,
 * and with `-o plan.json` saves it for `prune --plan`.
 */
import { writeFile } from 'node:fs/promises';
import { EdgeError } from '../../../sdk/internal.js';
import type { TierFigure } from '../../ringmoe/params.js';
import type { HostMeasurement } from '../../planner/measure.js';
import type { TargetPlan } from '../../planner/plan-target.js';
import { renderTargetPlan } from '../../planner/render.js';
import type { CommandSpec } from '../command.js';
import { formatBytes, formatCount } from '../../format/numbers.js';
import { table } from '../../format/table.js';
import { renderRsMoePlan, runRsMoePlan, type RsMoePlanResult } from './plan-rsmoe.js';
import { isRsMoePackage } from './quantize-rsmoe.js';

interface TierResult {
  config: string;
  modality: string;
  tiers: TierFigure[];
}

type Result =
  TierResult | (TargetPlan & { saved?: string; packageDir?: string; measured?: HostMeasurement }) | RsMoePlanResult;

const list = (v: unknown) =>
  String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function positive(flag: string, v: unknown): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `Expected a positive number for ${flag} but received ${JSON.stringify(v)}`,
      { field: flag },
    );
  return n;
}

export const spec: CommandSpec<Result> = {
  name: 'plan',
  summary: 'tier accounting of a config, or the pruning and precision that fit a device (--target)',
  examples: [
    'ringmoe-edge plan --config ringmoe-14.7b',
    'ringmoe-edge plan --config ringmoe-14.7b --target jetson-orin-nano-8gb --modalities optical',
    'ringmoe-edge plan pkg/small --target jetson-orin-nx-8gb --modalities sar-l2 --max-latency-ms 50 -o plan.json',
    'ringmoe-edge plan pkg/tiny --target cpu-x86-64-onnxruntime --modalities optical --measure',
  ],
  configure(cmd) {
    cmd
      .argument('[package]', 'package directory to plan for (instead of --config)')
      .option('--config <name>', 'named config or JSON config file')
      .option('--modality <id>', 'tier accounting: modality of the single-modality tiers (default: the first)')
      .option('--target <id>', 'device target id, alias or profile path: plan the deployment for it')
      .option('--modalities <list>', 'modalities the device reads, comma-separated (default: all)')
      .option(
        '--tasks <list>',
        'tasks the device runs (classification, segmentation, detection, depth, features, change)',
      )
      .option('--max-latency-ms <n>', 'latency limit per frame (estimated)')
      .option(
        '--max-memory-mb <n>',
        'memory limit for the model (weights + activations + workspace), below the target budget',
      )
      .option('--precision <list>', 'precisions to consider (default: all the target supports)')
      .option('-o, --out <file>', 'save the plan as JSON for `prune --plan`')
      .option(
        '--measure [rounds]',
        "also time the package's entries on this host with onnxruntime (default 9 rounds) beside the estimate",
      );
  },
  async run(args, o, io) {
    const pkgDir = args[0];
    if (o.target !== undefined && (await isRsMoePackage(pkgDir))) return runRsMoePlan(pkgDir!, o);
    if (o.target === undefined) {
      if (o.config === undefined)
        throw new EdgeError(
          'E_INVALID_ARGUMENT',
          'plan needs --config <name> (a named config or a JSON file), or a package and --target',
          { field: '--config' },
        );
      const { loadConfigArg } = await import('../../ringmoe/config-file.js');
      const { modalityOf } = await import('../../ringmoe/config.js');
      const { tierFigures } = await import('../../ringmoe/params.js');
      const config = await loadConfigArg(String(o.config));
      const modality = o.modality !== undefined ? modalityOf(config, String(o.modality)).id : config.modalities[0]!.id;
      return { config: config.name, modality, tiers: tierFigures(config, modality) };
    }
    if ((pkgDir === undefined) === (o.config === undefined))
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        'plan --target needs exactly one of a package directory and --config <name>',
        { field: '--config' },
      );
    const { loadTarget } = await import('../../../sdk/internal.js');
    const { planForTarget } = await import('../../planner/plan-target.js');
    const { configModel, packageModel } = await import('../../planner/model-source.js');
    const target = await loadTarget(String(o.target));
    let model;
    let manifest;
    if (o.measure !== undefined && pkgDir === undefined)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        '--measure times a package: give a package directory instead of --config',
        { field: '--measure' },
      );
    if (pkgDir !== undefined) {
      const { openPackage } = await import('../../../sdk/internal.js');
      const pkg = await openPackage(pkgDir, { verify: 'size' });
      manifest = pkg.manifest;
      model = packageModel(pkg.manifest, pkg.packageHash);
    } else {
      const { loadConfigArg } = await import('../../ringmoe/config-file.js');
      model = configModel(await loadConfigArg(String(o.config)));
    }
    const plan = planForTarget({
      model,
      target,
      modalities: o.modalities !== undefined ? list(o.modalities) : model.current.modalities,
      ...(o.tasks !== undefined ? { tasks: list(o.tasks) as never } : {}),
      ...(o.maxLatencyMs !== undefined ? { maxLatencyMs: positive('--max-latency-ms', o.maxLatencyMs) } : {}),
      ...(o.maxMemoryMb !== undefined ? { maxMemoryMb: positive('--max-memory-mb', o.maxMemoryMb) } : {}),
      ...(o.precision !== undefined ? { precisions: list(o.precision) as never } : {}),
    });
    if (o.out !== undefined) await writeFile(String(o.out), `${JSON.stringify(plan, null, 2)}\n`);
    let measured: HostMeasurement | undefined;
    if (o.measure !== undefined && manifest) {
      const rounds = o.measure === true ? 9 : positive('--measure', o.measure);
      if (!Number.isInteger(rounds) || rounds > 1000)
        throw new EdgeError(
          'E_INVALID_ARGUMENT',
          `Expected a whole number of rounds (1-1000) for --measure but received ${JSON.stringify(o.measure)}`,
          { field: '--measure' },
        );
      const { measureOnHost } = await import('../../planner/measure.js');
      const progress = io.progress('timing entries with onnxruntime', 1, 'runs');
      measured = await measureOnHost(pkgDir!, manifest, model, target, plan.modalities, rounds, (d, t) =>
        progress.update(d, t),
      );
      progress.stop();
    }
    return {
      ...plan,
      ...(o.out !== undefined ? { saved: String(o.out) } : {}),
      ...(pkgDir !== undefined ? { packageDir: pkgDir } : {}),
      ...(measured ? { measured } : {}),
    };
  },
  render(r, io) {
    if ('rsmoe' in r) return renderRsMoePlan(r, io);
    if ('tiers' in r) {
      io.out(`${r.config}: deployment tiers (backbone parameters; single-modality tiers for ${r.modality})`);
      io.out(
        table(
          ['tier', 'experts/block', 'params', 'fp32', 'fp16', 'int8'],
          r.tiers.map((t) => [
            t.tier,
            t.expertsPerBlock,
            formatCount(t.params),
            formatBytes(t.bytes.fp32),
            formatBytes(t.bytes.fp16),
            formatBytes(t.bytes.int8),
          ]),
        ),
      );
      for (const t of r.tiers) io.out(`  ${t.tier}: ${t.description}`);
      return;
    }
    for (const l of renderTargetPlan(r, r.packageDir)) io.out(l);
    if (r.measured) {
      const m = r.measured;
      io.out('');
      io.out(
        `measured on this host (${m.host}; onnxruntime, fp32 package, batch 1)${m.hostIsTarget ? '' : ` — not ${r.target.id}: the host does not stand for the target`}:`,
      );
      io.out(
        table(
          [
            'entry',
            'measured ms (fastest)',
            'median ms',
            'estimate ms',
            'measured / estimate',
            'uncalibrated estimate ms',
          ],
          m.entries.map((e) => [
            e.entry,
            `${e.minMs.toFixed(2)} (of ${e.rounds} runs)`,
            e.medianMs.toFixed(2),
            `${e.estimateMs.toFixed(2)}${e.calibrated ? '' : ' (uncalibrated)'}`,
            `×${e.ratio.toFixed(2)}`,
            e.rawEstimateMs.toFixed(3),
          ]),
        ),
      );
    }
    if (r.saved) io.out(`plan saved to ${r.saved}`);
  },
};
