/**
 * `ringmoe-edge targets [target]`: lists the device target profiles, or shows one in full with the
 * confidence mark and source of every value, plus what the planner derives from it.
 */
import type { Command } from 'commander';
import {
  bestPrecision,
  computePrecisions,
  dlaUsable,
  effectiveThroughput,
  listTargets,
  loadTarget,
  modelMemoryBudget,
  tensorrtVersionsFor,
  type Confidence,
  type Precision,
  type TargetFact,
  type TargetLoadOptions,
  type TargetProfile,
} from '../../../sdk/internal.js';
import type { CommandSpec } from '../command.js';
import { type CommandIO } from '../io.js';
import { formatBytes } from '../../format/numbers.js';

/** One row of the listing. */
export interface TargetSummary {
  id: string;
  name: string;
  kind: string;
  aliases: string[];
  architecture: string | null;
  sm: string | null;
  memoryGiB: { value: number; confidence: Confidence; unified: boolean };
  dla: { count: number; confidence: Confidence; generation: string | null };
  /** Published dense INT8 figure when there is one (it may cover GPU + DLA), else the compute unit's. */
  int8DenseTops: { value: number; confidence: Confidence; scope: string } | null;
  software: string[];
  file: string;
}

/** What the planner derives from one profile. */
export interface TargetPlanning {
  bestPrecision: Precision;
  modelMemoryBudgetBytes: number;
  /** Operations per second the planner divides by, per supported precision. */
  effectiveOpsPerSecond: Partial<Record<Precision, number>>;
  tensorrtVersions: string[];
  dlaUsableByTensorrt: Record<string, boolean>;
}

/** Result of the command. */
export type TargetsResult = { targets: TargetSummary[] } | { target: TargetProfile; planning: TargetPlanning };

/** One-character confidence marks, legend below every view. */
export const CONFIDENCE_MARKS: Record<Confidence, string> = {
  confirmed: '✔',
  'nvidia-secondary': '◐',
  unconfirmed: '?',
  derived: '=',
  estimate: '~',
  assumed: 'a',
  policy: 'p',
};
const LEGEND = `marks: ${Object.entries(CONFIDENCE_MARKS)
  .map(([c, m]) => `${m} ${c}`)
  .join('  ')}`;

function summarize(t: TargetProfile): TargetSummary {
  const pub = t.throughput.published;
  const int8 = pub?.int8DenseTops
    ? { fact: pub.int8DenseTops, scope: pub.scope }
    : t.throughput.int8DenseTops
      ? { fact: t.throughput.int8DenseTops, scope: t.gpu ? 'gpu' : 'cpu' }
      : null;
  return {
    id: t.id,
    name: t.name,
    kind: t.kind,
    aliases: t.aliases,
    architecture: t.gpu?.architecture.value ?? null,
    sm: t.gpu?.sm ?? null,
    memoryGiB: {
      value: t.memory.totalGiB.value,
      confidence: t.memory.totalGiB.confidence,
      unified: t.memory.unified.value,
    },
    dla: { count: t.dla.count.value, confidence: t.dla.count.confidence, generation: t.dla.generation?.value ?? null },
    int8DenseTops: int8 ? { value: int8.fact.value, confidence: int8.fact.confidence, scope: int8.scope } : null,
    software: t.software.map((l) => l.name),
    file: t.file,
  };
}

function planningFor(t: TargetProfile): TargetPlanning {
  const effective: Partial<Record<Precision, number>> = {};
  for (const p of computePrecisions(t)) effective[p] = effectiveThroughput(t, p);
  const versions = tensorrtVersionsFor(t);
  return {
    bestPrecision: bestPrecision(t),
    modelMemoryBudgetBytes: modelMemoryBudget(t),
    effectiveOpsPerSecond: effective,
    tensorrtVersions: versions,
    dlaUsableByTensorrt: Object.fromEntries(versions.map((v) => [v, dlaUsable(t, v)])),
  };
}

function softwareCell(t: TargetSummary, profile: TargetProfile): string {
  const jp = profile.software.map((l) => l.jetpack).filter((v): v is string => v !== null);
  if (jp.length) return `JP ${jp.join(' ')}`;
  const trt = profile.software.map((l) => l.tensorrt?.value).filter((v): v is string => v !== undefined);
  if (trt.length) return `TRT ${trt.join(' ')}`;
  return t.software.join(', ');
}

