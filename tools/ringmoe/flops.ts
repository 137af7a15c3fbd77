/**
 * Compute of the path a frame actually takes through a RingMoE backbone, from a config and an
 * expert selection alone: patch embedding, window attention (q/k/v and output projections plus the
 * two window matmuls), patch merging, routers, and the experts a token activates (sparse
 * lowering) or every kept expert (dense lowering, which runs them all and masks). Counted as
 * multiply-accumulates; FLOPs = 2 × MACs. Norms, softmax and activations are left out (they are
 * memory-bound and a few percent at most). Task heads are counted separately.
 */
import type { ModalityId } from '../../sdk/internal.js';
import { modalityOf, stageGeometry, type RingMoEConfig, type TaskHead } from './config.js';
import type { ExpertSelection } from './params.js';

/** Multiply-accumulates of one run, by part. */
export interface ComputeBreakdown {
  embed: number;
  attention: number;
  merges: number;
  routers: number;
  experts: number;
  /** The emitted classification, segmentation, detection and depth heads with their neck (one pass). */
  heads: number;
  /** Backbone MACs (everything but heads). */
  backbone: number;
  /** Backbone + heads MACs. */
  total: number;
}

/** How the model is run: batch, lowering, modality, trunk passes. */
export interface ComputeOptions {
  /** Input frames per run. Default 1. */
  batch?: number;
  /** Routed experts: `sparse` counts the activated ones, `dense` every kept one. Default sparse. */
  lowering?: 'sparse' | 'dense';
  /** Modality whose patch embedding runs (channels). Default the selection's first. */
  modality?: ModalityId;
  /** Trunk passes per run (fusion: one per modality; change: two). Default 1. */
  passes?: number;
}

/** Experts of one block a token's computation passes through, and the routers evaluated. */
export function activeExperts(
  sel: ExpertSelection,
  lowering: 'sparse' | 'dense',
): { ffns: number; hiddenMultiple: number; routerOutputs: number } {
  if (sel.dense) return { ffns: 1, hiddenMultiple: sel.denseHiddenMultiple ?? 1, routerOutputs: 0 };
  const routed = (n: number) => (n === 0 ? 0 : lowering === 'sparse' ? 1 : n);
  const routers = (n: number) => (n > 1 ? n : 0);
  return {
    ffns: routed(sel.modalPerModality) + routed(sel.collaborative) + sel.shared,
    hiddenMultiple: 1,
    routerOutputs: routers(sel.modalPerModality) + routers(sel.collaborative),
  };
}

/**
 * MACs of one run of the backbone (and heads) of `c` with experts `sel`.
 * @example macs(namedConfig('ringmoe-14.7b'), { modalities: ['optical'], modalPerModality: 0, collaborative: 0, shared: 0, dense: true }).backbone
 */
export function macs(c: RingMoEConfig, sel: ExpertSelection, o: ComputeOptions = {}): ComputeBreakdown {
  const batch = o.batch ?? 1;
  const passes = o.passes ?? 1;
  const lowering = o.lowering ?? 'sparse';
  const modality = o.modality ?? sel.modalities[0] ?? c.modalities[0]!.id;
  const geo = stageGeometry(c);
  const act = activeExperts(sel, lowering);
  const r = { embed: 0, attention: 0, merges: 0, routers: 0, experts: 0, heads: 0, backbone: 0, total: 0 };
  const tokens0 = geo[0]!.height * geo[0]!.width;
  r.embed = tokens0 * modalityOf(c, modality).channels * c.patchSize * c.patchSize * c.embedDim;
  for (const g of geo) {
    const T = g.height * g.width;
    const t = g.window * g.window;
    // qkv (3d²) + output projection (d²) per token; q·kᵀ and attn·v: t·d per token each.
    r.attention += g.depth * (4 * T * g.dim * g.dim + 2 * T * t * g.dim);
    r.routers += g.depth * T * g.dim * act.routerOutputs;
    r.experts += g.depth * act.ffns * T * 2 * g.dim * g.hidden * act.hiddenMultiple;
    if (g.stage > 1) r.merges += T * 4 * (g.dim / 2) * g.dim;
  }
  // Heads the config emits: FPN lateral 1×1 convs (when a dense head needs them), segmentation/depth
  // 1×1 at stride 4, detection tower 3×3 + cls/box at its stride, classifier.
  const n = c.taskHeads.neckDim;
  const stride = c.taskHeads.detection.stride;
  const at = (s: number) => (c.inputSize.height / s) * (c.inputSize.width / s);
  const on = (t: TaskHead) => c.tasks.includes(t);
  if (on('segmentation') || on('detection') || on('depth'))
    for (const g of geo) r.heads += g.height * g.width * g.dim * n;
  if (on('segmentation')) r.heads += at(c.patchSize) * n * c.taskHeads.segmentation.labels.length;
  if (on('depth')) r.heads += at(c.patchSize) * n;
  if (on('detection'))
    r.heads +=
      at(stride) *
      n *
      (9 * n + c.taskHeads.detection.labels.length + (c.taskHeads.detection.boxes === 'oriented' ? 5 : 4));
  if (on('classification')) r.heads += geo[geo.length - 1]!.dim * c.taskHeads.classification.labels.length;
  const scale = batch * passes;
  for (const k of ['embed', 'attention', 'merges', 'routers', 'experts'] as const) r[k] *= scale;
  r.heads *= batch;
  r.backbone = r.embed + r.attention + r.merges + r.routers + r.experts;
  r.total = r.backbone + r.heads;
  return r;
}

/** FLOPs (2 × MACs) of the backbone and heads of one run. */
export function flops(
  c: RingMoEConfig,
  sel: ExpertSelection,
  o: ComputeOptions = {},
): { backbone: number; total: number } {
  const m = macs(c, sel, o);
  return { backbone: 2 * m.backbone, total: 2 * m.total };
}
