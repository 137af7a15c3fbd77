/**
 * `ringmoe-edge plan --config <name>`: parameter accounting of the deployment tiers from a config
 * alone (nothing is materialised), with bytes at fp32/fp16/int8.
 */
import { EdgeError } from '../../../sdk/core/errors.js';
import type { TierFigure } from '../../ringmoe/params.js';
import type { CommandSpec } from '../command.js';
import { formatBytes, formatCount, table } from '../io.js';

interface Result {
  config: string;
  modality: string;
  tiers: TierFigure[];
}

export const spec: CommandSpec<Result> = {
  name: 'plan',
  summary: 'parameter counts and bytes of the deployment tiers (full / single-modality / EP / dense) of a config',
  examples: ['ringmoe-edge plan --config ringmoe-14.7b', 'ringmoe-edge plan --config ringmoe-14.7b --json'],
  configure(cmd) {
    cmd.option('--config <name>', 'named config or JSON config file').option('--modality <id>', 'modality of the single-modality tiers (default: the first)');
  },
  async run(_args, o) {
    if (o.config === undefined) throw new EdgeError('E_INVALID_ARGUMENT', 'plan needs --config <name> (a named config or a JSON file)', { field: '--config' });
    const { loadConfigArg } = await import('../../ringmoe/config-file.js');
    const { modalityOf } = await import('../../ringmoe/config.js');
    const { tierFigures } = await import('../../ringmoe/params.js');
    const config = await loadConfigArg(String(o.config));
    const modality = o.modality !== undefined ? modalityOf(config, String(o.modality)).id : config.modalities[0]!.id;
    return { config: config.name, modality, tiers: tierFigures(config, modality) };
  },
  render(r, io) {
    io.out(`${r.config}: deployment tiers (backbone parameters; single-modality tiers for ${r.modality})`);
    io.out(table(['tier', 'experts/block', 'params', 'fp32', 'fp16', 'int8'], r.tiers.map((t) => [t.tier, t.expertsPerBlock, formatCount(t.params), formatBytes(t.bytes.fp32), formatBytes(t.bytes.fp16), formatBytes(t.bytes.int8)])));
    for (const t of r.tiers) io.out(`  ${t.tier}: ${t.description}`);
  },
};
