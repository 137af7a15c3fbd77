/**
 * The Swin trunk (v1 or v2 window attention, see attention.ts) for one pass of one modality: patch embedding, stages of (shifted-)window
 * attention blocks with the hierarchical MoE, patch merging, and the per-stage output norms that
 * give the multi-scale features (strides 4/8/16/32).
 */
import type { BlockExpertMap, MoeClusterRecord } from '../../../sdk/internal.js';
import type { ModalityId } from '../../../sdk/internal.js';
import { modalityOf, normEpsilons } from '../config.js';
import { windowAttention } from './attention.js';
import type { EmitContext } from './context.js';
import { passLayout } from './experts.js';
import { emitMoe } from './moe.js';

export interface TrunkOutputs {
  /** NCHW feature maps, one per stage. */
  features: string[];
  /** [N, D_last] pooled last-stage feature. */
  embedding: string;
  clusters: MoeClusterRecord[];
}

/**
 * Emits the trunk reading `image` [N, C, H, W] of `modality`. Node names are scoped by `pass` so
 * one graph can hold several passes (fusion, change detection) sharing weights.
 */
export function emitTrunk(
  ctx: EmitContext,
  image: string,
  modality: ModalityId,
  pass: string,
  blocks: BlockExpertMap[][],
): TrunkOutputs {
  const b = ctx.b;
  const c = ctx.config;
  const D0 = c.embedDim;
  const spec = modalityOf(c, modality);
  const eps = normEpsilons(c);
  return b.scope(pass, () => {
    const embedFile = `embed.${modality}`;
    let x = ctx.conv(image, spec.channels, D0, c.patchSize, `embed.${modality}.proj`, embedFile, {
      stride: c.patchSize,
    });
    x = ctx.transpose(ctx.reshape(x, [0, D0, -1]), [0, 2, 1]);
    x = ctx.layerNorm(x, D0, `embed.${modality}.norm`, embedFile, eps.embed);
    const features: string[] = [];
    const clusters: MoeClusterRecord[] = [];
    let normed = x;
    for (const g of ctx.geometry) {
      if (g.stage > 1) {
        x = b.scope(`s${g.stage}.merge`, () => {
          const prev = ctx.geometry[g.stage - 2]!;
          const m = ctx.reshape(
            ctx.transpose(ctx.reshape(x, [-1, prev.height / 2, 2, prev.width / 2, 2, prev.dim]), [0, 1, 3, 4, 2, 5]),
            [-1, g.height * g.width, 4 * prev.dim],
          );
          return ctx.layerNorm(
            ctx.linear(m, 4 * prev.dim, g.dim, `s${g.stage}.merge.reduction`, 'trunk', { bias: false }),
            g.dim,
            `s${g.stage}.merge.norm`,
            'trunk',
            eps.merge,
          );
        });
      }
      for (let i = 0; i < g.depth; i++) {
        const block = blocks[g.stage - 1]![i]!;
        x = b.scope(block.id, () => {
          const y = windowAttention(ctx, x, g, i, block.id);
          const tokens = ctx.reshape(y, [-1, g.dim]);
          const { output, record } = emitMoe(
            b,
            passLayout(ctx, block, modality),
            tokens,
            ctx.options.lowering,
            modality,
          );
          clusters.push(record);
          const m = ctx.reshape(output, [-1, g.height * g.width, g.dim]);
          return b.op('Add', [y, ctx.layerNorm(m, g.dim, `${block.id}.norm2`, 'trunk', eps.block)]);
        });
      }
      normed = ctx.layerNorm(x, g.dim, `s${g.stage}.out_norm`, 'trunk', eps.out);
      features.push(ctx.transpose(ctx.reshape(normed, [-1, g.height, g.width, g.dim]), [0, 3, 1, 2]));
    }
    const embedding = ctx.reduce('ReduceMean', normed, [1], false);
    return { features, embedding, clusters };
  });
}
