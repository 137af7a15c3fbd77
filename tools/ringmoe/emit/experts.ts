/**
 * The experts and routers of every block of a generated package: their seeded weights (one file
 * per expert, one per router) and their expert-map records.
 */
import type { BlockExpertMap, ExpertRecord, FfnTensors, RouterRecord } from '../../../sdk/internal.js';
import type { ModalityId } from '../../../sdk/internal.js';
import type { RingMoEConfig, StageGeometry } from '../config.js';
import { ffnParams } from '../params.js';
import { truncNormal } from '../../frames/seeded.js';
import type { EmitContext } from './context.js';
import type { MoeClusterSpec, MoeGroupSpec } from './moe.js';

/** `s<stage>.b<block>`. */
export function blockId(stage: number, block: number): string {
  return `s${stage}.b${block}`;
}

function ffnTensors(id: string): FfnTensors {
  return {
    fc1Weight: `${id}.fc1.weight`,
    fc1Bias: `${id}.fc1.bias`,
    fc2Weight: `${id}.fc2.weight`,
    fc2Bias: `${id}.fc2.bias`,
  };
}

/** The expert map of one block of a freshly generated (unpruned) model. */
export function blockExperts(c: RingMoEConfig, g: StageGeometry, index: number): BlockExpertMap {
  const id = blockId(g.stage, index);
  const experts: ExpertRecord[] = [];
  const routers: RouterRecord[] = [];
  const file = (name: string) => `weights/${id}/${name}.bin`;
  const expert = (kind: ExpertRecord['kind'], name: string, idx: number, modality?: ModalityId, router?: string) => {
    const eid = `${id}.${name}`;
    experts.push({
      id: eid,
      kind,
      ...(modality !== undefined ? { modality } : {}),
      index: idx,
      ...(router !== undefined ? { router } : {}),
      file: file(name),
      tensors: ffnTensors(eid),
      dim: g.dim,
      hidden: g.hidden,
      params: ffnParams(g.dim, g.hidden),
    });
  };
  for (const m of c.modalities) {
    const rid = c.experts.modalPerModality > 1 ? `${id}.router.modal.${m.id}` : undefined;
    for (let i = 0; i < c.experts.modalPerModality; i++) expert('modal', `modal.${m.id}.${i}`, i, m.id, rid);
    if (rid) {
      routers.push({
        id: rid,
        kind: 'modal',
        modality: m.id,
        file: file(`router.modal.${m.id}`),
        weight: `${rid}.weight`,
        experts: experts.filter((e) => e.router === rid).map((e) => e.id),
        params: g.dim * c.experts.modalPerModality,
      });
    }
  }
  const crid = c.experts.collaborative > 1 ? `${id}.router.collaborative` : undefined;
  for (let i = 0; i < c.experts.collaborative; i++) expert('collaborative', `collaborative.${i}`, i, undefined, crid);
  if (crid) {
    routers.push({
      id: crid,
      kind: 'collaborative',
      file: file('router.collaborative'),
      weight: `${crid}.weight`,
      experts: experts.filter((e) => e.router === crid).map((e) => e.id),
      params: g.dim * c.experts.collaborative,
    });
  }
  if (c.experts.shared) expert('shared', 'shared', 0);
  return { id, stage: g.stage, block: index, dim: g.dim, hidden: g.hidden, routers, experts };
}

/**
 * Seeded values of one expert tensor: √(1−s²)·base + s·own, where `base` is drawn once per block and
 * `own` per expert, s = `expertSpread`. s = 0 is sparse upcycling (every expert of a block a copy of
 * one FFN, as RingMoE was initialised); s = 1 makes experts independent. In between, experts are
 * related but distinct, like a trained upcycled MoE, so a token routed to a neighbouring expert is
 * not sent somewhere arbitrary.
 */
function expertTensor(
  ctx: EmitContext,
  block: string,
  expert: string,
  part: string,
  dims: number[],
  std: number,
): Float32Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const s = ctx.options.expertSpread;
  const seed = ctx.options.seed;
  if (s === 0) return truncNormal(seed, `${block}.base.${part}`, n, std);
  if (s === 1) return truncNormal(seed, `${expert}.${part}`, n, std);
  const base = truncNormal(seed, `${block}.base.${part}`, n, std);
  const own = truncNormal(seed, `${expert}.${part}`, n, std);
  const a = Math.sqrt(1 - s * s);
  for (let i = 0; i < n; i++) base[i] = a * base[i]! + s * own[i]!;
  return base;
}

/**
 * Adds the weights of the experts and routers a pass of `modality` uses to the graph (generating
 * them, or taking them from the context's weight source, on first use only) and returns the MoE
 * layout for that pass.
 */
export function passLayout(ctx: EmitContext, block: BlockExpertMap, modality: ModalityId): MoeClusterSpec {
  const uses = (e: ExpertRecord) => e.kind !== 'modal' || e.modality === modality;
  for (const e of block.experts.filter(uses)) {
    const fileKey = e.file.replace(/^weights\//, '').replace(/\.bin$/, '');
    const weight = (name: string, part: string, dims: number[], std: number) =>
      ctx.param(name, fileKey, dims, { kind: 'lazy', make: () => expertTensor(ctx, block.id, e.id, part, dims, std) });
    weight(e.tensors.fc1Weight, 'fc1.weight', [e.dim, e.hidden], 1 / Math.sqrt(e.dim));
    weight(e.tensors.fc1Bias, 'fc1.bias', [e.hidden], 0.02);
    weight(e.tensors.fc2Weight, 'fc2.weight', [e.hidden, e.dim], 1 / Math.sqrt(e.hidden));
    weight(e.tensors.fc2Bias, 'fc2.bias', [e.dim], 0.02);
  }
  const groups: MoeGroupSpec[] = [];
  const addGroup = (experts: ExpertRecord[], routerId?: string) => {
    if (experts.length === 0) return;
    const router = block.routers.find((r) => r.id === routerId);
    if (router) {
      const fileKey = router.file.replace(/^weights\//, '').replace(/\.bin$/, '');
      ctx.param(router.weight, fileKey, [block.dim, router.experts.length], { kind: 'fanin', fanIn: block.dim });
    }
    groups.push({
      ...(router ? { router: { id: router.id, weight: router.weight } } : {}),
      experts: experts.map((e) => ({ id: e.id, tensors: e.tensors })),
    });
  };
  const modal = block.experts.filter((e) => e.kind === 'modal' && e.modality === modality);
  addGroup(modal, modal[0]?.router);
  const collab = block.experts.filter((e) => e.kind === 'collaborative');
  addGroup(collab, collab[0]?.router);
  for (const e of block.experts.filter((x) => x.kind === 'shared' || x.kind === 'dense')) addGroup([e]);
  return { block: block.id, groups };
}
