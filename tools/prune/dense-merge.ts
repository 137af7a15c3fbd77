/**
 * The dense collapses: one FFN d → h → d per block from the block's expert groups.
 *
 * - ks: each group's most-activated expert; ka: each group's routing-frequency-weighted average of
 *   all four tensors. Then the fold of the group FFNs into one: exact (W2, b2 × groups) when the
 *   group FFNs are identical (sparse upcycling); `aligned`: W1, b1 averaged unit by unit and W2,
 *   b2 summed over the groups (units of experts upcycled from one FFN correspond); `importance`:
 *   the h highest-importance hidden units of [g1 | g2 | g3] (‖W1[:,j]‖·‖W2[j,:]‖); `concat`: all of
 *   them (exact); `auto`: aligned when the groups' W1 columns agree (mean cosine ≥ 0.5), else
 *   importance.
 * - kc: every expert compressed to rank r = h/N by projecting its hidden space onto the top-r left
 *   singular directions of its W2 (W1' = W1·U_r, b1' = b1·U_r, W2' = Σ_r·V_rᵀ), scaled by its
 *   routing frequency within its group, then concatenated along the hidden axis; byte-identical
 *   experts are merged first and an expert whose rank reaches its width is kept whole.
 * Tensors are read one at a time; see docs/pruning.md for the reasoning and the uncertainty.
 */
import { createHash } from 'node:crypto';
import type { ExpertRecord, FfnTensors } from '../../sdk/internal.js';
import { EdgeError } from '../../sdk/internal.js';
import type { FoldMode, PruneStrategy } from '../planner/prune-options.js';
import type { DenseGroupPlan, DensePlan } from './plan-types.js';
import { topSingular } from './linalg.js';
import type { SourceTensors } from './source-tensors.js';

/** The four tensors of a dense FFN (weights stored [in, out]) and how it was made. */
export interface DenseFfn {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  /** What was done, for the expert record's origin. */
  note: string;
}

type Key = keyof FfnTensors;
const KEYS: Key[] = ['fc1Weight', 'fc1Bias', 'fc2Weight', 'fc2Bias'];

function sameBytes(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function digest(a: Float32Array): string {
  return createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');
}

/** One group's FFN tensor: ks the selected expert's, ka the frequency-weighted average (exact when all are identical). */
async function groupTensor(
  src: SourceTensors,
  g: DenseGroupPlan,
  experts: Map<string, ExpertRecord>,
  strategy: PruneStrategy,
  key: Key,
): Promise<Float32Array> {
  const name = (id: string) => experts.get(id)!.tensors[key];
  if (strategy === 'ks' || g.experts.length === 1) return src.float32(name(g.selected ?? g.experts[0]!));
  const total = g.frequency.reduce((a, b) => a + b, 0);
  const first = await src.float32(name(g.experts[0]!));
  let acc: Float64Array | undefined;
  let identical = true;
  for (let k = 1; k < g.experts.length; k++) {
    const t = await src.float32(name(g.experts[k]!));
    if (identical && sameBytes(first, t)) continue;
    if (identical) {
      // First difference: start the weighted sum with every expert seen so far (all equal to `first`).
      identical = false;
      const w = g.frequency.slice(0, k).reduce((a, b) => a + b, 0) / total;
      acc = Float64Array.from(first, (x) => x * w);
    }
    const w = g.frequency[k]! / total;
    for (let i = 0; i < t.length; i++) acc![i] = acc![i]! + w * t[i]!;
  }
  return identical ? first : Float32Array.from(acc!);
}

function columnNorms(w: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c] = out[c]! + w[r * cols + c]! ** 2;
  return out.map(Math.sqrt);
}

function rowNorms(w: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += w[r * cols + c]! ** 2;
    out[r] = Math.sqrt(s);
  }
  return out;
}

/** Mean cosine between the columns of two [rows, cols] matrices (unit j against unit j). */
function columnAgreement(a: Float32Array, b: Float32Array, rows: number, cols: number): number {
  let sum = 0;
  for (let c = 0; c < cols; c++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let r = 0; r < rows; r++) {
      const x = a[r * cols + c]!;
      const y = b[r * cols + c]!;
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    sum += na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
  }
  return sum / cols;
}

/** Mean unit agreement above which `auto` folds aligned: the groups come from one FFN. */
export const ALIGNED_FOLD_THRESHOLD = 0.5;

