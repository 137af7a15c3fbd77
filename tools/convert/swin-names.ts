/**
 * Hugging Face SwinV2 names (`Swinv2Model` / `Swinv2ForImageClassification` state dicts) → the
 * v2 package, by sparse upcycling: every expert of a block is a copy of the block's dense FFN,
 * routers are seeded. HF SwinV2 blocks are res-post-norm: `layernorm_before` is applied to the
 * attention output (x + LN(attn(x))) and `layernorm_after` to the FFN output, exactly the
 * package's norm1 and norm2.
 */
import { stageGeometry, type RingMoEConfig } from '../ringmoe/config.js';
import { blockExperts } from '../ringmoe/emit/experts.js';
import { EdgeError } from '../../sdk/internal.js';
import type { Feed, SourceRef } from './plan-types.js';
import { stageNormDefaults } from './released-names.js';

/** Modalities the dense 3-channel RGB patch embedding feeds. */
export const DENSE_EMBED_MODALITIES: readonly string[] = ['optical', 'sar-l2'];

/** HF buffers and pretraining leftovers never used. */
export const SWIN_IGNORED: readonly RegExp[] = [
  /(^|\.)relative_position_index$/,
  /(^|\.)relative_coords_table$/,
  /(^|\.)mask_token$/,
  /^(decoder|module\.decoder)\./,
];

export function isSwinIgnored(name: string): boolean {
  return SWIN_IGNORED.some((r) => r.test(name));
}

/**
 * The prefix of the SwinV2 model's tensors (`swinv2.` or none), after refusing a Swin v1
 * checkpoint.
 * @throws EdgeError E_CHECKPOINT_FOREIGN for Swin v1 (`swin.` prefix or a relative position table) or no HF SwinV2 names
 */
export function swinPrefix(names: ReadonlySet<string>, file: string): string {
  const all = [...names];
  const v1 =
    all.some((n) => n.startsWith('swin.')) ||
    (all.some((n) => n.includes('attention.self.relative_position_bias_table')) &&
      !all.some((n) => n.endsWith('attention.self.logit_scale')));
  if (v1) {
    throw new EdgeError(
      'E_CHECKPOINT_FOREIGN',
      'this is a Swin v1 checkpoint (Hugging Face `swin.` names): its blocks are pre-norm (x + attn(LN(x))) with dot-product attention and a relative position table, so its weights do not compute the same function in the res-post-norm, cosine-attention SwinV2 blocks --from swin upcycles into',
      {
        file,
        hint: 'give a SwinV2 checkpoint (names under `swinv2.`)',
      },
    );
  }
  if (names.has('swinv2.embeddings.patch_embeddings.projection.weight')) return 'swinv2.';
  if (names.has('embeddings.patch_embeddings.projection.weight')) return '';
  throw new EdgeError(
    'E_CHECKPOINT_FOREIGN',
    'no Hugging Face SwinV2 tensors (swinv2.embeddings.patch_embeddings.projection.weight) in the checkpoint',
    { file, hint: 'without --from swin the converter reads released RingMoE names' },
  );
}

const src = (name: string, dims: number[], optional = false): SourceRef => ({
  name,
  dims,
  ...(optional ? { optional } : {}),
});
const copy = (target: string, dims: number[], from: string): Feed => ({
  target,
  dims,
  transform: { op: 'copy' },
  sources: [src(from, dims)],
});
const transposed = (target: string, dims: [number, number], from: string): Feed => ({
  target,
  dims,
  transform: { op: 'transpose' },
  sources: [src(from, [dims[1], dims[0]])],
});
const ln = (target: string, dim: number, from: string): Feed[] => [
  copy(`${target}.weight`, [dim], `${from}.weight`),
  copy(`${target}.bias`, [dim], `${from}.bias`),
];

/**
 * Feeds of the upcycled package. `cpbHidden` is the checkpoint's position-bias MLP width (512 in
 * HF's code; the graphs hold only the derived bias).
 */
