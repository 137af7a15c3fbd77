/**
 * Parameter accounting from a config alone, without materialising weights: the whole model, any
 * expert subset, and the deployment tiers of the RingMoE paper. Counts are learnable parameters
 * (v1's relative position bias table and v2's continuous-position-bias MLP count as their
 * learnable tensors, not as the gathered bias constants graphs hold).
 */
import type { ModalityId } from '../../sdk/internal.js';
import { bytesAt } from '../package/param-bytes.js';
import { modalityOf, stageGeometry, type AttentionFlavour, type RingMoEConfig } from './config.js';

/** Which part of the model is kept. */
export interface ExpertSelection {
  /** Modalities whose patch embedding and modal experts are kept. */
  modalities: ModalityId[];
  /** Modal experts kept per kept modality. */
  modalPerModality: number;
  collaborative: number;
  shared: number;
  /** Router-free: one FFN of hidden width `denseHiddenMultiple × d·mlpRatio` per block replaces all experts. */
  dense?: boolean;
  /** Hidden width multiple of the dense FFN (1 = one standard FFN). */
  denseHiddenMultiple?: number;
}

export interface ParamBreakdown {
  embed: number;
  attention: number;
  norms: number;
  merges: number;
  experts: number;
  routers: number;
  total: number;
}

/** Parameters of one FFN expert: Linear(d→h) + Linear(h→d) with biases. */
export function ffnParams(dim: number, hidden: number): number {
  return 2 * dim * hidden + hidden + dim;
}

/**
 * Learnable attention parameters of one block. v1: q/k/v and output projections with biases and
 * the relative position bias table [(2w-1)², heads] (w = the stage's effective window). v2: q/k/v
 * with q and v biases (k has none), output projection, per-head logit scale and the
 * continuous-position-bias MLP.
 */
export function attentionParams(
  flavour: AttentionFlavour,
  dim: number,
  heads: number,
  window: number,
  cpbHidden: number,
): number {
  const proj = dim * dim + dim;
  if (flavour === 'v1') return 3 * dim * dim + 3 * dim + proj + (2 * window - 1) ** 2 * heads;
  const qkv = 3 * dim * dim + 2 * dim;
  const logitScale = heads;
  const cpb = 2 * cpbHidden + cpbHidden + cpbHidden * heads;
  return qkv + proj + logitScale + cpb;
}

/** Patch embedding of one modality: Conv(p×p, C→D) + LayerNorm. */
export function embedParams(c: RingMoEConfig, modality: ModalityId): number {
  const ch = modalityOf(c, modality).channels;
  return ch * c.patchSize * c.patchSize * c.embedDim + c.embedDim + 2 * c.embedDim;
}

/** Backbone parameters of `sel` (task heads excluded, as in the paper's tier figures). */
export function backboneParams(c: RingMoEConfig, sel: ExpertSelection): ParamBreakdown {
  const b: ParamBreakdown = { embed: 0, attention: 0, norms: 0, merges: 0, experts: 0, routers: 0, total: 0 };
  for (const m of sel.modalities) b.embed += embedParams(c, m);
  const geo = stageGeometry(c);
  for (const g of geo) {
    const perBlockExperts = sel.dense
      ? ffnParams(g.dim, g.hidden * (sel.denseHiddenMultiple ?? 1))
      : (sel.modalities.length * sel.modalPerModality + sel.collaborative + sel.shared) * ffnParams(g.dim, g.hidden);
    const routers = sel.dense
      ? 0
      : (sel.modalPerModality > 1 ? sel.modalities.length * sel.modalPerModality : 0) +
        (sel.collaborative > 1 ? sel.collaborative : 0);
    b.attention += g.depth * attentionParams(c.attention, g.dim, g.heads, g.window, c.cpbHidden);
    b.norms += g.depth * 4 * g.dim; // two post-norms per block
    b.experts += g.depth * perBlockExperts;
    b.routers += g.depth * routers * g.dim;
    if (g.stage < geo.length) b.merges += 4 * g.dim * 2 * g.dim + 2 * (2 * g.dim);
  }
  b.norms += 2 * geo[geo.length - 1]!.dim; // final norm
  b.total = b.embed + b.attention + b.norms + b.merges + b.experts + b.routers;
  return b;
}

/** The full selection of a config. */
export function fullSelection(c: RingMoEConfig): ExpertSelection {
  return {
    modalities: c.modalities.map((m) => m.id),
    modalPerModality: c.experts.modalPerModality,
    collaborative: c.experts.collaborative,
    shared: c.experts.shared,
  };
}

export interface TierFigure {
  tier: string;
  description: string;
  expertsPerBlock: number;
  params: number;
  bytes: { fp32: number; fp16: number; int8: number };
  breakdown: ParamBreakdown;
}

/**
 * The paper's deployment tiers for a config: full; one modality's sub-model; EP (1 of 4
 * collaborative experts kept per block); dense (one FFN per block); and the path activated per token.
 */
export function tierFigures(c: RingMoEConfig, modality: ModalityId = c.modalities[0]!.id): TierFigure[] {
  const e = c.experts;
  const keepCollab = Math.max(1, Math.round(e.collaborative * 0.25));
  const tiers: { tier: string; description: string; sel: ExpertSelection; perBlock: number }[] = [
    {
      tier: 'full',
      description: 'all modalities, every expert',
      sel: fullSelection(c),
      perBlock: c.modalities.length * e.modalPerModality + e.collaborative + e.shared,
    },
    {
      tier: 'single-modality',
      description: `one modality's sub-model (${modality}): its modal experts + collaborative + shared`,
      sel: {
        modalities: [modality],
        modalPerModality: e.modalPerModality,
        collaborative: e.collaborative,
        shared: e.shared,
      },
      perBlock: e.modalPerModality + e.collaborative + e.shared,
    },
    {
      tier: 'ep',
      description: `expert pruning: ${modality} modal experts + ${keepCollab} of ${e.collaborative} collaborative (most activated) + shared`,
      sel: {
        modalities: [modality],
        modalPerModality: e.modalPerModality,
        collaborative: keepCollab,
        shared: e.shared,
      },
      perBlock: e.modalPerModality + keepCollab + e.shared,
    },
    {
      tier: 'dense',
      description: 'one FFN per block, router-free (KS/KA/KC collapse)',
      sel: { modalities: [modality], modalPerModality: 0, collaborative: 0, shared: 0, dense: true },
      perBlock: 1,
    },
    {
      tier: 'activated',
      description: 'parameters one token passes through in the full model: 1 modal + 1 collaborative + shared',
      sel: { modalities: [modality], modalPerModality: 1, collaborative: 1, shared: e.shared, dense: false },
      perBlock: 1 + 1 + e.shared,
    },
  ];
  return tiers.map((t) => {
    const breakdown = backboneParams(c, t.sel);
    // The activated path still evaluates the routers that pick its experts.
    if (t.tier === 'activated') {
      const full = backboneParams(c, {
        ...t.sel,
        modalPerModality: e.modalPerModality,
        collaborative: e.collaborative,
      });
      breakdown.total += full.routers - breakdown.routers;
      breakdown.routers = full.routers;
    }
    return {
      tier: t.tier,
      description: t.description,
      expertsPerBlock: t.perBlock,
      params: breakdown.total,
      bytes: bytesAt(breakdown.total),
      breakdown,
    };
  });
}
