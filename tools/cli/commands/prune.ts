/**
 * `ringmoe-edge prune <package> -o <dir>`: a smaller package for a device — modality sub-model,
 * expert pruning (EP) or a dense collapse (ks/ka/kc) — with a fidelity report on held-out frames.
 * `--dry-run` prints the plan and writes nothing.
 */
import { EdgeError } from '../../../sdk/internal.js';
import { expectInteger, expectOneOf } from '../../../sdk/internal.js';
import type { PackageManifest } from '../../../sdk/internal.js';
import type { TargetPlan } from '../../planner/plan-target.js';
import type { WrittenPruneOptions } from '../../planner/prune-options.js';
import type { PrunePlan } from '../../prune/plan-types.js';
import { renderFidelity, renderPrunePlan } from '../../prune/render.js';
import type { LatencyEstimate } from '../../planner/package-latency.js';
import type { FidelityReport } from '../../prune/prune.js';
import type { CommandSpec } from '../command.js';
import { noteDeprecated } from '../deprecation.js';
import { addSensorOptions, readSensorFlags, sensorFor } from '../sensor-flags.js';
import { formatBytes, formatCount } from '../../format/numbers.js';
import { renderExpertPrune, runExpertPrune, type ExpertPruneResult } from './prune-rsmoe.js';

interface Result {
  dryRun: boolean;
  plan: PrunePlan;
  out?: string;
  name?: string;
  packageHash?: string;
  report?: FidelityReport;
}