/** Folds the groups' FFNs (ks/ka) into one of width `dense.hidden`. */
async function fold(
  src: SourceTensors,
  dense: DensePlan,
  experts: Map<string, ExpertRecord>,
  strategy: PruneStrategy,
  mode: FoldMode,
): Promise<DenseFfn> {
  const { dim: d, hidden: h, groups } = dense;
  const G = groups.length;
  const hiddenOf = (g: DenseGroupPlan) => experts.get(g.experts[0]!)!.hidden;
  const tensor = (g: DenseGroupPlan, key: Key) => groupTensor(src, g, experts, strategy, key);
  const what = strategy === 'ks' ? 'most-activated expert per group' : 'frequency-weighted average per group';
  const sameWidth = groups.every((g) => hiddenOf(g) === h);
  // Pass 1: fingerprints (identical groups fold exactly), unit importances, unit agreement with group 0.
  const prints: string[] = [];
  const importance: { g: number; j: number; score: number }[] = [];
  let first: Float32Array | undefined;
  let agreement = 0;
  for (const [gi, g] of groups.entries()) {
    const hg = hiddenOf(g);
    const w1 = await tensor(g, 'fc1Weight');
    const w2 = await tensor(g, 'fc2Weight');
    prints.push(
      [digest(w1), digest(await tensor(g, 'fc1Bias')), digest(w2), digest(await tensor(g, 'fc2Bias'))].join(),
    );
    const cn = columnNorms(w1, d, hg);
    const rn = rowNorms(w2, hg, d);
    for (let j = 0; j < hg; j++) importance.push({ g: gi, j, score: cn[j]! * rn[j]! });
    if (gi === 0) first = w1;
    else if (sameWidth) agreement += columnAgreement(first!, w1, d, h) / (G - 1);
  }
  if (G === 1) agreement = 1;
  const b2 = new Float64Array(d);
  if (prints.every((p) => p === prints[0]) && sameWidth && mode !== 'concat') {
    const [w1, b1, w2, b] = await Promise.all(KEYS.map((k) => tensor(groups[0]!, k)));
    return {
      w1: w1!,
      b1: b1!,
      w2: w2!.map((x) => x * G),
      b2: b!.map((x) => x * G),
      note: `${strategy}: ${what}; the ${G} group FFNs are identical (sparse upcycling), folded exactly: W2 and b2 × ${G}`,
    };
  }
  const chosen = mode === 'auto' ? (sameWidth && agreement >= ALIGNED_FOLD_THRESHOLD ? 'aligned' : 'importance') : mode;
  if (chosen === 'aligned') {
    if (!sameWidth)
      throw new EdgeError(
        'E_PRUNE',
        `block ${dense.id}: an aligned fold needs group FFNs of one width (${groups.map(hiddenOf).join(', ')})`,
      );
    // W1, b1: mean over groups, unit by unit; W2, b2: sum (the block adds the groups' outputs).
    const acc = async (key: Key, scale: number) => {
      let sum: Float64Array | undefined;
      for (const g of groups) {
        const t = await tensor(g, key);
        sum ??= new Float64Array(t.length);
        for (let i = 0; i < t.length; i++) sum[i] = sum[i]! + t[i]!;
      }
      return Float32Array.from(sum!, (x) => x * scale);
    };
    return {
      w1: await acc('fc1Weight', 1 / G),
      b1: await acc('fc1Bias', 1 / G),
      w2: await acc('fc2Weight', 1),
      b2: await acc('fc2Bias', 1),
      note: `${strategy}: ${what}; the ${G} group FFNs folded unit by unit (W1, b1 averaged, W2, b2 summed; their units agree, mean W1 column cosine ${agreement.toFixed(3)})`,
    };
  }
  // Units kept per group, in group order then unit order.
  const keep: number[][] = groups.map(() => []);
  if (chosen === 'concat') groups.forEach((g, gi) => (keep[gi] = Array.from({ length: hiddenOf(g) }, (_, j) => j)));
  else {
    importance
      .sort((a, b) => b.score - a.score || a.g - b.g || a.j - b.j)
      .slice(0, h)
      .forEach((u) => keep[u.g]!.push(u.j));
    keep.forEach((k) => k.sort((a, b) => a - b));
  }
  const w1 = new Float32Array(d * h);
  const b1 = new Float32Array(h);
  const w2 = new Float32Array(h * d);
  let col = 0;
  for (const [gi, g] of groups.entries()) {
    const hg = hiddenOf(g);
    const units = keep[gi]!;
    const gw1 = await tensor(g, 'fc1Weight');
    for (let a = 0; a < d; a++) units.forEach((j, c) => (w1[a * h + col + c] = gw1[a * hg + j]!));
    const gb1 = await tensor(g, 'fc1Bias');
    units.forEach((j, c) => (b1[col + c] = gb1[j]!));
    const gw2 = await tensor(g, 'fc2Weight');
    units.forEach((j, c) => w2.set(gw2.subarray(j * d, (j + 1) * d), (col + c) * d));
    const gb2 = await tensor(g, 'fc2Bias');
    for (let i = 0; i < d; i++) b2[i] = b2[i]! + gb2[i]!;
    col += units.length;
  }
  const kept = keep.map((k, gi) => `${groups[gi]!.kind} ${k.length}`).join(', ');
  const note =
    chosen === 'concat'
      ? `${strategy}: ${what}; the ${G} group FFNs concatenated along the hidden axis (exact sum, hidden ${h})`
      : `${strategy}: ${what}; folded by keeping the ${h} highest-importance hidden units of the ${G} group FFNs (${kept})${mode === 'auto' ? `; their units do not agree (mean W1 column cosine ${agreement.toFixed(3)})` : ''}`;
  return { w1, b1, w2, b2: Float32Array.from(b2), note };
}

