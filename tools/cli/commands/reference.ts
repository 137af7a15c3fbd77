/**
 * `ringmoe-edge reference <config> -o <dir>`: writes a RingMoE package with seeded weights.
 */
import type { PackageManifest } from '../../../sdk/internal.js';
import { expectInteger, expectNumber, expectOneOf } from '../../../sdk/internal.js';
import type { CommandSpec } from '../command.js';
import { formatBytes, formatCount } from '../../format/numbers.js';

interface Result {
  dir: string;
  name: string;
  entries: string[];
  files: number;
  bytes: number;
  params: PackageManifest['model']['params'];
  seed: number;
  lowering: string;
  /** RingMoE packages: attention flavour and task heads. */
  attention?: string;
  tasks?: string[];
  /** RS-MoE packages: the experts, and that the weights are seeded (meaningless text). */
  experts?: string[];
  note?: string;
}

export const spec: CommandSpec<Result> = {
  name: 'reference',
  summary:
    'write a model package with deterministic seeded weights (ringmoe-tiny, ringmoe-small; rsmoe-tiny: the RS-MoE vision-language MoE)',
  examples: [
    'ringmoe-edge reference ringmoe-tiny -o pkg/tiny',
    'ringmoe-edge reference rsmoe-tiny -o pkg/rsmoe',
    'ringmoe-edge reference ringmoe-small -o pkg/small --seed 3 --lowering dense',
    'ringmoe-edge reference ringmoe-tiny -o pkg/tiny-v2-cls --attention v2 --tasks classification',
  ],
  configure(cmd) {
    cmd
      .argument('<config>', 'named config (ringmoe-tiny, ringmoe-small, ringmoe-14.7b) or a JSON config file')
      .requiredOption('-o, --out <dir>', 'output package directory')
      .option('--seed <n>', 'weight seed', '0')
      .option('--lowering <kind>', 'routed experts: sparse (gather/scatter) or dense (one-hot mask)', 'sparse')
      .option('--upcycled', 'sparse upcycling: every expert of a block is a copy of one FFN (= --expert-spread 0)')
      .option('--expert-spread <s>', 'distance between the experts of a block: 0 copies .. 1 independent', '0.3')
      .option(
        '--attention <flavour>',
        "window attention: v1 (the released RingMoE code's Swin v1) or v2 (SwinV2); default: the config's",
      )
      .option(
        '--tasks <list>',
        "comma-separated task heads the entries emit (classification,segmentation,detection,depth); default: the config's",
      )
      .option('--opset <n>', 'ONNX opset', '17')
      .option('--force', 'replace the output directory if it exists');
  },
  async run([configArg], o, io) {
    const { isRsMoeConfigName } = await import('../../rsmoe/config.js');
    if (isRsMoeConfigName(configArg!))
      return (await import('./reference-rsmoe.js')).runRsMoeReference(configArg!, o, io);
    const { loadConfigArg } = await import('../../ringmoe/config-file.js');
    const { checkConfig, TASK_HEADS } = await import('../../ringmoe/config.js');
    const { writeReferencePackage } = await import('../../ringmoe/reference.js');
    const config = await loadConfigArg(configArg!);
    if (o.attention !== undefined) config.attention = expectOneOf('--attention', o.attention, ['v1', 'v2'] as const);
    if (o.tasks !== undefined)
      config.tasks = String(o.tasks)
        .split(',')
        .map((x) => expectOneOf('--tasks', x.trim(), TASK_HEADS));
    checkConfig(config);
    const seed = expectInteger('--seed', Number(o.seed), 0, 2 ** 31 - 1);
    const lowering = expectOneOf('--lowering', o.lowering, ['sparse', 'dense'] as const);
    const opset = expectInteger('--opset', Number(o.opset), 17, 21);
    const progress = io.progress(`writing ${config.name}`, 1, 'entries');
    const m = await writeReferencePackage({
      config,
      outDir: String(o.out),
      seed,
      lowering,
      opset,
      upcycled: Boolean(o.upcycled),
      expertSpread: expectNumber('--expert-spread', Number(o.expertSpread), 0, 1),
      force: Boolean(o.force),
      onEntry: (done, total, name) => progress.update(done, total, name),
    });
    progress.stop();
    return {
      dir: String(o.out),
      name: m.name,
      entries: m.entries.map((e) => e.name),
      files: Object.keys(m.files).length + 1,
      bytes: Object.values(m.files).reduce((s, f) => s + f.size, 0),
      params: m.model.params,
      seed,
      lowering,
      attention: config.attention,
      tasks: config.tasks,
    };
  },
  render(r, io) {
    io.out(
      `wrote ${r.name} to ${r.dir}: ${r.entries.length} entries (${r.entries.join(', ')}), ${r.files} files, ${formatBytes(r.bytes)}`,
    );
    if (r.experts) {
      io.out(
        `parameters: vision + Q-Former ${formatCount(r.params.backbone)}, experts ${formatCount(r.params.heads)} (${r.experts.join(', ')}); seed ${r.seed}`,
      );
      if (r.note) io.note(r.note);
      return;
    }
    io.out(
      `parameters: backbone ${formatCount(r.params.backbone)}, heads ${formatCount(r.params.heads)}; seed ${r.seed}, ${r.lowering} lowering, ${r.attention} attention, task heads ${(r.tasks ?? []).join(', ')}`,
    );
  },
};
