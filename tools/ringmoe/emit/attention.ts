/**
 * Window attention inside (shifted) windows with residual post-norm, in two flavours:
 * v1 (Swin v1 as in RingMoE's released code: dot product scaled by head_dim^-0.5, q/k/v biases,
 * learned relative position bias table) and v2 (SwinV2: scaled-cosine attention with the
 * continuous relative position bias). Position biases and the shift mask are input independent
 * and precomputed into constants.
 */
import { attr } from '../../onnx/builder.js';
import { normEpsilons, type StageGeometry } from '../config.js';
import { Rng } from '../../frames/seeded.js';
import type { EmitContext } from './context.js';

/** SwinV2's log-spaced relative coordinates table, [(2w-1)², 2]. */
export function relativeCoordsTable(w: number): Float32Array {
  const n = 2 * w - 1;
  const out = new Float32Array(n * n * 2);
  const norm = (d: number) => {
    const x = w > 1 ? (d / (w - 1)) * 8 : 0;
    return (Math.sign(x) * Math.log2(Math.abs(x) + 1)) / Math.log2(8);
  };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      out[(i * n + j) * 2] = norm(i - (w - 1));
      out[(i * n + j) * 2 + 1] = norm(j - (w - 1));
    }
  }
  return out;
}

/**
 * Relative position index of a w×w window, [w², w²]: idx(i, j) = (r_i − r_j + w − 1)·(2w − 1) +
 * (c_i − c_j + w − 1), token i at row ⌊i / w⌋, column i mod w.
 */
export function relativePositionIndex(w: number): Int32Array {
  const t = w * w;
  const out = new Int32Array(t * t);
  for (let i = 0; i < t; i++) {
    for (let j = 0; j < t; j++)
      out[i * t + j] = (Math.floor(i / w) - Math.floor(j / w) + w - 1) * (2 * w - 1) + ((i % w) - (j % w) + w - 1);
  }
  return out;
}

/** Gathers a bias table [(2w-1)², heads] by relative position index into [1, heads, w², w²]. */
export function gatherPositionBias(table: Float32Array, w: number, heads: number): Float32Array {
  const t = w * w;
  const index = relativePositionIndex(w);
  const out = new Float32Array(heads * t * t);
  for (let i = 0; i < t; i++) {
    for (let j = 0; j < t; j++) {
      const idx = index[i * t + j]!;
      for (let o = 0; o < heads; o++) out[(o * t + i) * t + j] = table[idx * heads + o]!;
    }
  }
  return out;
}

/** Weights of SwinV2's continuous-position-bias MLP: Linear(2→H) + ReLU + Linear(H→heads, no bias). */
export interface CpbWeights {
  /** [2, hidden] */
  fc1Weight: Float32Array;
  /** [hidden] */
  fc1Bias: Float32Array;
  /** [hidden, heads] */
  fc2Weight: Float32Array;
}

/** The SwinV2 relative position bias of one block, [1, heads, w², w²]: 16·sigmoid(cpb_mlp(coords)) gathered by index. */
export function relativePositionBias(cpb: CpbWeights, w: number, heads: number, hidden: number): Float32Array {
  const table = relativeCoordsTable(w);
  const n = (2 * w - 1) ** 2;
  const { fc1Weight: w1, fc1Bias: b1, fc2Weight: w2 } = cpb;
  const mlp = new Float32Array(n * heads);
  const h = new Float32Array(hidden);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < hidden; k++)
      h[k] = Math.max(0, table[r * 2]! * w1[k]! + table[r * 2 + 1]! * w1[hidden + k]! + b1[k]!);
    for (let o = 0; o < heads; o++) {
      let s = 0;
      for (let k = 0; k < hidden; k++) s += h[k]! * w2[k * heads + o]!;
      mlp[r * heads + o] = 16 / (1 + Math.exp(-s));
    }
  }
  return gatherPositionBias(mlp, w, heads);
}

