/**
 * Dense checkpoints: a RingMoE whose block MoEs were collapsed into one FFN each (KC/KS/KA, then
 * usually distilled), stored with the released code's dense MLP names (models/layers/mlp.py,
 * MindSpore `Linear`, weights [in, out]):
 * `encoder.layers.{i}.blocks.{j}.mlp.mapping.weight` [C, h], `.mlp.mapping.bias` [h],
 * `.mlp.projection.weight` [h, C], `.mlp.projection.bias` [C]; every other name as in the MoE
 * checkpoint. They become the package layout `ringmoe-edge prune --strategy kc|ks|ka` writes: one
 * `kind: 'dense'` expert `s<k>.b<j>.dense` per block (file weights/s<k>.b<j>/dense.bin), no routers.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { BlockExpertMap, ExpertRecord } from '../../sdk/internal.js';
import { stageGeometry, type RingMoEConfig, type StageGeometry } from '../ringmoe/config.js';
import { blockId } from '../ringmoe/emit/experts.js';
import { ffnParams, type ExpertSelection } from '../ringmoe/params.js';
import type { CheckpointIndex } from './checkpoint.js';
import type { Feed } from './plan-types.js';

const DENSE_MAPPING = /^encoder\.layers\.(\d+)\.blocks\.(\d+)\.mlp\.mapping\.weight$/;

/** Whether the checkpoint's block MLPs use the dense names (any block's `mlp.mapping.weight`). */
export function isDenseCheckpoint(names: Iterable<string>): boolean {
  for (const n of names) if (DENSE_MAPPING.test(n)) return true;
  return false;
}

/** The checkpoint prefix of block `j` of stage `i` (0-based). */
function blockPrefix(i: number, j: number): string {
  return `encoder.layers.${i}.blocks.${j}.`;
}

/**
 * Hidden width of every block's dense FFN, by package block id: the checkpoint's
 * `mlp.mapping.weight` [C, h] when it is 2-D, else the config's width (the missing or mis-shaped
 * tensor is then reported by the plan's shape check).
 */
export function denseHiddenWidths(c: RingMoEConfig, index: CheckpointIndex): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of stageGeometry(c)) {
    for (let j = 0; j < g.depth; j++) {
      const dims = index.tensors.get(`${blockPrefix(g.stage - 1, j)}mlp.mapping.weight`)?.dims;
      out[blockId(g.stage, j)] = dims?.length === 2 && dims[1]! > 0 ? dims[1]! : g.hidden;
    }
  }
  return out;
}

/**
 * The expert map of one dense block, as `prune --strategy kc` writes it (one `dense` expert of the
 * config's only modality, no routers).
 */
export function denseBlockExperts(c: RingMoEConfig, g: StageGeometry, index: number, hidden: number): BlockExpertMap {
  const id = blockId(g.stage, index);
  const eid = `${id}.dense`;
  const expert: ExpertRecord = {
    id: eid,
    kind: 'dense',
    modality: c.modalities[0]!.id,
    index: 0,
    file: `weights/${id}/dense.bin`,
    tensors: {
      fc1Weight: `${eid}.fc1.weight`,
      fc1Bias: `${eid}.fc1.bias`,
      fc2Weight: `${eid}.fc2.weight`,
      fc2Bias: `${eid}.fc2.bias`,
    },
    dim: g.dim,
    hidden,
    params: ffnParams(g.dim, hidden),
    origin: {
      strategy: 'convert',
      from: [`${blockPrefix(g.stage - 1, index)}mlp`],
      note: 'dense FFN of a collapsed checkpoint (mlp.mapping / mlp.projection)',
    },
  };
  return { id, stage: g.stage, block: index, dim: g.dim, hidden: g.hidden, routers: [], experts: [expert] };
}

/** The expert maps of every block of a dense conversion, stage by stage. */
export function denseExpertMaps(c: RingMoEConfig, hidden: Record<string, number>): BlockExpertMap[][] {
  return stageGeometry(c).map((g) =>
    Array.from({ length: g.depth }, (_, j) => denseBlockExperts(c, g, j, hidden[blockId(g.stage, j)] ?? g.hidden)),
  );
}

/**
 * The parameter selection of a dense conversion (tools/ringmoe/params.ts terms).
 * @throws EdgeError E_CHECKPOINT_MISMATCH when the blocks' widths are not one multiple of the config's
 */
export function denseSelection(c: RingMoEConfig, hidden: Record<string, number>, file: string): ExpertSelection {
  const multiples = new Set(
    stageGeometry(c).flatMap((g) =>
      Array.from({ length: g.depth }, (_, j) => (hidden[blockId(g.stage, j)] ?? g.hidden) / g.hidden),
    ),
  );
  if (multiples.size !== 1) {
    throw new EdgeError(
      'E_CHECKPOINT_MISMATCH',
      `the dense FFNs' hidden widths are not one multiple of the config's block widths (${[...multiples].join(', ')}): the package's parameter accounting needs one`,
      { file },
    );
  }
  return {
    modalities: c.modalities.map((m) => m.id),
    modalPerModality: 0,
    collaborative: 0,
    shared: 0,
    dense: true,
    denseHiddenMultiple: [...multiples][0]!,
  };
}

/** The four feeds of a block's dense FFN: released [in, out] layout, copied as stored. */
export function denseFfnFeeds(rec: BlockExpertMap): Feed[] {
  const e = rec.experts[0]!;
  const P = `${blockPrefix(rec.stage - 1, rec.block)}mlp.`;
  const copy = (target: string, dims: number[], from: string): Feed => ({
    target,
    dims,
    transform: { op: 'copy' },
    sources: [{ name: from, dims }],
  });
  return [
    copy(e.tensors.fc1Weight, [e.dim, e.hidden], `${P}mapping.weight`),
    copy(e.tensors.fc1Bias, [e.hidden], `${P}mapping.bias`),
    copy(e.tensors.fc2Weight, [e.hidden, e.dim], `${P}projection.weight`),
    copy(e.tensors.fc2Bias, [e.dim], `${P}projection.bias`),
  ];
}
