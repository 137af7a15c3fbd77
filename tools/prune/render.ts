/**
 * Text renderings of a prune plan (`prune --dry-run`) and of a fidelity report, as pure functions
 * of their inputs (snapshot-testable).
 */
import type { EntryFidelity } from '../fidelity/report.js';
import { formatBytes, formatCount, formatGflops, formatMs } from '../format/numbers.js';
import { table } from '../format/table.js';
import type { PrunePlan } from './plan-types.js';
import type { FidelityReport } from './prune.js';

function describeOptions(p: PrunePlan): string {
  const o = p.options;
  const parts = [`strategy ${o.strategy}`, `modalities ${o.modalities.join(', ')}`];
  if (o.keepCollaborative !== undefined) parts.push(`keep collaborative ${o.keepCollaborative}`);
  if (o.keepModal !== undefined) parts.push(`keep modal ${o.keepModal}`);
  if (o.fold !== undefined) parts.push(`fold ${o.fold}`);
  return parts.join(', ');
}

function blockRow(b: PrunePlan['blocks'][number]): (string | number)[] {
  const kinds = (ids: string[]) => {
    const count = (k: string) => ids.filter((id) => id.split('.')[2] === k).length;
    return [count('modal'), count('collaborative'), count('shared')];
  };
  const [modal, collab, shared] = kinds(b.keep);
  const routers = b.routers
    .filter((r) => r.action !== 'drop')
    .map((r) => {
      const short = r.id.split('.').slice(3).join('.');
      if (r.action === 'keep') return `${short} keep ${r.experts.length}`;
      const survivors = r.experts.map((e) => e.split('.').pop()).join(',');
      return `${short} ${r.action === 'slice' ? `slice→${r.experts.length} [${survivors}]` : `remove (keeps #${survivors})`}`;
    });
  const dense = b.dense ? `dense ${b.dense.dim}→${b.dense.hidden}→${b.dense.dim}` : '';
  return [b.id, modal!, collab!, shared!, b.drop.length, [dense, ...routers].filter(Boolean).join('; ') || '-'];
}

/** Lines of `prune --dry-run`: options, entries, per-block experts and routers, every file with its size, parameters. */
export function renderPrunePlan(p: PrunePlan): string[] {
  const lines: string[] = [];
  lines.push(
    `dry run: prune ${p.source.name} (${p.source.sha256.slice(0, 12)}…) — ${describeOptions(p)}; nothing is written`,
  );
  if (p.stats) lines.push(`routing statistics: ${p.stats.file} (sha256 ${p.stats.sha256.slice(0, 12)}…)`);
  lines.push(
    `modalities kept: ${p.modalities.kept.join(', ')}${p.modalities.dropped.length ? `; dropped: ${p.modalities.dropped.join(', ')}` : ''}`,
  );
  const e = p.entries;
  lines.push(
    `entries kept: ${[...e.copied.map((x) => `${x} (graph copied)`), ...e.regraphed.map((x) => `${x} (MoE re-emitted)`)].join(', ')}`,
  );
  if (e.dropped.length) lines.push(`entries dropped: ${e.dropped.join(', ')}`);
  lines.push('');
  lines.push(table(['block', 'modal', 'collab', 'shared', 'dropped', 'routers / dense'], p.blocks.map(blockRow)));
  lines.push('');
  const f = p.files;
  lines.push(
    `files: keep ${f.copy.length} (${formatBytes(p.bytes.copied)}), write ${f.write.length} (${formatBytes(p.bytes.written)}${f.write.some((w) => w.estimated) ? ', graphs estimated at their source size' : ''}), drop ${f.drop.length} (${formatBytes(p.bytes.dropped)})`,
  );
  const rows = [
    ...f.copy.map((x) => ['keep', x.path, formatBytes(x.size), '']),
    ...f.write.map((x) => ['write', x.path, `${x.estimated ? '≈' : ''}${formatBytes(x.size)}`, x.kind]),
    ...f.drop.map((x) => ['drop', x.path, formatBytes(x.size), x.reason ?? '']),
  ];
  const width = Math.max(...rows.map((r) => r[1]!.length));
  for (const [action, path, size, note] of rows)
    lines.push(`  ${action!.padEnd(5)}  ${path!.padEnd(width)}  ${size!.padStart(10)}  ${note}`.trimEnd());
  lines.push('');
  const s = p.selection;
  const sel = s.dense
    ? `dense, hidden ×${s.denseHiddenMultiple ?? 1}`
    : `${s.modalPerModality} modal/modality + ${s.collaborative} collaborative + ${s.shared} shared per block`;
  lines.push(`backbone parameters: ${formatCount(p.params.before)} → ${formatCount(p.params.after)} (${sel})`);
  return lines;
}

const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(1)}%`);
const num = (x: number | undefined, d = 4) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));

/** Rows of the fidelity table: one per entry. */
export function fidelityRows(entries: EntryFidelity[]): (string | number)[][] {
  return entries.map((e) => {
    const cos = Object.values(e.featureCosine);
    const minCos = cos.length ? Math.min(...cos.map((c) => c.min)) : undefined;
    return [
      e.entry,
      e.frames,
      num(e.featureCosine.embedding?.mean),
      num(minCos),
      pct(e.classificationTop1Agreement),
      pct(e.segmentationPixelAgreement),
      e.detection ? num(e.detection.f1, 3) : '-',
      pct(e.changePixelAgreement),
      num(e.depthRelativeError, 4),
    ];
  });
}

/** Lines of the human fidelity report. */
export function renderFidelity(r: FidelityReport): string[] {
  const lines: string[] = [];
  lines.push(
    `fidelity of ${r.candidate.name} against ${r.reference.name} on ${r.frames.count} held-out ${r.frames.source} frames:`,
  );
  lines.push(
    table(
      ['entry', 'frames', 'emb cos', 'min feat cos', 'top-1', 'pixel', 'det F1', 'change', 'depth err'],
      fidelityRows(r.entries),
    ),
  );
  lines.push(
    `parameters: backbone ${formatCount(r.params.backbone)} (was ${formatCount(r.params.referenceBackbone)}), heads ${formatCount(r.params.heads)}; ` +
      `bytes fp32 ${formatBytes(r.bytes.fp32)}, fp16 ${formatBytes(r.bytes.fp16)}, int8 ${formatBytes(r.bytes.int8)}; stored ${formatBytes(r.bytes.stored)} (was ${formatBytes(r.bytes.referenceStored)})`,
  );
  lines.push(
    `compute: ${formatGflops(r.compute.gflops * 1e9)} GFLOPs per frame on the active path (was ${formatGflops(r.compute.referenceGflops * 1e9)}; ${r.compute.lowering} lowering)`,
  );
  for (const l of r.latency ?? [])
    lines.push(
      `latency estimate on ${l.target} at ${l.precision}: ${formatMs(l.latencyMs)} ms (${l.basis}; an estimate, not a measurement)`,
    );
  return lines;
}
