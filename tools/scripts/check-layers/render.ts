/**
 * Readable text for a {@link LayersResult}: the problems grouped by rule (what `npm run lint`
 * shows), and with `report` the numbers of the whole tree (large files per folder, largest
 * functions, folder cycles, upward edges).
 */
import type { LayersResult, Problem, ProblemRule } from './check.js';

const TITLES: Record<ProblemRule, string> = {
  upward: 'imports that go up the layer order',
  'higher-tree': 'imports of a higher tree',
  'tree-entry': 'imports of a lower tree other than through its entries',
  unplaced: 'folders missing from the layer order',
  cycle: 'folders of different layers importing each other',
  'file-size': 'files over the size limit',
  'function-size': 'functions over the size limit',
};

const where = (p: Problem): string => (p.line === undefined ? p.file : `${p.file}:${p.line}`);

/** One line per importing file, `file  line → target, …` (deep imports are many), after the first message. */
function byFile(list: readonly Problem[]): string[] {
  const files = new Map<string, string[]>();
  for (const p of list) files.set(p.file, [...(files.get(p.file) ?? []), `${p.line ?? '?'} → ${p.target ?? '?'}`]);
  const rule = list[0] ? [`  (${list[0].message.replace(/^imports \S+; /, '')})`] : [];
  return [...rule, ...[...files].map(([file, targets]) => `  ${file}  ${targets.join(', ')}`)];
}

/** The problems, grouped by rule, and a one-line verdict last. */
export function renderProblems(result: LayersResult, configFile: string): string {
  const lines: string[] = [];
  for (const rule of Object.keys(TITLES) as ProblemRule[]) {
    const list = result.problems.filter((p) => p.rule === rule);
    if (list.length === 0) continue;
    lines.push(`${TITLES[rule]} (${list.length}):`);
    if (rule === 'tree-entry') lines.push(...byFile(list));
    else for (const p of list) lines.push(`  ${where(p)}  ${p.message}`);
    lines.push('');
  }
  const n = result.problems.length;
  lines.push(
    n === 0
      ? `layers ok: ${result.files} files, ${result.imports} imports within the trees of ${configFile}`
      : `layers: ${n} problem${n === 1 ? '' : 's'} in ${result.files} files (layer order: ${configFile})`,
  );
  return `${lines.join('\n')}\n`;
}

/** The numbers of the whole tree. */
export function renderReport(result: LayersResult): string {
  const lines: string[] = [];
  const total = result.largeFiles.reduce((s, l) => s + l.files.length, 0);
  lines.push(`files over ${result.maxFileLines} lines: ${total}`);
  for (const { layer, files } of result.largeFiles) {
    lines.push(
      `  ${layer} (${files.length}): ${files.map((f) => `${f.file.slice(layer.length + 1)} ${f.lines}`).join(', ')}`,
    );
  }
  lines.push('', `largest functions (limit ${result.maxFunctionLines} lines in the limited folders):`);
  for (const f of result.largestFunctions)
    lines.push(`  ${String(f.lines).padStart(5)}  ${f.name}  ${f.file}:${f.line}`);
  lines.push('', `folder cycles: ${result.cycles.length}`);
  for (const c of result.cycles) {
    const kind = c.crossLayer ? `${c.edges.length} of them upward` : 'within one layer';
    lines.push(`  ${c.folders.join(' ↔ ')}: ${c.imports} imports, ${kind}`);
    for (const e of c.edges) lines.push(`      ${e.file}:${e.line} → ${e.target}`);
  }
  lines.push('', `upward edges: ${result.upward.length}`);
  const byPair = new Map<string, number>();
  for (const e of result.upward) byPair.set(`${e.from} → ${e.to}`, (byPair.get(`${e.from} → ${e.to}`) ?? 0) + 1);
  for (const [pair, n] of [...byPair].sort(([a], [b]) => a.localeCompare(b))) lines.push(`  ${pair}: ${n}`);
  const entry = result.problems.filter((p) => p.rule === 'tree-entry').length;
  lines.push('', `imports of a lower tree other than through its entries: ${entry}`);
  return `${lines.join('\n')}\n`;
}
