/**
 * `ringmoe-edge inspect <package>`: entries, experts per block, bytes per precision.
 */
import type { InspectResult } from '../../package/inspect.js';
import type { CommandSpec } from '../command.js';
import { formatBytes, formatCount } from '../../format/numbers.js';
import { table } from '../../format/table.js';

export const spec: CommandSpec<InspectResult> = {
  name: 'inspect',
  summary: 'show a package: entries with inputs/outputs, experts per block, bytes per precision',
  examples: ['ringmoe-edge inspect pkg/tiny', 'ringmoe-edge inspect pkg/tiny --json'],
  configure(cmd) {
    cmd
      .argument('<package>', 'package directory')
      .option('--no-verify', 'skip hashing every file (sizes are still checked)');
  },
  async run([dir], o) {
    const { inspectPackage } = await import('../../package/inspect.js');
    return inspectPackage(dir!, { verify: o.verify === false ? 'size' : 'full' });
  },
  render(r, io) {
    io.out(
      `${r.name} (${r.kind}${r.configName ? `, ${r.configName}` : ''}) — ${r.precision}${r.lowering ? `, ${r.lowering} lowering` : ''}${r.inputSize ? `, input ${r.inputSize.height}x${r.inputSize.width}` : ''}${r.attention ? `, ${r.attention} attention` : ''}`,
    );
    io.out(`package sha256 ${r.packageHash}`);
    io.out(
      `parameters: backbone ${formatCount(r.params.backbone)}, heads ${formatCount(r.params.heads)}, total ${formatCount(r.params.total)}`,
    );
    io.out(
      `bytes: fp32 ${formatBytes(r.bytes.fp32)}, fp16 ${formatBytes(r.bytes.fp16)}, int8 ${formatBytes(r.bytes.int8)}; stored ${formatBytes(r.bytes.stored)}`,
    );
    io.out(`modalities: ${r.modalities.join(', ') || '(none declared)'}`);
    io.out('');
    io.out('entries:');
    for (const e of r.entries) {
      io.out(`  ${e.name} [${e.kind}] tasks: ${e.tasks.join(', ')}`);
      io.out(`    in:  ${e.inputs.join('; ')}`);
      io.out(`    out: ${e.outputs.join('; ')}`);
    }
    if (r.blocks.length) {
      io.out('');
      io.out('experts per block:');
      const rows = r.blocks.map((b) => {
        const by = (k: string) => b.experts.filter((e) => e.kind === k);
        const params = b.experts.reduce((s, e) => s + e.params, 0);
        return [
          b.id,
          b.dim,
          b.hidden,
          by('modal').length,
          by('collaborative').length,
          by('shared').length,
          by('dense').length,
          b.routers,
          formatCount(params),
        ];
      });
      io.out(table(['block', 'dim', 'hidden', 'modal', 'collab', 'shared', 'dense', 'routers', 'params'], rows));
    }
    io.out('');
    io.out(
      `lineage: ${r.lineage
        .map(
          (l) =>
            `${l.step}(${Object.entries(l.params)
              .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
              .join(', ')})`,
        )
        .join(' → ')}`,
    );
    if (r.routingStats) io.out('routing statistics: present (routing-stats.json; see --json)');
  },
};
