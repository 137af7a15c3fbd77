/**
 * `ringmoe-edge convert <checkpoint> -o <dir>`: a trained checkpoint (released RingMoE names in a
 * MindSpore .ckpt or safetensors file, or a dense Hugging Face SwinV2 with `--from swin`) into a
 * model package.
 */
import { expectInteger, expectOneOf } from '../../../sdk/internal.js';
import { EdgeError } from '../../../sdk/internal.js';
import type { ModelInfo } from '../../../sdk/internal.js';
import type { CommandSpec } from '../command.js';
import { formatBytes } from '../../format/numbers.js';

interface Result {
  checkpoint: string;
  format: string;
  family: string;
  attention: string;
  /** Block MLPs: `moe` (expert stacks and routers) or `dense` (a collapsed checkpoint: one FFN per block). */
  mlp: string;
  config: string;
  configOrigin: string;
  guessed: string[];
  dryRun: boolean;
  out?: string;
  entries?: string[];
  bytes?: number;
  /** Package tensors per transform (copy, transpose, slice, ...). */
  transforms: Record<string, number>;
  ignored: string[];
  initialised: { tensor: string; value: number; reason?: string }[];
  seeded: { tensor: string; reason?: string }[];
  untrainedHeads: string[];
  /** The whole plan (dry run only): package tensor ← transform(sources). */
  feeds?: { target: string; dims: number[]; transform: string; sources: string[] }[];
}

/**
 * Reads and checks a `--preprocessing` file (the manifest's `model.preprocessing` form).
 * @throws EdgeError E_CONFIG naming the file and the field
 */