/** Swin's shifted-window attention mask, [1, nW, 1, w², w²]: 0 inside a region, -100 across. */
export function shiftMask(height: number, width: number, w: number, shift: number): Float32Array {
  const label = new Int32Array(height * width);
  const region = (x: number, size: number) => (x < size - w ? 0 : x < size - shift ? 1 : 2);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) label[y * width + x] = region(y, height) * 3 + region(x, width);
  const nh = height / w;
  const nw = width / w;
  const t = w * w;
  const out = new Float32Array(nh * nw * t * t);
  for (let wy = 0; wy < nh; wy++) {
    for (let wx = 0; wx < nw; wx++) {
      const base = (wy * nw + wx) * t * t;
      for (let i = 0; i < t; i++) {
        const li = label[(wy * w + Math.floor(i / w)) * width + wx * w + (i % w)]!;
        for (let j = 0; j < t; j++) {
          const lj = label[(wy * w + Math.floor(j / w)) * width + wx * w + (j % w)]!;
          out[base + i * t + j] = li === lj ? 0 : -100;
        }
      }
    }
  }
  return out;
}

/** Cyclic shift of [N, H, W, D] by `s` along H and W (negative = towards the origin). */
function roll(ctx: EmitContext, x: string, s: number, height: number, width: number): string {
  const b = ctx.b;
  const along = (t: string, axis: number, size: number) => {
    const k = ((s % size) + size) % size; // result[i] = t[(i - s) mod size]
    const cut = size - k;
    const head = b.op('Slice', [t, b.int64s([cut]), b.int64s([size]), b.int64s([axis])]);
    const tail = b.op('Slice', [t, b.int64s([0]), b.int64s([cut]), b.int64s([axis])]);
    return b.op('Concat', [head, tail], { axis: attr.i(axis) });
  };
  return along(along(x, 1, height), 2, width);
}

/** Where one block's attention runs: its stage geometry, block id and shift. */
interface AttentionSite {
  g: StageGeometry;
  block: string;
  /** Shift of this block (0 for even blocks or when the window covers the feature map). */
  shift: number;
}

/**
 * One block's attention branch with residual post-norm: x + LN(attn(x)), in the config's
 * flavour. `x` is [N, L, D]. Weights live in weights/trunk.bin under `<block>.attn.*` and
 * `<block>.norm1.*`.
 */
export function windowAttention(
  ctx: EmitContext,
  x: string,
  g: StageGeometry,
  blockIndex: number,
  block: string,
): string {
  const b = ctx.b;
  const { dim: D, heads: h, height: H, width: W, window: w } = g;
  const site: AttentionSite = { g, block, shift: blockIndex % 2 === 1 ? g.shift : 0 };
  const { shift } = site;
  const hd = D / h;
  const t = w * w;
  return b.scope('attn', () => {
    let xs = ctx.reshape(x, [-1, H, W, D]);
    if (shift) xs = roll(ctx, xs, -shift, H, W);
    let xw = ctx.reshape(xs, [-1, H / w, w, W / w, w, D]);
    xw = ctx.reshape(ctx.transpose(xw, [0, 1, 3, 2, 4, 5]), [-1, t, D]);
    const qkvW = ctx.param(`${block}.attn.qkv.weight`, 'trunk', [D, 3 * D], { kind: 'fanin', fanIn: D });
    const qkvB = ctx.param(
      `${block}.attn.qkv.bias`,
      'trunk',
      [3 * D],
      ctx.config.attention === 'v1' ? { kind: 'normal', std: 0.02 } : { kind: 'data', data: v2QkvBias(ctx, block, D) },
    );
    let qkv = b.op('Add', [b.op('MatMul', [xw, qkvW]), qkvB]);
    qkv = ctx.transpose(ctx.reshape(qkv, [-1, t, 3, h, hd]), [2, 0, 3, 1, 4]);
    const [q, k, v] = [0, 1, 2].map((i) => b.op('Gather', [qkv, b.int64(i)], { axis: attr.i(0) })) as [
      string,
      string,
      string,
    ];
    let a = ctx.config.attention === 'v1' ? v1Scores(ctx, site, q, k) : v2Scores(ctx, site, q, k);
    if (shift) {
      const nW = (H / w) * (W / w);
      const mask = ctx.param(`s${g.stage}.attn_mask`, 'trunk', [1, nW, 1, t, t], {
        kind: 'data',
        data: shiftMask(H, W, w, shift),
      });
      a = ctx.reshape(b.op('Add', [ctx.reshape(a, [-1, nW, h, t, t]), mask]), [-1, h, t, t]);
    }
    a = b.op('Softmax', [a], { axis: attr.i(-1) });
    let o = ctx.reshape(ctx.transpose(b.op('MatMul', [a, v]), [0, 2, 1, 3]), [-1, t, D]);
    o = ctx.linear(o, D, D, `${block}.attn.proj`, 'trunk');
    o = ctx.reshape(ctx.transpose(ctx.reshape(o, [-1, H / w, W / w, w, w, D]), [0, 1, 3, 2, 4, 5]), [-1, H, W, D]);
    if (shift) o = roll(ctx, o, shift, H, W);
    o = ctx.reshape(o, [-1, H * W, D]);
    return b.op('Add', [x, ctx.layerNorm(o, D, `${block}.norm1`, 'trunk', normEpsilons(ctx.config).block)]);
  });
}