export function swinFeeds(c: RingMoEConfig, prefix: string, cpbHidden: number): Feed[] {
  const feeds: Feed[] = [];
  const geometry = stageGeometry(c);
  const D0 = c.embedDim;
  const e = `${prefix}embeddings.`;
  for (const m of c.modalities) {
    if (DENSE_EMBED_MODALITIES.includes(m.id) && m.channels === 3) {
      feeds.push(
        copy(`embed.${m.id}.proj.weight`, [D0, 3, c.patchSize, c.patchSize], `${e}patch_embeddings.projection.weight`),
      );
      feeds.push(copy(`embed.${m.id}.proj.bias`, [D0], `${e}patch_embeddings.projection.bias`));
      feeds.push(...ln(`embed.${m.id}.norm`, D0, `${e}norm`));
    } else {
      const reason = `the dense checkpoint has a 3-channel RGB patch embedding only; ${m.id} (${m.channels} channels) is seeded`;
      feeds.push({
        target: `embed.${m.id}.proj.weight`,
        dims: [D0, m.channels, c.patchSize, c.patchSize],
        transform: { op: 'seed' },
        sources: [],
        reason,
      });
      feeds.push({ target: `embed.${m.id}.proj.bias`, dims: [D0], transform: { op: 'seed' }, sources: [], reason });
      feeds.push({
        target: `embed.${m.id}.norm.weight`,
        dims: [D0],
        transform: { op: 'const', value: 1 },
        sources: [],
        reason,
      });
      feeds.push({
        target: `embed.${m.id}.norm.bias`,
        dims: [D0],
        transform: { op: 'const', value: 0 },
        sources: [],
        reason,
      });
    }
  }
  for (const g of geometry) {
    const i = g.stage - 1;
    const D = g.dim;
    const H = g.hidden;
    if (g.stage > 1) {
      const C = geometry[i - 1]!.dim;
      const d = `${prefix}encoder.layers.${i - 1}.downsample.`;
      feeds.push(transposed(`s${g.stage}.merge.reduction.weight`, [4 * C, 2 * C], `${d}reduction.weight`));
      feeds.push(...ln(`s${g.stage}.merge.norm`, g.dim, `${d}norm`));
    }
    for (let j = 0; j < g.depth; j++) {
      const rec = blockExperts(c, g, j);
      const B = rec.id;
      const P = `${prefix}encoder.layers.${i}.blocks.${j}.`;
      const s = `${P}attention.self.`;
      const t = g.window * g.window;
      feeds.push({
        target: `${B}.attn.qkv.weight`,
        dims: [D, 3 * D],
        transform: { op: 'fuse-qkv' },
        sources: ['query', 'key', 'value'].map((p) => src(`${s}${p}.weight`, [D, D])),
      });
      // the key never has a bias; query and value have none when the model was built with qkv_bias=False
      feeds.push({
        target: `${B}.attn.qkv.bias`,
        dims: [3 * D],
        transform: { op: 'concat' },
        sources: ['query', 'key', 'value'].map((p) => src(`${s}${p}.bias`, [D], true)),
      });
      feeds.push({
        target: `${B}.attn.logit_scale_exp`,
        dims: [1, g.heads, 1, 1],
        transform: { op: 'logit-scale' },
        sources: [src(`${s}logit_scale`, [g.heads, 1, 1])],
      });
      feeds.push({
        target: `${B}.attn.relative_position_bias`,
        dims: [1, g.heads, t, t],
        transform: { op: 'cpb-bias', window: g.window, heads: g.heads },
        sources: [
          src(`${s}continuous_position_bias_mlp.0.weight`, [cpbHidden, 2]),
          src(`${s}continuous_position_bias_mlp.0.bias`, [cpbHidden]),
          src(`${s}continuous_position_bias_mlp.2.weight`, [g.heads, cpbHidden]),
        ],
      });
      feeds.push(transposed(`${B}.attn.proj.weight`, [D, D], `${P}attention.output.dense.weight`));
      feeds.push(copy(`${B}.attn.proj.bias`, [D], `${P}attention.output.dense.bias`));
      feeds.push(...ln(`${B}.norm1`, D, `${P}layernorm_before`));
      feeds.push(...ln(`${B}.norm2`, D, `${P}layernorm_after`));
      for (const x of rec.experts) {
        feeds.push(transposed(x.tensors.fc1Weight, [D, H], `${P}intermediate.dense.weight`));
        feeds.push(copy(x.tensors.fc1Bias, [H], `${P}intermediate.dense.bias`));
        feeds.push(transposed(x.tensors.fc2Weight, [H, D], `${P}output.dense.weight`));
        feeds.push(copy(x.tensors.fc2Bias, [D], `${P}output.dense.bias`));
      }
      for (const r of rec.routers) {
        feeds.push({
          target: r.weight,
          dims: [D, r.experts.length],
          transform: { op: 'seed' },
          sources: [],
          reason: 'router of upcycled experts, initialised from --seed',
        });
      }
    }
    if (g.stage === geometry.length) feeds.push(...ln(`s${g.stage}.out_norm`, g.dim, `${prefix}layernorm`));
    else feeds.push(...stageNormDefaults(g.stage, g.dim, 'SwinV2 has no intermediate stage norms'));
  }
  return feeds;
}

/** The classification head of `Swinv2ForImageClassification` (`classifier`, [K, D]). */
export const SWIN_HEAD = { weight: 'classifier.weight', bias: 'classifier.bias' };