async function readPreprocessing(file: string, modalities: string[] | undefined): Promise<ModelInfo['preprocessing']> {
  const { readRegular } = await import('../../../sdk/internal.js');
  const { parseJsonBounded } = await import('../../../sdk/internal.js');
  const { preprocessingProblems } = await import('../../../sdk/internal.js');
  const bytes = await readRegular(file, { maxBytes: 1 << 20 });
  const value = parseJsonBounded(bytes, { maxBytes: 1 << 20, maxDepth: 8 }, { file, what: '--preprocessing file' });
  const problems = preprocessingProblems(value, modalities ?? Object.keys((value ?? {}) as object));
  if (problems.length)
    throw new EdgeError(
      'E_CONFIG',
      `--preprocessing ${file}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
      { file, field: problems[0]!.field },
    );
  return value as ModelInfo['preprocessing'];
}

export const spec: CommandSpec<Result> = {
  name: 'convert',
  summary:
    'convert a trained checkpoint (MindSpore .ckpt or safetensors; released RingMoE names, or a dense SwinV2 to upcycle) into a package',
  examples: [
    'ringmoe-edge convert ringmoe.ckpt -o pkg/trained --config training/configs/statlog-ms.json',
    'ringmoe-edge convert model.safetensors -o pkg/x --dry-run',
    'ringmoe-edge convert swinv2-tiny.safetensors --from swin --config upcycle.json -o pkg/upcycled --seed 3 --allow-untrained-heads',
  ],
  configure(cmd) {
    cmd
      .argument('<checkpoint>', 'checkpoint file (.ckpt or .safetensors; the format is read from the content)')
      .option('-o, --out <dir>', 'output package directory (not needed with --dry-run)')
      .option(
        '--config <config>',
        'named config or JSON config file the checkpoint was trained with (default: inferred from its shapes)',
      )
      .option('--format <format>', 'force the reader: ckpt or safetensors')
      .option(
        '--from <family>',
        'swin: upcycle a dense Hugging Face SwinV2 checkpoint (every expert a copy of the FFN)',
      )
      .option(
        '--seed <n>',
        'seed of what the checkpoint does not hold (routers when upcycling, allowed untrained heads)',
        '0',
      )
      .option(
        '--allow-untrained-heads',
        'seed task heads the checkpoint lacks (listed in the lineage) instead of refusing',
      )
      .option(
        '--preprocessing <file>',
        "JSON file of how frames were preprocessed in training (per modality: stretch, interpolation, fit, statistics, sensor), recorded as the package's model.preprocessing",
      )
      .option('--lowering <kind>', 'routed experts: sparse (gather/scatter) or dense (one-hot mask)', 'sparse')
      .option('--dry-run', 'print the conversion plan; write nothing')
      .option('--force', 'replace the output directory if it exists');
  },
  async run([checkpoint], o, io) {
    const { convertCheckpoint } = await import('../../convert/convert.js');
    const { loadConfigArg } = await import('../../ringmoe/config-file.js');
    const dryRun = Boolean(o.dryRun);
    if (!dryRun && o.out === undefined)
      throw new EdgeError('E_INVALID_ARGUMENT', 'give the output package directory (-o <dir>), or --dry-run', {
        field: '--out',
      });
    const format =
      o.format === undefined ? undefined : expectOneOf('--format', o.format, ['ckpt', 'safetensors'] as const);
    const from = o.from === undefined ? undefined : expectOneOf('--from', o.from, ['swin'] as const);
    const seed = expectInteger('--seed', Number(o.seed), 0, 2 ** 31 - 1);
    const lowering = expectOneOf('--lowering', o.lowering, ['sparse', 'dense'] as const);
    const config = o.config === undefined ? undefined : await loadConfigArg(String(o.config));
    const preprocessing =
      o.preprocessing === undefined
        ? undefined
        : await readPreprocessing(
            String(o.preprocessing),
            config?.modalities.map((m) => m.id),
          );
    let progress: ReturnType<typeof io.progress> | undefined;
    const r = await convertCheckpoint({
      checkpoint: checkpoint!,
      ...(format ? { format } : {}),
      ...(from ? { from } : {}),
      ...(config ? { config } : {}),
      allowUntrainedHeads: Boolean(o.allowUntrainedHeads),
      dryRun,
      ...(o.out !== undefined ? { outDir: String(o.out) } : {}),
      force: Boolean(o.force),
      seed,
      lowering,
      ...(preprocessing ? { preprocessing } : {}),
      onTensor: (done, total, name) => {
        progress ??= io.progress(`converting ${checkpoint}`, total, 'tensors');
        progress.update(done, total, name);
      },
    }).finally(() => progress?.stop());
    const p = r.plan;
    const transforms: Record<string, number> = {};
    for (const f of p.feeds) transforms[f.transform.op] = (transforms[f.transform.op] ?? 0) + 1;
    return {
      checkpoint: checkpoint!,
      format: p.format,
      family: p.family,
      attention: p.flavour,
      mlp: p.mlp,
      config: p.config.name,
      configOrigin: p.configOrigin,
      guessed: p.guessed ?? [],
      dryRun,
      ...(r.manifest
        ? {
            out: String(o.out),
            entries: r.manifest.entries.map((e) => e.name),
            bytes: Object.values(r.manifest.files).reduce((s, f) => s + f.size, 0),
          }
        : {}),
      transforms,
      ignored: p.ignored,
      initialised: p.feeds
        .filter((f) => f.transform.op === 'const')
        .map((f) => ({
          tensor: f.target,
          value: (f.transform as { value: number }).value,
          ...(f.reason ? { reason: f.reason } : {}),
        })),
      seeded: p.feeds
        .filter((f) => f.transform.op === 'seed')
        .map((f) => ({ tensor: f.target, ...(f.reason ? { reason: f.reason } : {}) })),
      untrainedHeads: p.untrainedHeads,
      ...(dryRun
        ? {
            feeds: p.feeds.map((f) => ({
              target: f.target,
              dims: f.dims,
              transform: f.transform.op,
              sources: f.sources.map((s) => s.name),
            })),
          }
        : {}),
    };
  },
  render(r, io) {
    io.out(
      `${r.checkpoint}: ${r.format}, ${r.family === 'swinv2-hf' ? 'Hugging Face SwinV2 (upcycled)' : 'released RingMoE names'}, attention ${r.attention}${r.mlp === 'dense' ? ', dense block MLPs (a collapsed model: one FFN per block, no routers)' : ''}; config ${r.config} (${r.configOrigin})`,
    );
    for (const g of r.guessed) io.out(`  guessed: ${g}`);
    if (r.feeds) {
      io.out('plan:');
      for (const f of r.feeds)
        io.out(`  ${f.target} [${f.dims}] ← ${f.transform}${f.sources.length ? `(${f.sources.join(', ')})` : ''}`);
    }
    io.out(
      `package tensors: ${Object.entries(r.transforms)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}`,
    );
    if (r.ignored.length) io.out(`ignored (${r.ignored.length}): ${r.ignored.join(', ')}`);
    for (const x of r.initialised) io.out(`initialised: ${x.tensor} = ${x.value}${x.reason ? ` (${x.reason})` : ''}`);
    if (r.seeded.length) io.out(`seeded from --seed (${r.seeded.length}): ${r.seeded.map((x) => x.tensor).join(', ')}`);
    if (r.untrainedHeads.length) io.out(`untrained heads (seeded): ${r.untrainedHeads.join(', ')}`);
    if (r.out)
      io.out(`wrote ${r.out}: ${r.entries!.length} entries (${r.entries!.join(', ')}), ${formatBytes(r.bytes!)}`);
    else io.out('dry run: nothing written');
  },
};
