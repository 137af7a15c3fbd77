/**
 * `planForTarget`: which pruning (and precision) to deploy on a device. Candidates are the
 * modality sub-model, EP at several keep fractions and the dense collapses, each at every precision
 * the target supports; they are ranked least-pruned first (most backbone parameters kept), then by
 * dense preference, then by precision preference, and the first that fits memory and latency is
 * chosen (at equal parameters, keeping more modal experts wins). Pure: a target profile and a model description in, a plan with every candidate's
 * figures and verdict out.
 */
import { EdgeError } from '../../sdk/internal.js';
import { TASKS, type ModalityId, type TaskId } from '../../sdk/internal.js';
import { computePrecisions, type Precision, type TargetProfile } from '../../sdk/internal.js';
import { backboneParams, type ExpertSelection } from '../ringmoe/params.js';
import { keepCount, type WrittenPruneOptions } from './prune-options.js';
import {
  estimateLatency,
  estimateMemory,
  sparseLoweringBuilds,
  sparseLoweringProblem,
  type LatencyEstimateResult,
  type MemoryEstimate,
} from './estimate.js';
import type { PlanModel } from './model-source.js';
import { formatMs } from '../format/numbers.js';
import {
  DENSE_PREFERENCE,
  EP_COLLABORATIVE_FRACTIONS,
  EP_MODAL_FRACTIONS,
  PRECISION_FIDELITY_ORDER,
} from './policy.js';

/** Format tag of a saved target plan. */
export const TARGET_PLAN_FORMAT = 'ringmoe-edge/target-plan';

/** What to plan: model, device, modalities, tasks and limits. */
export interface PlanRequest {
  model: PlanModel;
  target: TargetProfile;
  modalities: ModalityId[];
  tasks?: TaskId[];
  maxLatencyMs?: number;
  maxMemoryMb?: number;
  /** Precisions to consider (default: every one the target's compute unit supports). */
  precisions?: Precision[];
}

/** One pruning at one precision, with its figures and verdict. */
export interface Candidate {
  /** 1 = most preferred. */
  rank: number;
  /** e.g. `sub-model`, `EP collaborative 1/4, modal 4/4`, `dense ka`. */
  label: string;
  prune: WrittenPruneOptions & { strategy: string; modalities: string };
  precision: Precision;
  selection: ExpertSelection;
  /** `experts`: parameters of the kept expert FFNs (what "least pruned" compares). */
  params: { backbone: number; experts: number; heads: number; total: number };
  memory: MemoryEstimate;
  latency: LatencyEstimateResult;
  fits: boolean;
  /** Why the target cannot build this candidate from the package, if it cannot. */
  unbuildable?: string;
  verdict: string;
}

/** A plan for a device: the choice, every candidate, and the options `prune --plan` applies. */
export interface TargetPlan {
  format: typeof TARGET_PLAN_FORMAT;
  formatVersion: 1;
  target: { id: string; name: string; memoryBytes: number; reserveBytes: number; budgetBytes: number; runtime: string };
  model: { config: string; package?: { name: string; sha256: string }; materialisable: boolean };
  modalities: ModalityId[];
  tasks: TaskId[];
  constraints: { maxLatencyMs?: number; maxMemoryMb?: number; precisions: Precision[] };
  choice: Candidate;
  /** Options `prune --plan` applies. */
  prune: Candidate['prune'];
  candidates: Candidate[];
  notes: string[];
}

interface Shape {
  label: string;
  prune: Candidate['prune'];
  selection: ExpertSelection;
}

