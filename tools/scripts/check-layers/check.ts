/**
 * Judges scanned sources against the layering: imports that go up a tree's order, lower trees
 * importing higher ones, a higher tree importing a lower one other than through its entries,
 * folders missing from the order, cycles between folders of different layers, and files or
 * functions over the size limits. Also gathers the numbers of the report (largest files and
 * functions, folder cycles, upward edges).
 */
import { posix } from 'node:path';
import { ranks, type LayersConfig } from './config.js';
import type { ImportKind, ImportRef, SourceInfo } from './scan.js';

/** The kinds of problem the check fails on. */
export type ProblemRule =
  'upward' | 'higher-tree' | 'tree-entry' | 'unplaced' | 'cycle' | 'file-size' | 'function-size';

/** One reason the check fails. */
export interface Problem {
  rule: ProblemRule;
  /** The file at fault (for `unplaced` and `cycle`, a folder). */
  file: string;
  line?: number;
  /** The imported file, for the import rules. */
  target?: string;
  message: string;
}

/** One import between two layers. */
export interface LayerEdge {
  file: string;
  line: number;
  specifier: string;
  kind: ImportKind;
  target: string;
  /** Layers as `tree/name`, e.g. `sdk/runtime` or `sdk/index.ts`. */
  from: string;
  to: string;
}

/** A set of folders that import each other in a circle. */
export interface FolderCycle {
  folders: string[];
  /** True when the folders belong to more than one layer (the check fails on these). */
  crossLayer: boolean;
  /** How many imports run between folders of the set. */
  imports: number;
  /**
   * The imports to cut: those between the set's folders that go up the layer order (for a set
   * within one layer, every import between its folders).
   */
  edges: { file: string; line: number; target: string }[];
}

/** Everything the check found. */
export interface LayersResult {
  files: number;
  imports: number;
  problems: Problem[];
  upward: LayerEdge[];
  cycles: FolderCycle[];
  /** Per layer, the files over the file-size limit (every layer, not only the limited folders). */
  largeFiles: { layer: string; files: { file: string; lines: number }[] }[];
  /** The largest functions of all scanned files, largest first. */
  largestFunctions: { file: string; name: string; line: number; lines: number }[];
  maxFileLines: number;
  maxFunctionLines: number;
}

interface Placed {
  tree: number;
  root: string;
  /** First path segment under the tree root (a folder or a top-level file). */
  name: string;
  rank: number | undefined;
}

/** Where a repository-relative file sits in the layering; undefined outside every tree. */
function place(config: LayersConfig, rankMaps: Map<string, number>[], file: string): Placed | undefined {
  for (const [tree, t] of config.trees.entries()) {
    if (!file.startsWith(`${t.root}/`)) continue;
    const name = file.slice(t.root.length + 1).split('/')[0] ?? '';
    return { tree, root: t.root, name, rank: rankMaps[tree]?.get(name) };
  }
  return undefined;
}

const layerId = (p: Placed): string => `${p.root}/${p.name}`;
/** Layers of one rank in one tree share a key (so `sdk/index.ts` and `sdk/internal.ts` count as one). */
const rankKey = (p: Placed): string => (p.rank === undefined ? layerId(p) : `${p.tree}:${p.rank}`);

/** Strongly connected components with more than one node (Tarjan), nodes and components sorted. */
export function cyclesOf(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) connect(v);
  return out.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}

/** One import between two folders, for the cycle search. */
interface FolderEdge {
  from: string;
  to: string;
  file: string;
  line: number;
  target: string;
  /** True when the import goes up the layer order (or into a higher tree). */
  up: boolean;
}

/** What the import rules found, and the folder graph the cycle search runs on. */
interface ImportFindings {
  imports: number;
  problems: Problem[];
  upward: LayerEdge[];
  folderGraph: Map<string, Set<string>>;
  folderEdges: FolderEdge[];
  /** The layer (rank key) of every folder seen, as importer or imported. */
  folderRanks: Map<string, Set<string>>;
}

/** The problem one import makes (and whether it goes up), or nothing when it is allowed. */
function judgeImport(
  config: LayersConfig,
  file: string,
  ref: ImportRef & { target: string },
  from: Placed,
  to: Placed,
): { problem?: Problem; edge?: LayerEdge } {
  const at = { file, line: ref.line, target: ref.target };
  const edge: LayerEdge = { ...at, specifier: ref.specifier, kind: ref.kind, from: layerId(from), to: layerId(to) };
  const how = `${ref.target} (${ref.kind} '${ref.specifier}')`;
  if (to.tree > from.tree) {
    return { edge, problem: { rule: 'higher-tree', ...at, message: `${from.root} imports ${to.root}: ${how}` } };
  }
  if (to.tree < from.tree) {
    const entries = config.trees[to.tree]?.entries?.map((e) => `${to.root}/${e}`);
    if (!entries || entries.includes(ref.target)) return {};
    const message = `imports ${ref.target}; ${from.root} may import ${to.root} only through ${entries.join(' or ')}`;
    return { problem: { rule: 'tree-entry', ...at, message } };
  }
  if (from.rank !== undefined && to.rank !== undefined && to.rank > from.rank) {
    return { edge, problem: { rule: 'upward', ...at, message: `${edge.from} imports ${edge.to} above it: ${how}` } };
  }
  return {};
}