export const spec: CommandSpec<Result | ExpertPruneResult> = {
  name: 'prune',
  optionFlags: { outDir: '--out', statsFile: '--stats' },
  nextStep(err) {
    const aboutStats = err.field === '--stats' || err.file?.endsWith('routing-stats.json') === true;
    if (!aboutStats || !['E_CALIBRATION', 'E_FILE_NOT_FOUND', 'E_STATS_MISMATCH'].includes(err.code)) return undefined;
    const modality = /no frames of modality (\S+);/.exec(err.message)?.[1];
    return `ringmoe-edge calibrate <package> --frames <spec>${modality !== undefined ? ` --modality ${modality}` : ''}`;
  },
  summary: 'prune a package for a device: modality sub-model, expert pruning (EP) or dense collapse (ks/ka/kc)',
  examples: [
    'ringmoe-edge prune pkg/small -o pkg/small-optical --modalities optical',
    'ringmoe-edge calibrate pkg/small --frames frames/ && ringmoe-edge prune pkg/small -o pkg/small-ep --strategy ep --keep-collaborative 0.25 --modalities optical',
    'ringmoe-edge prune pkg/small -o pkg/small-dense --strategy ka --modalities sar-l2 --dry-run',
    'ringmoe-edge plan pkg/small --target jetson-orin-nano-8gb --modalities optical -o plan.json && ringmoe-edge prune pkg/small --plan plan.json -o pkg/small-nano',
    'ringmoe-edge prune pkg/rsmoe --experts theme,objects -o pkg/rsmoe-2',
  ],
  configure(cmd) {
    cmd
      .argument('<package>', 'source package directory')
      .option('-o, --out <dir>', 'output package directory (not needed with --dry-run)')
      .option(
        '--plan <file>',
        'apply a plan saved by `plan <package> --target <id> -o <file>` (instead of the strategy flags)',
      )
      .option('--strategy <name>', 'modality | ep | ks | ka | kc (default modality)')
      .option('--modalities <list>', 'modalities to keep, comma-separated (default: all; ks/ka/kc take exactly one)')
      .option(
        '--keep-collaborative <F>',
        "ep: fraction of collaborative experts kept per block, in (0, 1] (default 0.25: the paper's 1 of 4)",
      )
      .option('--keep-modal <F>', 'ep: fraction of modal experts kept per block and modality, in (0, 1] (default 1)')
      .option(
        '--fold <mode>',
        'ks/ka: auto (default) | aligned (upcycled experts) | importance | concat (exact sum, width 3h)',
      )
      .option('--stats <file>', 'routing statistics (default: routing-stats.json in the package)')
      .option(
        '--eval-frames <spec>',
        'held-out frames for the fidelity report: <file|dir|glob> of sensor images or preprocessed .npy tensors (never the calibration frames), or generated[:<count>[:<seed>]] (default generated:8)',
      )
      .option('--eval-fit <mode>', 'how --eval-frames images become model inputs: resize, resize-crop, tile', 'resize')
      .option('--eval-generated <n>', 'deprecated: --eval-frames generated:<n>')
      .option('--target <id>', "add the planner's latency estimate for this device target to the fidelity report")
      .option('--name <name>', 'name of the pruned package')
      .option('--dry-run', 'print what would be kept, written and dropped, with sizes; write nothing')
      .option('--no-verify', 'skip hashing the source package (sizes are still checked)')
      .option('--force', 'replace the output directory if it exists')
      .option('--experts <ids>', 'RS-MoE packages: the experts to keep, comma-separated (e.g. theme,objects)');
    addSensorOptions(cmd, 'the --eval-frames images');
  },
  async run([dir], o, io) {
    if (o.experts !== undefined) return runExpertPrune(dir!, o);
    const { prunePackage } = await import('../../prune/prune.js');
    const { framesFromSpec } = await import('../../frames/frame.js');
    const dryRun = Boolean(o.dryRun);
    if (!dryRun && o.out === undefined)
      throw new EdgeError('E_INVALID_ARGUMENT', 'prune needs -o <dir> (or --dry-run)', { field: '--out' });
    let written: WrittenPruneOptions = {
      strategy: o.strategy !== undefined ? String(o.strategy) : 'modality',
      ...(o.modalities !== undefined ? { modalities: String(o.modalities) } : {}),
      ...(o.keepCollaborative !== undefined ? { keepCollaborative: String(o.keepCollaborative) } : {}),
      ...(o.keepModal !== undefined ? { keepModal: String(o.keepModal) } : {}),
      ...(o.fold !== undefined ? { fold: String(o.fold) } : {}),
    };
    let plan: TargetPlan | undefined;
    if (o.plan !== undefined) {
      const clash = ['strategy', 'modalities', 'keepCollaborative', 'keepModal', 'fold'].find(
        (k) => o[k] !== undefined,
      );
      if (clash)
        throw new EdgeError(
          'E_INVALID_ARGUMENT',
          `--plan sets the pruning; do not combine it with --${clash.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
          { field: '--plan' },
        );
      const { readTargetPlan } = await import('../../planner/plan-file.js');
      plan = await readTargetPlan(String(o.plan));
      const { strategy, modalities, keepCollaborative, keepModal, fold } = plan.prune;
      written = {
        strategy,
        modalities,
        ...(keepCollaborative !== undefined ? { keepCollaborative } : {}),
        ...(keepModal !== undefined ? { keepModal } : {}),
        ...(fold !== undefined ? { fold } : {}),
      };
    }
    const targetId = o.target !== undefined ? String(o.target) : plan?.target.id;
    let estimate: ((m: PackageManifest) => LatencyEstimate[]) | undefined;
    if (targetId !== undefined) {
      const { loadTarget } = await import('../../../sdk/internal.js');
      const { packageLatency } = await import('../../planner/package-latency.js');
      const target = await loadTarget(targetId);
      estimate = (m) => [packageLatency(m, target, plan?.choice.precision)];
      if (!['ks', 'ka', 'kc'].includes(String(written.strategy))) {
        // Routed experts keep the source's lowering: refuse before writing what the device cannot build.
        const { openPackage } = await import('../../../sdk/internal.js');
        const { assertBuildableOn } = await import('../../planner/lowering.js');
        const source = await openPackage(dir!, { verify: 'size' });
        await assertBuildableOn(source.dir, source.manifest, target, {
          step: `prune --strategy ${String(written.strategy)} for ${target.id}`,
        });
      }
    }
    const evalFit = expectOneOf('--eval-fit', o.evalFit, ['resize', 'resize-crop', 'tile'] as const);
    const sensor = await readSensorFlags(o);
    if (o.evalFrames !== undefined && o.evalGenerated !== undefined)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        'give --eval-frames alone (--eval-generated <n> is the old spelling of --eval-frames generated:<n>)',
        { field: '--eval-frames' },
      );
    if (o.evalGenerated !== undefined) noteDeprecated(io, '--eval-generated <n>', '--eval-frames generated:<n>');
    const evalSpec =
      o.evalFrames !== undefined
        ? String(o.evalFrames)
        : `generated:${o.evalGenerated !== undefined ? expectInteger('--eval-generated', Number(o.evalGenerated), 1, 10000) : 8}`;
    const named = await framesFromSpec(evalSpec, {
      field: 'evalFrames',
      purpose: 'eval',
      defaultCount: 8,
      fit: evalFit,
      ...(sensor ? { sensorFor: (m: string) => sensorFor(sensor, m) } : {}),
    });
    if (named.modality !== undefined)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `--eval-frames serve every kept modality; drop the ${named.modality} in ${JSON.stringify(evalSpec)}`,
        { field: '--eval-frames' },
      );
    const evalFrames = named.frames;
    const progress = dryRun ? undefined : io.progress('pruning', 1, 'steps');
    const r = await prunePackage({
      dir: dir!,
      ...(o.out !== undefined ? { outDir: String(o.out) } : {}),
      options: written,
      ...(plan ? { expectSource: { ...plan.model.package!, file: String(o.plan) } } : {}),
      ...(estimate ? { estimate } : {}),
      ...(o.stats !== undefined ? { statsFile: String(o.stats) } : {}),
      dryRun,
      force: Boolean(o.force),
      ...(o.name !== undefined ? { name: String(o.name) } : {}),
      evalFrames,
      verify: o.verify === false ? 'size' : 'full',
      ...(progress ? { onProgress: (d: number, t: number, l: string) => progress.update(d, t, l) } : {}),
    });
    progress?.stop();
    if (dryRun) return { dryRun, plan: r.plan };
    const { sha256File } = await import('../../../sdk/internal.js');
    const { join } = await import('node:path');
    return {
      dryRun,
      plan: r.plan,
      out: r.outDir!,
      name: r.manifest!.name,
      packageHash: await sha256File(join(r.outDir!, 'ringmoe.json')),
      ...(r.report ? { report: r.report } : {}),
    };
  },
  render(r, io) {
    if ('experts' in r) return renderExpertPrune(r, io);
    if (r.dryRun) {
      for (const l of renderPrunePlan(r.plan)) io.out(l);
      return;
    }
    const p = r.plan;
    io.out(`wrote ${r.name} to ${r.out} (package sha256 ${r.packageHash!.slice(0, 16)}…)`);
    io.out(
      `  ${p.options.strategy} of ${p.source.name}: entries ${[...p.entries.copied, ...p.entries.regraphed].join(', ')}; backbone ${formatCount(p.params.before)} → ${formatCount(p.params.after)}`,
    );
    io.out(
      `  files: ${p.files.copy.length} copied (${formatBytes(p.bytes.copied)}), ${p.files.write.length} written, ${p.files.drop.length} dropped (${formatBytes(p.bytes.dropped)})`,
    );
    if (r.report) {
      io.out('');
      for (const l of renderFidelity(r.report)) io.out(l);
    }
  },
};