function shapes(model: PlanModel, modalities: ModalityId[]): Shape[] {
  const cur = model.current;
  const mods = modalities.join(',');
  const base = { modalities, shared: cur.shared };
  const out: Shape[] = [
    { label: 'sub-model', prune: { strategy: 'modality', modalities: mods }, selection: { ...cur, modalities } },
  ];
  if (cur.dense) return out;
  const seen = new Set([`${cur.collaborative}/${cur.modalPerModality}`]);
  for (const fc of EP_COLLABORATIVE_FRACTIONS) {
    for (const fm of EP_MODAL_FRACTIONS) {
      const c = cur.collaborative ? keepCount(fc, cur.collaborative) : 0;
      const m = cur.modalPerModality ? keepCount(fm, cur.modalPerModality) : 0;
      if (seen.has(`${c}/${m}`)) continue;
      seen.add(`${c}/${m}`);
      out.push({
        label: `EP collaborative ${c}/${cur.collaborative}, modal ${m}/${cur.modalPerModality}`,
        prune: { strategy: 'ep', modalities: mods, keepCollaborative: fc, keepModal: fm },
        selection: { ...base, modalPerModality: m, collaborative: c },
      });
    }
  }
  if (modalities.length === 1) {
    for (const s of DENSE_PREFERENCE) {
      out.push({
        label: `dense ${s}`,
        prune: { strategy: s, modalities: mods },
        selection: {
          modalities,
          modalPerModality: 0,
          collaborative: 0,
          shared: 0,
          dense: true,
          denseHiddenMultiple: 1,
        },
      });
    }
  }
  return out;
}

const GIB = 2 ** 30;
const gib = (b: number) => `${(b / GIB).toFixed(2)} GiB`;

function misses(c: Candidate): string[] {
  const why: string[] = [];
  if (c.unbuildable) why.push(c.unbuildable);
  if (!c.memory.fits)
    why.push(
      `memory ${gib(c.memory.needBytes)} > ${gib(c.memory.budgetBytes)} (${gib(c.memory.needBytes - c.memory.budgetBytes)} over)`,
    );
  if (!c.latency.fits)
    why.push(
      `latency ≈${formatMs(c.latency.ms)} ms > ${c.latency.limitMs} ms (${formatMs(c.latency.ms - c.latency.limitMs!)} ms over)`,
    );
  return why;
}

function check(r: PlanRequest): { tasks: TaskId[]; precisions: Precision[] } {
  const have = r.model.current.modalities;
  if (r.modalities.length === 0)
    throw new EdgeError('E_UNKNOWN_MODALITY', 'no modality given', { field: '--modalities' });
  for (const m of r.modalities) {
    if (!have.includes(m))
      throw new EdgeError(
        'E_UNKNOWN_MODALITY',
        `unknown modality ${JSON.stringify(m)}; the model has ${have.join(', ')}`,
        { field: '--modalities' },
      );
  }
  const tasks = r.tasks ?? ['classification', 'segmentation', 'detection', 'depth', 'features'];
  for (const t of tasks) {
    if (!TASKS.includes(t))
      throw new EdgeError('E_UNKNOWN_TASK', `unknown task ${JSON.stringify(t)}; known: ${TASKS.join(', ')}`, {
        field: '--tasks',
      });
    if (t === 'custom')
      throw new EdgeError('E_INVALID_ARGUMENT', 'RingMoE packages have no custom task', { field: '--tasks' });
    if (t === 'caption' || t === 'vqa')
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `RingMoE packages have no ${t} task (RS-MoE packages do: plan <rsmoe-package> --target <id>)`,
        { field: '--tasks' },
      );
  }
  if (tasks.includes('change')) {
    const without = r.modalities.filter((m) => !r.model.changeModalities.includes(m));
    if (without.length)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `task change needs a change-detection entry, which ${without.join(', ')} does not have (change entries: ${r.model.changeModalities.join(', ') || 'none'})`,
        { field: '--tasks' },
      );
  }
  const supported = computePrecisions(r.target);
  const precisions = r.precisions ?? supported;
  for (const p of precisions) {
    if (!supported.includes(p))
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `${r.target.id} does not support ${p}; it supports ${supported.join(', ')}`,
        { field: '--precision' },
      );
  }
  if (r.maxLatencyMs !== undefined && !(r.maxLatencyMs > 0))
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `Expected a positive number of milliseconds for --max-latency-ms but received ${r.maxLatencyMs}`,
      { field: '--max-latency-ms' },
    );
  if (r.maxMemoryMb !== undefined && !(r.maxMemoryMb > 0))
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `Expected a positive number of MiB for --max-memory-mb but received ${r.maxMemoryMb}`,
      { field: '--max-memory-mb' },
    );
  return { tasks, precisions: PRECISION_FIDELITY_ORDER.filter((p) => precisions.includes(p)) };
}

