/**
 * Released RingMoE checkpoint names (MindSpore, HanboBizl/RingMoE) → package tensors, as data:
 * for every package tensor of a config, the checkpoint tensors it is made of, their released
 * layouts and the transform between them (see docs/convert.md and the model contract).
 */
import type { ModalityId } from '../../sdk/internal.js';
import { stageGeometry, type RingMoEConfig } from '../ringmoe/config.js';
import { blockExperts } from '../ringmoe/emit/experts.js';
import type { BlockExpertMap, ExpertRecord } from '../../sdk/internal.js';
import { denseFfnFeeds } from './dense-names.js';
import type { Feed, SourceRef } from './plan-types.js';

/** Modality index `m` of multi-modality checkpoints (`encoder.patch_embed{m}`, `special_ffn.{m}`). */
export const RELEASED_MODALITY_ORDER: readonly ModalityId[] = ['optical', 'sar-l1', 'sar-l2', 'multispectral'];

/** Checkpoint tensors never used: optimizer state, training counters, buffers, the MAE decoder. */
export const RELEASED_IGNORED: readonly RegExp[] = [
  /^mask_token$/,
  /(^|\.)mask_token$/,
  /^decoder/,
  /^(adam_m|adam_v|moment1|moment2|moments|accum)\./,
  /^(global_step|learning_rate|beta1_power|beta2_power|scale_sense|current_iterator_step|epoch_num|step_num|loss_scale)$/,
  /(^|\.)relative_position_index$/,
  /(^|\.)attn_mask$/,
  // the released blocks' shift mask Parameter is named "attention_mask": [1, nW, 1, w², w²]
  /(^|\.)attention_mask$/,
];

export function isReleasedIgnored(name: string): boolean {
  return RELEASED_IGNORED.some((r) => r.test(name));
}

/**
 * The key of modality `m` in checkpoint names: '' for a single-modality checkpoint (no index),
 * else its released index (package-declared sensors take their position in the config).
 */