/** Left-aligned text table (identifiers and names read better left-aligned than io.table's numbers). */
function leftTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c + ' '.repeat(widths[i]! - [...c].length))
      .join('  ')
      .trimEnd();
  return [fmt(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

function renderList(targets: TargetSummary[], profiles: Map<string, TargetProfile>, io: CommandIO): void {
  const rows = targets.map((t) => [
    t.id,
    t.name,
    t.architecture ? `${t.architecture} ${t.sm}` : 'CPU only',
    `${t.memoryGiB.value} GiB${CONFIDENCE_MARKS[t.memoryGiB.confidence]}${t.memoryGiB.unified ? '' : ' VRAM'}`,
    t.dla.count
      ? `${t.dla.count}x ${t.dla.generation}${CONFIDENCE_MARKS[t.dla.confidence]}`
      : `0${CONFIDENCE_MARKS[t.dla.confidence]}`,
    t.int8DenseTops
      ? `${t.int8DenseTops.value}${CONFIDENCE_MARKS[t.int8DenseTops.confidence]}${t.int8DenseTops.scope === 'gpu+dla' ? '*' : ''}`
      : '-',
    softwareCell(t, profiles.get(t.id)!),
  ]);
  io.out(leftTable(['id', 'name', 'GPU', 'memory', 'DLA', 'INT8 dense TOPS', 'software'], rows));
  io.out();
  io.out(`${targets.length} targets. * = published figure for GPU + DLA together. ${LEGEND}`);
  io.out('Show one in full: ringmoe-edge targets <id>');
}

/** Formats a fact as `value mark [n]`, numbering its sources in `refs`. */
function fact<T>(
  f: TargetFact<T> | null | undefined,
  refs: string[],
  unit = '',
  show: (v: T) => string = String,
): string {
  if (!f) return '-';
  const nums = f.sources.map((s) => {
    if (!refs.includes(s)) refs.push(s);
    return refs.indexOf(s) + 1;
  });
  const note = f.note ? `  (${f.note})` : '';
  return `${show(f.value)}${unit} ${CONFIDENCE_MARKS[f.confidence]}${nums.length ? ` [${nums.join(',')}]` : ''}${note}`;
}

function renderOne(t: TargetProfile, plan: TargetPlanning, io: CommandIO): void {
  const refs: string[] = [];
  const line = (label: string, value: string) => io.out(`  ${label.padEnd(20)} ${value}`);
  const list = (v: string[]) => (v.length ? v.join(', ') : 'none');
  io.out(`${t.name}  (${t.id}, ${t.kind}, runs ${t.runtime})`);
  if (t.aliases.length) io.out(`  aliases: ${t.aliases.join(', ')}`);
  if (t.description) io.out(`  ${t.description}`);
  if (t.gpu) {
    const g = t.gpu;
    io.out('GPU');
    line('architecture', fact(g.architecture, refs));
    line('compute capability', fact(g.computeCapability, refs, ` (${g.sm})`));
    if (g.otherComputeCapabilities) line('also numbered', fact(g.otherComputeCapabilities, refs, '', list));
    line('CUDA cores', fact(g.cudaCores, refs));
    line('tensor cores', fact(g.tensorCores, refs));
    line('max clock', fact(g.maxClockMHz, refs, ' MHz'));
    line('precisions', fact(g.precisions, refs, '', list));
  }
  io.out('CPU');
  line('cores', fact(t.cpu.cores, refs));
  line('model', `${fact(t.cpu.model, refs)} (${t.cpu.isa})`);
  if (t.cpu.precisions) line('precisions', fact(t.cpu.precisions, refs, '', list));
  const memoryKind =
    t.kind === 'cpu'
      ? 'host RAM, shared with the OS and the pipeline'
      : t.memory.unified.value
        ? 'unified: CPU, GPU and DLA share one DRAM'
        : 'VRAM on the card, separate from host RAM';
  io.out(`Memory (${memoryKind})`);
  line('total', fact(t.memory.totalGiB, refs, ' GiB'));
  line('type / bus', `${fact(t.memory.type, refs)} / ${fact(t.memory.busWidthBits, refs, '-bit')}`);
  line('bandwidth', fact(t.memory.bandwidthGBps, refs, ' GB/s'));
  line('unified', fact(t.memory.unified, refs));
  if (t.memory.hostGiB) line('host RAM', fact(t.memory.hostGiB, refs, ' GiB'));
  io.out('Reserve (memory the model must not use)');
  line('OS', fact(t.reserve.osGiB, refs, ' GiB'));
  line('runtime', fact(t.reserve.runtimeGiB, refs, ' GiB'));
  line('camera pipeline', fact(t.reserve.pipelineGiB, refs, ' GiB'));
  io.out('DLA');
  line('count', fact(t.dla.count, refs));
  if (t.dla.generation) line('generation', fact(t.dla.generation, refs));
  line('precisions', fact(t.dla.precisions, refs, '', list));
  io.out('Throughput (dense peaks of the unit that runs the model)');
  line('INT8', fact(t.throughput.int8DenseTops, refs, ' TOPS'));
  line('FP16', fact(t.throughput.fp16DenseTflops, refs, ' TFLOPS'));
  line('FP32', fact(t.throughput.fp32Tflops, refs, ' TFLOPS'));
  const pub = t.throughput.published;
  if (pub) {
    io.out(`  published (${pub.scope === 'gpu+dla' ? 'GPU + DLA together' : pub.scope.toUpperCase()})`);
    if (pub.int8SparseTops) line('  INT8 sparse', fact(pub.int8SparseTops, refs, ' TOPS'));
    if (pub.int8DenseTops) line('  INT8 dense', fact(pub.int8DenseTops, refs, ' TOPS'));
    if (pub.fp4SparseTflops) line('  FP4 sparse', fact(pub.fp4SparseTflops, refs, ' TFLOPS'));
  }
  io.out('Power modes (select by name)');
  if (t.power.maxPowerW) line('module maximum', fact(t.power.maxPowerW, refs, ' W'));
  if (t.power.modeSets.length === 0) io.out('  none known');
  for (const s of t.power.modeSets) {
    const src = fact({ value: s.name, confidence: s.confidence, sources: s.sources }, refs);
    io.out(`  set ${src}, default ${s.defaultMode}${s.minJetPack ? `, from JetPack ${fact(s.minJetPack, refs)}` : ''}`);
    for (const m of s.modes) {
      const cap = m.gpuMaxMHz ? (m.gpuMaxMHz.value === null ? 'GPU uncapped' : `GPU <= ${m.gpuMaxMHz.value} MHz`) : '';
      const tops = m.int8SparseTops ? `  INT8 sparse ${fact(m.int8SparseTops, refs, ' TOPS')}` : '';
      const watts = m.watts.value === null ? 'no budget' : `${m.watts.value} W`;
      io.out(
        `    ${(m.isDefault ? '* ' : '  ') + m.name.padEnd(18)} ${watts.padEnd(10)} ${cap.padEnd(18)} ${m.cpuCoresOnline ? `${m.cpuCoresOnline.value} cores` : ''}${tops}`,
      );
    }
  }
  io.out('Software lines');
  for (const l of t.software) {
    io.out(`  ${fact(l.support, refs, '', () => l.name)}`);
    const parts: [string, TargetFact<string> | null][] = [
      ['L4T', l.l4t],
      ['CUDA', l.cuda],
      ['cuDNN', l.cudnn],
      ['TensorRT', l.tensorrt],
      ['onnxruntime', l.onnxruntime],
    ];
    for (const [label, f] of parts) if (f) line(`  ${label}`, fact(f, refs));
    if (t.dla.count.value > 0)
      line(
        '  DLA usable',
        fact(l.dla, refs, '', (v) => (v ? 'yes' : 'no')),
      );
  }
  io.out('Planning (policy: targets/README.md#utilisation)');
  line('best precision', plan.bestPrecision);
  line('model memory budget', formatBytes(plan.modelMemoryBudgetBytes));
  for (const [p, ops] of Object.entries(plan.effectiveOpsPerSecond))
    line(`effective ${p}`, `${(ops / 1e12).toFixed(2)} T ops/s`);
  if (t.notes.length) {
    io.out('Notes');
    for (const n of t.notes) io.out(`  - ${n}`);
  }
  for (const w of t.warnings) io.note(`warning: ${w}`);
  io.out('Sources');
  refs.forEach((r, i) => io.out(`  [${i + 1}] ${r}`));
  io.out(LEGEND);
}

const profilesById = new WeakMap<object, Map<string, TargetProfile>>();

/** The `targets` command. */
export const spec: CommandSpec<TargetsResult> = {
  name: 'targets',
  summary: 'list device target profiles, or show one with the confidence and source of every value',
  configure(cmd: Command) {
    cmd.argument('[target]', 'id, alias or path (*.json) of one profile to show in full');
    cmd.option(
      '--dir <path>',
      'read profiles from this directory instead of the shipped targets/ (or RINGMOE_TARGETS_DIR)',
    );
  },
  examples: [
    'ringmoe-edge targets',
    'ringmoe-edge targets jetson-orin-nano-8gb',
    'ringmoe-edge targets ./my-board.json --json',
  ],
  async run(args, options) {
    const load: TargetLoadOptions = typeof options.dir === 'string' ? { dir: options.dir } : {};
    if (args[0]) {
      const target = await loadTarget(args[0], load);
      return { target, planning: planningFor(target) };
    }
    const profiles = await listTargets(load);
    const result = { targets: profiles.map(summarize) };
    profilesById.set(result, new Map(profiles.map((p) => [p.id, p])));
    return result;
  },
  render(result, io) {
    if ('target' in result) renderOne(result.target, result.planning, io);
    else renderList(result.targets, profilesById.get(result) ?? new Map(), io);
  },
};
