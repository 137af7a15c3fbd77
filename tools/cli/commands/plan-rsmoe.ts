/**
 * `ringmoe-edge plan <rsmoe-package> --target <id>`: the RS-MoE branch of `plan` — weights and KV
 * cache per expert against the target's memory, and which expert subset fits.
 */
import { openPackage } from '../../../sdk/internal.js';
import type { RsMoeMemoryPlan } from '../../rsmoe/memory-plan.js';
import { type CommandIO } from '../io.js';
import { formatBytes } from '../../format/numbers.js';
import { table } from '../../format/table.js';

export interface RsMoePlanResult extends RsMoeMemoryPlan {
  rsmoe: true;
  package: string;
  target: string;
}

export async function runRsMoePlan(dir: string, o: Record<string, unknown>): Promise<RsMoePlanResult> {
  const { loadTarget, modelMemoryBudget } = await import('../../../sdk/internal.js');
  const { planRsMoeMemory } = await import('../../rsmoe/memory-plan.js');
  const target = await loadTarget(String(o.target));
  const pkg = await openPackage(dir, { verify: 'size' });
  let budget = modelMemoryBudget(target);
  if (o.maxMemoryMb !== undefined) {
    const mb = Number(o.maxMemoryMb);
    const { invalidOption } = await import('../../../sdk/internal.js');
    if (!Number.isFinite(mb) || mb <= 0) throw invalidOption('--max-memory-mb', 'a positive number', o.maxMemoryMb);
    budget = Math.min(budget, mb * 2 ** 20);
  }
  return { rsmoe: true, package: pkg.manifest.name, target: target.id, ...planRsMoeMemory(pkg.manifest, budget) };
}

export function renderRsMoePlan(r: RsMoePlanResult, io: CommandIO): void {
  io.out(
    `${r.package} on ${r.target}: model memory budget ${formatBytes(r.budgetBytes)}; vision + tokenizer ${formatBytes(r.visionBytes)}`,
  );
  io.out(
    table(
      ['expert', 'weights', 'KV / token', 'context', 'KV at context'],
      r.experts.map((e) => [
        e.id,
        formatBytes(e.weightBytes),
        formatBytes(e.kvBytesPerToken),
        String(e.contextTokens),
        formatBytes(e.kvBytes),
      ]),
    ),
  );
  for (const s of r.subsets)
    io.out(`  ${s.experts.join(' + ')}: ${formatBytes(s.bytes)} ${s.fits ? 'fits' : 'does not fit'}`);
  io.out(
    r.recommended
      ? `keep: ${r.recommended.join(',')}  (ringmoe-edge prune <pkg> --experts ${r.recommended.join(',')} -o <out>)`
      : 'no expert subset fits; quantize the experts (quantize --precision int4) or pick a larger target',
  );
}