export function modalityKey(c: RingMoEConfig, m: ModalityId, names: ReadonlySet<string>): string {
  if (c.modalities.length === 1 && names.has('encoder.patch_embed.projection.weight')) return '';
  const i = RELEASED_MODALITY_ORDER.indexOf(m);
  return String(i >= 0 ? i : c.modalities.findIndex((x) => x.id === m));
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

/** A LayerNorm's weight and bias from MindSpore `gamma`/`beta`. */
export function layerNormFeeds(target: string, dim: number, from: string, weight = 'gamma', bias = 'beta'): Feed[] {
  return [copy(`${target}.weight`, [dim], `${from}.${weight}`), copy(`${target}.bias`, [dim], `${from}.${bias}`)];
}

/** The four tensors of expert `index` of a stack ([E, in, out] weights, [1, E, 1, out] biases). */
function stackedExpertFeeds(e: ExpertRecord, index: number, count: number, stack: string): Feed[] {
  const { dim: D, hidden: H } = e;
  const slice = (target: string, dims: number[], from: string, fromDims: number[], per: number): Feed => ({
    target,
    dims,
    transform: { op: 'slice', start: index * per, count: per },
    sources: [src(from, fromDims)],
  });
  return [
    slice(e.tensors.fc1Weight, [D, H], `${stack}.mapping.weight`, [count, D, H], D * H),
    slice(e.tensors.fc1Bias, [H], `${stack}.mapping.bias`, [1, count, 1, H], H),
    slice(e.tensors.fc2Weight, [H, D], `${stack}.projection.weight`, [count, H, D], H * D),
    slice(e.tensors.fc2Bias, [D], `${stack}.projection.bias`, [1, count, 1, D], D),
  ];
}

/** Feeds of the attention of one block. v1 per the released code; v2 with our SwinV2 names. */
export function attentionFeeds(
  block: string,
  prefix: string,
  D: number,
  heads: number,
  window: number,
  flavour: 'v1' | 'v2',
  cpbHidden: number,
): Feed[] {
  const a = `${prefix}attn.`;
  const t = window * window;
  const feeds: Feed[] = [
    {
      target: `${block}.attn.qkv.weight`,
      dims: [D, 3 * D],
      transform: { op: 'fuse-qkv' },
      sources: ['q', 'k', 'v'].map((p) => src(`${a}${p}.weight`, [D, D])),
    },
    {
      target: `${block}.attn.qkv.bias`,
      dims: [3 * D],
      transform: { op: 'concat' },
      sources: ['q', 'k', 'v'].map((p) => src(`${a}${p}.bias`, [D], flavour === 'v2' && p === 'k')),
    },
    transposed(`${block}.attn.proj.weight`, [D, D], `${a}proj.weight`),
    copy(`${block}.attn.proj.bias`, [D], `${a}proj.bias`),
  ];
  if (flavour === 'v1') {
    const table = `${a}relative_position_bias.relative_position_bias_table`;
    const n = (2 * window - 1) ** 2;
    feeds.push(copy(`${block}.attn.relative_position_bias_table`, [n, heads], table));
    feeds.push({
      target: `${block}.attn.relative_position_bias`,
      dims: [1, heads, t, t],
      transform: { op: 'table-bias', window, heads },
      sources: [src(table, [n, heads])],
    });
  } else {
    feeds.push({
      target: `${block}.attn.logit_scale_exp`,
      dims: [1, heads, 1, 1],
      transform: { op: 'logit-scale' },
      sources: [src(`${a}logit_scale`, [heads, 1, 1])],
    });
    feeds.push({
      target: `${block}.attn.relative_position_bias`,
      dims: [1, heads, t, t],
      transform: { op: 'cpb-bias', window, heads },
      sources: [
        src(`${a}cpb_mlp.0.weight`, [cpbHidden, 2]),
        src(`${a}cpb_mlp.0.bias`, [cpbHidden]),
        src(`${a}cpb_mlp.2.weight`, [heads, cpbHidden]),
      ],
    });
  }
  return feeds;
}

/**
 * Every package tensor of config `c` with its released source, except the heads (see
 * {@link releasedHeadFeeds}). `names` is the checkpoint's name set (it decides single- vs
 * multi-modality naming and whether the optional stage norms are there). With `dense` (the expert
 * maps of a collapsed checkpoint, stage by stage) every block's FFN comes from the dense MLP names
 * (dense-names.ts) instead of the expert stacks and routers.
 */
export function releasedFeeds(
  c: RingMoEConfig,
  flavour: 'v1' | 'v2',
  names: ReadonlySet<string>,
  dense?: BlockExpertMap[][],
): Feed[] {
  const feeds: Feed[] = [];
  const geometry = stageGeometry(c);
  const D0 = c.embedDim;
  for (const m of c.modalities) {
    const k = modalityKey(c, m.id, names);
    const p = `encoder.patch_embed${k}`;
    feeds.push(copy(`embed.${m.id}.proj.weight`, [D0, m.channels, c.patchSize, c.patchSize], `${p}.projection.weight`));
    feeds.push(copy(`embed.${m.id}.proj.bias`, [D0], `${p}.projection.bias`));
    feeds.push(...layerNormFeeds(`embed.${m.id}.norm`, D0, `${p}.norm`));
  }
  for (const g of geometry) {
    const i = g.stage - 1;
    if (g.stage > 1) {
      const C = geometry[i - 1]!.dim;
      feeds.push(
        transposed(
          `s${g.stage}.merge.reduction.weight`,
          [4 * C, 2 * C],
          `encoder.layers.${i - 1}.downsample.reduction.weight`,
        ),
      );
      feeds.push(...layerNormFeeds(`s${g.stage}.merge.norm`, g.dim, `encoder.layers.${i - 1}.downsample.norm`));
    }
    for (let j = 0; j < g.depth; j++) {
      const rec = blockExperts(c, g, j);
      const P = `encoder.layers.${i}.blocks.${j}.`;
      feeds.push(...attentionFeeds(rec.id, P, g.dim, g.heads, g.window, flavour, c.cpbHidden));
      feeds.push(...layerNormFeeds(`${rec.id}.norm1`, g.dim, `${P}norm1`));
      feeds.push(...layerNormFeeds(`${rec.id}.norm2`, g.dim, `${P}norm2`));
      if (dense) {
        feeds.push(...denseFfnFeeds(dense[i]![j]!));
        continue;
      }
      for (const e of rec.experts) {
        if (e.kind === 'modal') {
          const k = modalityKey(c, e.modality!, names);
          feeds.push(
            ...stackedExpertFeeds(e, e.index, c.experts.modalPerModality, `${P}mlp.special_ffn${k ? `.${k}` : ''}`),
          );
        } else if (e.kind === 'collaborative') {
          feeds.push(...stackedExpertFeeds(e, e.index, c.experts.collaborative, `${P}mlp.cross_ffn`));
        } else {
          const s = `${P}mlp.public_ffn`;
          feeds.push(
            copy(e.tensors.fc1Weight, [e.dim, e.hidden], `${s}.mapping.weight`),
            copy(e.tensors.fc1Bias, [e.hidden], `${s}.mapping.bias`),
          );
          feeds.push(
            copy(e.tensors.fc2Weight, [e.hidden, e.dim], `${s}.projection.weight`),
            copy(e.tensors.fc2Bias, [e.dim], `${s}.projection.bias`),
          );
        }
      }
      for (const r of rec.routers) {
        const E = r.experts.length;
        const from =
          r.kind === 'modal'
            ? (() => {
                const k = modalityKey(c, r.modality!, names);
                return `${P}mlp.special_router${k ? `.${k}` : ''}.dense.weight`;
              })()
            : `${P}mlp.cross_router.dense.weight`;
        feeds.push(transposed(r.weight, [g.dim, E], from));
      }
    }
    const last = g.stage === geometry.length;
    const norm = last ? 'encoder.norm' : `encoder.stage_norm${i}`;
    if (last || names.has(`${norm}.gamma`) || names.has(`${norm}.beta`))
      feeds.push(...layerNormFeeds(`s${g.stage}.out_norm`, g.dim, norm));
    else
      feeds.push(
        ...stageNormDefaults(
          g.stage,
          g.dim,
          `${norm}.gamma|beta not in the checkpoint (the released code has no intermediate stage norms)`,
        ),
      );
  }
  return feeds;
}

/** A stage output norm the checkpoint lacks: weight 1, bias 0. */
export function stageNormDefaults(stage: number, dim: number, reason: string): Feed[] {
  return [
    { target: `s${stage}.out_norm.weight`, dims: [dim], transform: { op: 'const', value: 1 }, sources: [], reason },
    { target: `s${stage}.out_norm.bias`, dims: [dim], transform: { op: 'const', value: 0 }, sources: [], reason },
  ];
}

/** The classification head (our extension: torch Linear layout [K, D_last]). */
export function releasedHeadFeeds(c: RingMoEConfig, weight = 'head.cls.fc.weight', bias = 'head.cls.fc.bias'): Feed[] {
  const geometry = stageGeometry(c);
  const D = geometry[geometry.length - 1]!.dim;
  const K = c.taskHeads.classification.labels.length;
  return [transposed('head.cls.fc.weight', [D, K], weight), copy('head.cls.fc.bias', [K], bias)];
}