/** Judges every import between files of the trees, and notes the folders that hold no layer. */
function importRules(
  config: LayersConfig,
  rankMaps: Map<string, number>[],
  sources: readonly SourceInfo[],
): ImportFindings {
  const found: ImportFindings = {
    imports: 0,
    problems: [],
    upward: [],
    folderGraph: new Map(),
    folderEdges: [],
    folderRanks: new Map(),
  };
  const unplaced = new Map<string, number>();
  const noteFolder = (file: string, p: Placed): void => {
    const folder = posix.dirname(file);
    found.folderRanks.set(folder, (found.folderRanks.get(folder) ?? new Set()).add(rankKey(p)));
  };
  for (const src of sources) {
    const from = place(config, rankMaps, src.file);
    if (!from) continue;
    noteFolder(src.file, from);
    if (from.rank === undefined) unplaced.set(layerId(from), (unplaced.get(layerId(from)) ?? 0) + 1);
    for (const ref of src.imports) {
      const target = ref.target;
      const to = target === undefined ? undefined : place(config, rankMaps, target);
      if (target === undefined || !to) continue;
      found.imports++;
      noteFolder(target, to);
      const { problem, edge } = judgeImport(config, src.file, { ...ref, target }, from, to);
      if (problem) found.problems.push(problem);
      if (edge) found.upward.push(edge);
      const [fromFolder, toFolder] = [posix.dirname(src.file), posix.dirname(target)];
      if (fromFolder === toFolder) continue;
      found.folderGraph.set(fromFolder, (found.folderGraph.get(fromFolder) ?? new Set()).add(toFolder));
      found.folderEdges.push({ from: fromFolder, to: toFolder, file: src.file, line: ref.line, target, up: !!edge });
    }
  }
  for (const [layer, n] of [...unplaced].sort(([a], [b]) => a.localeCompare(b))) {
    const message = `${layer} (${n} file${n === 1 ? '' : 's'}) has no place in the layer order`;
    found.problems.push({ rule: 'unplaced', file: layer, message });
  }
  return found;
}

/** The folder cycles, and a problem for each one whose folders belong to more than one layer. */
function cycleRules(found: ImportFindings): { cycles: FolderCycle[]; problems: Problem[] } {
  const cycles = cyclesOf(found.folderGraph).map((folders): FolderCycle => {
    const set = new Set(folders);
    const layers = new Set(folders.flatMap((f) => [...(found.folderRanks.get(f) ?? [])]));
    const inside = found.folderEdges.filter((e) => set.has(e.from) && set.has(e.to));
    const crossLayer = layers.size > 1;
    const edges = inside.filter((e) => !crossLayer || e.up).map(({ file, line, target }) => ({ file, line, target }));
    return { folders, crossLayer, imports: inside.length, edges };
  });
  const problems = cycles
    .filter((c) => c.crossLayer)
    .map((c): Problem => ({
      rule: 'cycle',
      file: c.folders.join(' ↔ '),
      message: `folders of different layers import each other; ${c.edges.length} upward imports close the circle`,
    }));
  return { cycles, problems };
}

/** Files and functions over the limits: problems in the limited folders, numbers for every folder. */
function sizeRules(
  config: LayersConfig,
  rankMaps: Map<string, number>[],
  sources: readonly SourceInfo[],
  topFunctions: number,
): Pick<LayersResult, 'problems' | 'largeFiles' | 'largestFunctions'> {
  const { folders, maxFileLines, maxFunctionLines } = config.limits;
  const limited = (file: string): boolean => folders.some((f) => file.startsWith(`${f}/`));
  const problems: Problem[] = [];
  const largeFiles = new Map<string, { file: string; lines: number }[]>();
  const functions: LayersResult['largestFunctions'] = [];
  for (const src of sources) {
    if (src.lines > maxFileLines) {
      const p = place(config, rankMaps, src.file);
      const layer = p ? layerId(p) : posix.dirname(src.file);
      largeFiles.set(layer, [...(largeFiles.get(layer) ?? []), { file: src.file, lines: src.lines }]);
      if (limited(src.file)) {
        problems.push({ rule: 'file-size', file: src.file, message: `${src.lines} lines (limit ${maxFileLines})` });
      }
    }
    for (const fn of src.functions) {
      functions.push({ file: src.file, ...fn });
      if (limited(src.file) && fn.lines > maxFunctionLines) {
        const message = `${fn.name} has ${fn.lines} lines (limit ${maxFunctionLines})`;
        problems.push({ rule: 'function-size', file: src.file, line: fn.line, message });
      }
    }
  }
  functions.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file) || a.line - b.line);
  return {
    problems,
    largeFiles: [...largeFiles]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([layer, files]) => ({ layer, files: files.sort((a, b) => b.lines - a.lines) })),
    largestFunctions: functions.slice(0, topFunctions),
  };
}

/** Runs every rule over the scanned sources. */
export function checkLayers(config: LayersConfig, sources: readonly SourceInfo[], topFunctions = 15): LayersResult {
  const rankMaps = config.trees.map(ranks);
  const found = importRules(config, rankMaps, sources);
  const cycles = cycleRules(found);
  const sizes = sizeRules(config, rankMaps, sources, topFunctions);
  return {
    files: sources.length,
    imports: found.imports,
    problems: [...found.problems, ...cycles.problems, ...sizes.problems],
    upward: found.upward,
    cycles: cycles.cycles,
    largeFiles: sizes.largeFiles,
    largestFunctions: sizes.largestFunctions,
    maxFileLines: config.limits.maxFileLines,
    maxFunctionLines: config.limits.maxFunctionLines,
  };
}