function infeasibleHint(r: PlanRequest, considered: Precision[]): string {
  const steps = [];
  if (r.maxLatencyMs !== undefined || r.maxMemoryMb !== undefined)
    steps.push('relax --max-latency-ms / --max-memory-mb');
  const lower = computePrecisions(r.target).filter((p) => !considered.includes(p));
  if (lower.length) steps.push(`allow ${lower.join(', ')} with --precision`);
  if (r.modalities.length > 1) steps.push('plan one modality per device (dense tiers need one)');
  if (r.model.package && r.model.lowering === 'sparse' && sparseLoweringProblem(r.target))
    steps.push(
      'make the package with --lowering dense (ringmoe-edge reference <config> --lowering dense) so routed tiers can be built',
    );
  steps.push('choose a target with more memory or throughput, or a smaller config');
  return steps.join('; ');
}

/**
 * Plans `r.model` for `r.target`.
 * @throws EdgeError E_UNKNOWN_MODALITY, E_UNKNOWN_TASK, E_INVALID_ARGUMENT (precision, limits),
 *   E_PLAN_INFEASIBLE naming the closest candidate and by how much it misses
 */
export function planForTarget(r: PlanRequest): TargetPlan {
  const { tasks, precisions } = check(r);
  const { model, target } = r;
  const c = model.config;
  const passes = tasks.includes('change') ? 2 : 1;
  const routedLowering = model.lowering === 'sparse' && !sparseLoweringBuilds(target) ? 'dense' : model.lowering;
  const notes: string[] = [];
  // A package whose routed experts use the sparse lowering cannot become a routed engine there; its
  // dense tiers (one FFN per block, no routing) can. A config alone can still be generated dense.
  const unbuildable = routedLowering !== model.lowering && model.package ? sparseLoweringProblem(target) : undefined;
  if (unbuildable)
    notes.push(
      `${unbuildable}: this package's routed candidates cannot be built there, so a dense tier (ka, ks, kc) is chosen; a package made with --lowering dense could keep routed experts`,
    );
  else if (routedLowering !== model.lowering) {
    notes.push(
      `${target.id}'s newest TensorRT cannot build the sparse lowering (NonZero needs TensorRT ≥ 8.5): routed candidates are estimated with every expert running (the dense lowering; generate the package with --lowering dense)`,
    );
  }
  const maxMemoryBytes = r.maxMemoryMb !== undefined ? r.maxMemoryMb * 2 ** 20 : undefined;
  const all: Candidate[] = [];
  for (const s of shapes(model, r.modalities)) {
    for (const precision of precisions) {
      const lowering = s.selection.dense ? 'sparse' : routedLowering;
      const memory = estimateMemory(c, s.selection, model.headParams, precision, target, lowering, maxMemoryBytes);
      const latency = estimateLatency(c, s.selection, precision, target, {
        lowering,
        passes,
        ...(r.maxLatencyMs !== undefined ? { maxLatencyMs: r.maxLatencyMs } : {}),
      });
      const b = backboneParams(c, s.selection);
      const params = {
        backbone: b.total,
        experts: b.experts,
        heads: model.headParams,
        total: b.total + model.headParams,
      };
      const cannot = unbuildable && !s.selection.dense ? `not buildable: ${unbuildable}` : undefined;
      all.push({
        rank: 0,
        label: s.label,
        prune: s.prune,
        precision,
        selection: s.selection,
        params,
        memory,
        latency,
        fits: memory.fits && latency.fits && !cannot,
        ...(cannot ? { unbuildable: cannot } : {}),
        verdict: '',
      });
    }
  }
  const denseIndex = (x: Candidate) => DENSE_PREFERENCE.indexOf(x.prune.strategy as never);
  // Least pruned first; at equal parameters keep the modality's own specialists (modal experts)
  // rather than collaborative ones — the paper's EP keeps every modal expert.
  all.sort(
    (a, b) =>
      b.params.experts - a.params.experts ||
      b.selection.modalPerModality - a.selection.modalPerModality ||
      denseIndex(a) - denseIndex(b) ||
      PRECISION_FIDELITY_ORDER.indexOf(a.precision) - PRECISION_FIDELITY_ORDER.indexOf(b.precision),
  );
  all.forEach((x, i) => (x.rank = i + 1));
  const choice = all.find((x) => x.fits);
  if (!choice) {
    const overshoot = (x: Candidate) =>
      x.unbuildable
        ? Infinity
        : Math.max(x.memory.needBytes / x.memory.budgetBytes, r.maxLatencyMs ? x.latency.ms / r.maxLatencyMs : 0);
    const closest = [...all].sort((a, b) => overshoot(a) - overshoot(b))[0]!;
    throw new EdgeError(
      'E_PLAN_INFEASIBLE',
      `no plan of ${c.name} for ${r.modalities.join(', ')} fits ${target.id}: the closest, ${closest.label} at ${closest.precision} (${(closest.params.backbone / 1e9).toFixed(2)}B backbone parameters), misses by ${misses(closest).join(' and ')}`,
      { field: '--target', hint: infeasibleHint(r, precisions) },
    );
  }
  for (const x of all) {
    if (x === choice) x.verdict = 'chosen: least pruned that fits';
    else if (x.fits)
      x.verdict =
        x.params.experts < choice.params.experts
          ? 'fits, but more pruned than the choice'
          : 'fits, but preferred less than the choice';
    else x.verdict = `rejected: ${misses(x).join('; ')}`;
  }
  if (!model.package)
    notes.push(
      `planned from the ${c.name} config alone (accounting, not materialised): apply it by pruning a package of this architecture with the same options`,
    );
  if (choice.precision === 'int8') notes.push('int8 needs a calibrated quantization step after pruning');
  const cal = choice.latency.calibration;
  if (cal) {
    const model = `${cal.blockOverheadMs > 0 ? `${cal.blockOverheadMs.toFixed(2)} ms per block + ` : ''}FLOPs at ${(choice.latency.opsPerSecond / 1e9).toFixed(1)} GFLOP/s`;
    notes.push(
      `latency is an estimate calibrated against ${cal.basis === 'measured' ? 'measured runs' : 'a'} ${cal.source}: ${model}; uncalibrated it would be ${formatMs(choice.latency.rawMs)} ms`,
    );
  } else
    notes.push(
      "latency is an estimate: FLOPs of the active path divided by the target's dense peak × utilisation (targets/README.md#utilisation), not a measurement; this target has no latency calibration (tools/planner/calibration.ts)",
    );
  return {
    format: TARGET_PLAN_FORMAT,
    formatVersion: 1,
    target: {
      id: target.id,
      name: target.name,
      memoryBytes: target.memory.totalBytes,
      reserveBytes: target.reserve.totalBytes,
      budgetBytes: choice.memory.budgetBytes,
      runtime: target.runtime,
    },
    model: {
      config: c.name,
      ...(model.package ? { package: model.package } : {}),
      materialisable: model.package !== undefined,
    },
    modalities: r.modalities,
    tasks,
    constraints: {
      ...(r.maxLatencyMs !== undefined ? { maxLatencyMs: r.maxLatencyMs } : {}),
      ...(r.maxMemoryMb !== undefined ? { maxMemoryMb: r.maxMemoryMb } : {}),
      precisions,
    },
    choice,
    prune: choice.prune,
    candidates: all,
    notes,
  };
}