/**
 * v1 scores [nW·N, heads, w², w²]: (q · head_dim^-0.5) · kᵀ + relative position bias, the bias
 * gathered from the learned table `<block>.attn.relative_position_bias_table` [(2w-1)², heads].
 */
function v1Scores(ctx: EmitContext, site: AttentionSite, q: string, k: string): string {
  const b = ctx.b;
  const { g, block } = site;
  const { heads: h, window: w } = g;
  const t = w * w;
  let a = b.op('MatMul', [b.op('Mul', [q, b.float((g.dim / h) ** -0.5)]), ctx.transpose(k, [0, 1, 3, 2])]);
  const table = ctx.values(`${block}.attn.relative_position_bias_table`, [(2 * w - 1) ** 2, h], {
    kind: 'normal',
    std: 0.02,
  });
  a = b.op('Add', [
    a,
    ctx.param(`${block}.attn.relative_position_bias`, 'trunk', [1, h, t, t], {
      kind: 'data',
      data: gatherPositionBias(table, w, h),
    }),
  ]);
  return a;
}

/** v2's q and v biases as one [3D] bias with a zero k part (k has none in SwinV2). */
function v2QkvBias(ctx: EmitContext, block: string, D: number): Float32Array {
  const qb = ctx.values(`${block}.attn.q_bias`, [D], { kind: 'normal', std: 0.02 });
  const vb = ctx.values(`${block}.attn.v_bias`, [D], { kind: 'normal', std: 0.02 });
  const out = new Float32Array(3 * D);
  out.set(qb, 0);
  out.set(vb, 2 * D);
  return out;
}

/**
 * v2 scores: cosine(q, k) · exp(min(logit_scale, log 100)) + 16·sigmoid(cpb_mlp) bias. The
 * learnable logit scale starts at log 10 with a small per-head jitter.
 */
function v2Scores(ctx: EmitContext, site: AttentionSite, q: string, k: string): string {
  const b = ctx.b;
  const { g, block } = site;
  const { heads: h, window: w } = g;
  const t = w * w;
  const unit = (y: string) => b.op('Div', [y, b.op('Max', [ctx.reduce('ReduceL2', y, [-1], true), b.float(1e-12)])]);
  let a = b.op('MatMul', [unit(q), ctx.transpose(unit(k), [0, 1, 3, 2])]);
  // The logit scale is drawn and exponentiated in float64, not through ctx.values: a float32
  // log-scale moves some exp() results by one ulp, and seeded v2 packages stay byte-identical.
  // (No checkpoint format of the contract carries a v2 logit scale.)
  const rng = new Rng(ctx.options.seed, `${block}.attn.logit_scale`);
  const scale = Float32Array.from({ length: h }, () =>
    Math.exp(Math.min(Math.log(10) + 0.1 * (rng.uniform() - 0.5), Math.log(100))),
  );
  a = b.op('Mul', [
    a,
    ctx.param(`${block}.attn.logit_scale_exp`, 'trunk', [1, h, 1, 1], { kind: 'data', data: scale }),
  ]);
  const hidden = ctx.config.cpbHidden;
  const key = `${block}.attn.cpb`;
  const cpb: CpbWeights = {
    fc1Weight: ctx.values(`${key}.fc1.weight`, [2, hidden], { kind: 'normal', std: 1 / Math.sqrt(2) }),
    fc1Bias: ctx.values(`${key}.fc1.bias`, [hidden], { kind: 'normal', std: 0.02 }),
    fc2Weight: ctx.values(`${key}.fc2.weight`, [hidden, h], { kind: 'normal', std: 1 / Math.sqrt(hidden) }),
  };
  return b.op('Add', [
    a,
    ctx.param(`${block}.attn.relative_position_bias`, 'trunk', [1, h, t, t], {
      kind: 'data',
      data: relativePositionBias(cpb, w, h, hidden),
    }),
  ]);
}