/** kc's unit of work: an expert (or several byte-identical ones merged) with its weight and rank. */
interface KcPart {
  expert: ExpertRecord;
  weight: number;
  rank: number;
  ids: string[];
}

/**
 * kc: per-expert SVD compression to its rank, frequency-scaled, concatenated along the hidden
 * axis. Byte-identical experts (sparse upcycling) are merged first — their weights and ranks add
 * up — and an expert whose rank reaches its hidden width is kept as it is (a rotation of the
 * hidden space would change it: GELU is applied per unit), so kc is exact on upcycled packages.
 */
async function compress(src: SourceTensors, dense: DensePlan, experts: Map<string, ExpertRecord>): Promise<DenseFfn> {
  const { dim: d, hidden: h, groups } = dense;
  const parts = new Map<string, KcPart>();
  for (const g of groups) {
    const total = g.frequency.reduce((a, b) => a + b, 0);
    for (const [i, id] of g.experts.entries()) {
      const e = experts.get(id)!;
      const print = (await Promise.all(KEYS.map(async (k) => digest(await src.float32(e.tensors[k]))))).join();
      const p = parts.get(print);
      if (p) {
        p.weight += g.frequency[i]! / total;
        p.rank += g.ranks![i]!;
        p.ids.push(id);
      } else parts.set(print, { expert: e, weight: g.frequency[i]! / total, rank: g.ranks![i]!, ids: [id] });
    }
  }
  const w1 = new Float32Array(d * h);
  const b1 = new Float32Array(h);
  const w2 = new Float32Array(h * d);
  const b2 = new Float64Array(d);
  let col = 0;
  let padded = 0;
  let whole = 0;
  for (const { expert: e, weight: p, rank: r } of parts.values()) {
    const H = e.hidden;
    const ew2 = await src.float32(e.tensors.fc2Weight);
    const ew1 = await src.float32(e.tensors.fc1Weight);
    const eb1 = await src.float32(e.tensors.fc1Bias);
    if (r >= H) {
      // Full rank: the expert itself, scaled; the surplus units stay zero.
      whole++;
      for (let a = 0; a < d; a++) for (let j = 0; j < H; j++) w1[a * h + col + j] = ew1[a * H + j]!;
      b1.set(eb1, col);
      for (let j = 0; j < H * d; j++) w2[col * d + j] = p * ew2[j]!;
      padded += r - H;
    } else {
      const { sigma, v, u, rank } = topSingular(ew2, H, d, r);
      padded += r - rank;
      const acc = new Float64Array(rank);
      for (let a = 0; a < d; a++) {
        acc.fill(0);
        for (let j = 0; j < H; j++) {
          const x = ew1[a * H + j]!;
          if (x === 0) continue;
          for (let c = 0; c < rank; c++) acc[c] = acc[c]! + x * u[j * rank + c]!;
        }
        for (let c = 0; c < rank; c++) w1[a * h + col + c] = acc[c]!;
      }
      for (let c = 0; c < rank; c++) {
        let s = 0;
        for (let j = 0; j < H; j++) s += eb1[j]! * u[j * rank + c]!;
        b1[col + c] = s;
        for (let k = 0; k < d; k++) w2[(col + c) * d + k] = p * sigma[c]! * v[k * rank + c]!;
      }
    }
    const eb2 = await src.float32(e.tensors.fc2Bias);
    for (let k = 0; k < d; k++) b2[k] = b2[k]! + p * eb2[k]!;
    col += r; // units past the expert's rank stay zero: W2 has no more directions to give them
  }
  const n = groups.reduce((s, g) => s + g.experts.length, 0);
  const merged = n - parts.size;
  const note =
    `kc: ${n} experts, rank ${Math.floor(h / n)}-${Math.ceil(h / n)} each (hidden ${h} / ${n}), frequency-scaled and concatenated` +
    (merged ? `; ${merged} byte-identical experts merged into the ${parts.size} distinct ones (ranks added)` : '') +
    (whole ? `; ${whole} kept whole (rank >= hidden width, exact)` : '') +
    (parts.size > whole ? `; ${parts.size - whole} projected onto the top left singular directions of their W2` : '') +
    (padded ? `; ${padded} units zero (W2 rank below the budget)` : '');
  return { w1, b1, w2, b2: Float32Array.from(b2), note };
}

/**
 * The dense FFN of one block.
 * @param experts the source package's expert records by id
 */
export function denseFfn(
  src: SourceTensors,
  dense: DensePlan,
  experts: Map<string, ExpertRecord>,
  strategy: PruneStrategy,
  foldMode: FoldMode,
): Promise<DenseFfn> {
  return strategy === 'kc' ? compress(src, dense, experts) : fold(src, dense, experts, strategy, foldMode);
}
