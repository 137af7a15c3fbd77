/**
 * `ringmoe-edge prune <rsmoe-package> --experts theme,objects -o <dir>`: the RS-MoE branch of
 * `prune` — keep a subset of the experts (plan with --dry-run, then write).
 */
import { EdgeError } from '../../../sdk/internal.js';
import type { ExpertPrunePlan } from '../../rsmoe/prune-experts.js';
import { type CommandIO } from '../io.js';
import { formatBytes, formatCount } from '../../format/numbers.js';

export interface ExpertPruneResult {
  experts: true;
  dryRun: boolean;
  plan: ExpertPrunePlan;
  out?: string;
  name?: string;
}

export async function runExpertPrune(dir: string, o: Record<string, unknown>): Promise<ExpertPruneResult> {
  const clash = [
    'plan',
    'strategy',
    'modalities',
    'keepCollaborative',
    'keepModal',
    'fold',
    'stats',
    'evalFrames',
    'target',
  ].find((k) => o[k] !== undefined);
  if (clash)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `--experts prunes an RS-MoE package; do not combine it with --${clash.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
      { field: '--experts' },
    );
  const keep = String(o.experts)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const { openPackage } = await import('../../../sdk/internal.js');
  const { planExpertPrune, pruneExperts } = await import('../../rsmoe/prune-experts.js');
  if (o.dryRun) {
    const src = await openPackage(dir, { verify: o.verify === false ? 'size' : 'full' });
    return { experts: true, dryRun: true, plan: planExpertPrune(src.manifest, src.packageHash, keep) };
  }
  if (o.out === undefined)
    throw new EdgeError('E_INVALID_ARGUMENT', 'this option is required (or pass --dry-run)', { field: '--out' });
  const r = await pruneExperts({
    dir,
    outDir: String(o.out),
    keep,
    force: Boolean(o.force),
    ...(o.name !== undefined ? { name: String(o.name) } : {}),
  });
  return { experts: true, dryRun: false, plan: r.plan, out: String(o.out), name: r.manifest.name };
}

export function renderExpertPrune(r: ExpertPruneResult, io: CommandIO): void {
  const p = r.plan;
  io.out(
    `${r.dryRun ? 'would keep' : `wrote ${r.name} to ${r.out}: kept`} experts ${p.keep.join(', ')} of ${p.source.name}; dropped ${p.drop.join(', ') || 'none'}`,
  );
  io.out(
    `  parameters ${formatCount(p.params.before)} → ${formatCount(p.params.after)}; KV cache per generated token ${formatBytes(p.kvBytesPerToken.before)} → ${formatBytes(p.kvBytesPerToken.after)}`,
  );
  io.out(`  files: ${p.files.copy.length} kept, ${p.files.drop.length} dropped (${p.files.drop.join(', ') || '-'})`);
}
