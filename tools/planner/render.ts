/**
 * The planner's explanation for people: the choice, the budget it was measured against, and a
 * table of the candidates (one row per pruning, at its most telling precision) with the verdicts.
 */
import { formatBytes, formatCount, formatGflops, formatMs } from '../format/numbers.js';
import { table } from '../format/table.js';
import type { Candidate, TargetPlan } from './plan-target.js';

/** One candidate per pruning: the chosen one, else the first that fits, else the one missing least. */
export function summaryRows(plan: TargetPlan): Candidate[] {
  const groups = new Map<string, Candidate[]>();
  for (const c of plan.candidates) groups.set(c.label, [...(groups.get(c.label) ?? []), c]);
  const pick = (xs: Candidate[]) =>
    xs.find((x) => x === plan.choice) ??
    xs.find((x) => x.fits) ??
    [...xs].sort(
      (a, b) =>
        a.memory.needBytes / a.memory.budgetBytes +
        a.latency.ms / (a.latency.limitMs ?? Infinity) -
        (b.memory.needBytes / b.memory.budgetBytes + b.latency.ms / (b.latency.limitMs ?? Infinity)),
    )[0]!;
  return [...groups.values()].map(pick).sort((a, b) => a.rank - b.rank);
}

function misses(x: Candidate): string {
  return x.verdict.replace(/^rejected: /, '');
}

/** The apply command for the choice. */
export function pruneCommand(plan: TargetPlan, pkg = '<package>'): string {
  const p = plan.prune;
  const flags = [`--strategy ${p.strategy}`, `--modalities ${p.modalities}`];
  if (p.keepCollaborative !== undefined) flags.push(`--keep-collaborative ${p.keepCollaborative}`);
  if (p.keepModal !== undefined) flags.push(`--keep-modal ${p.keepModal}`);
  return `ringmoe-edge prune ${pkg} ${flags.join(' ')} -o <out>`;
}

/** Lines of `plan --target`. */
export function renderTargetPlan(plan: TargetPlan, pkgDir?: string): string[] {
  const c = plan.choice;
  const t = plan.target;
  const lines: string[] = [];
  const what = plan.model.package
    ? `package ${plan.model.package.name}`
    : `${plan.model.config} (config only, not materialised)`;
  lines.push(
    `plan for ${t.name} (${t.id}): ${what}; modalities ${plan.modalities.join(', ')}; tasks ${plan.tasks.join(', ')}`,
  );
  const limits = [
    plan.constraints.maxLatencyMs !== undefined ? `latency ≤ ${plan.constraints.maxLatencyMs} ms` : '',
    plan.constraints.maxMemoryMb !== undefined ? `memory ≤ ${plan.constraints.maxMemoryMb} MiB` : '',
  ].filter(Boolean);
  lines.push(
    `memory budget: ${formatBytes(t.memoryBytes)} − reserve ${formatBytes(t.reserveBytes)} (OS, runtime, camera pipeline) = ${formatBytes(t.budgetBytes)} for weights + activations + ${t.runtime === 'tensorrt' ? `TensorRT workspace (${formatBytes(c.memory.workspaceBytes)})` : `onnxruntime's session overhead (${formatBytes(c.memory.sessionOverheadBytes)})`}` +
      (limits.length ? `; limits: ${limits.join(', ')}` : ''),
  );
  lines.push(
    `choice: ${c.label} at ${c.precision} — ${formatCount(c.params.backbone)} backbone parameters; memory ${formatBytes(c.memory.needBytes)} of ${formatBytes(c.memory.budgetBytes)} ` +
      `(weights ${formatBytes(c.memory.weightsBytes)}, activations ${formatBytes(c.memory.activationsBytes)}); latency ≈ ${formatMs(c.latency.ms)} ms per frame (${c.latency.calibration ? `estimate calibrated on ${c.latency.calibration.basis === 'measured' ? 'measured runs' : 'a public benchmark'}` : 'uncalibrated estimate'}, ${formatGflops(c.latency.flops)} GFLOPs)`,
  );
  lines.push(
    plan.model.materialisable
      ? `apply: ${pruneCommand(plan, pkgDir)}   (or: prune ${pkgDir ?? '<package>'} --plan <this plan.json> -o <out>)`
      : `apply to a package of this architecture: ${pruneCommand(plan)}`,
  );
  const better = plan.candidates.filter((x) => x.rank < c.rank && x.label !== c.label);
  const sameHigher = plan.candidates.filter((x) => x.rank < c.rank && x.label === c.label);
  if (sameHigher.length)
    lines.push(`why ${c.precision}: ${sameHigher.map((x) => `${x.precision} misses (${misses(x)})`).join('; ')}`);
  if (better.length)
    lines.push(
      `why not less pruned: ${summaryRows({ ...plan, candidates: better })
        .map((x) => `${x.label} (${misses(x)} at ${x.precision})`)
        .join('; ')}`,
    );
  lines.push('');
  const rows = summaryRows(plan).map((x) => [
    x === c ? `> ${x.label}` : `  ${x.label}`,
    x.precision,
    formatCount(x.params.backbone),
    formatBytes(x.memory.weightsBytes),
    formatBytes(x.memory.needBytes),
    formatMs(x.latency.ms),
    x.verdict,
  ]);
  lines.push(
    table(
      [
        'candidate (best precision shown)',
        'precision',
        'backbone',
        'weights',
        'memory',
        'latency ms (est.)',
        'verdict',
      ],
      rows,
    ),
  );
  for (const n of plan.notes) lines.push(`note: ${n}`);
  return lines;
}
