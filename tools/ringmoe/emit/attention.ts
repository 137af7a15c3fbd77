/**
 * SwinV2 window attention: scaled-cosine attention inside (shifted) windows, with the continuous
 * relative position bias and the shift mask precomputed into constants (both are input
 * independent), residual post-norm.
 */
import { attr } from '../../onnx/builder.js';
import { Rng, truncNormal } from '../seeded.js';
import type { StageGeometry } from '../config.js';
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
 * The relative position bias of one block, [1, heads, w², w²]: 16·sigmoid(cpb_mlp(table))
 * gathered by relative position index. The MLP's seeded weights (Linear(2→H)+ReLU+Linear(H→heads))
 * are drawn here and only the resulting table is stored.
 */
export function relativePositionBias(seed: number, key: string, w: number, heads: number, hidden: number): Float32Array {
  const table = relativeCoordsTable(w);
  const n = (2 * w - 1) ** 2;
  const w1 = truncNormal(seed, `${key}.cpb.fc1.weight`, 2 * hidden, 1 / Math.sqrt(2));
  const b1 = truncNormal(seed, `${key}.cpb.fc1.bias`, hidden, 0.02);
  const w2 = truncNormal(seed, `${key}.cpb.fc2.weight`, hidden * heads, 1 / Math.sqrt(hidden));
  const mlp = new Float32Array(n * heads);
  const h = new Float32Array(hidden);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < hidden; k++) h[k] = Math.max(0, table[r * 2]! * w1[k]! + table[r * 2 + 1]! * w1[hidden + k]! + b1[k]!);
    for (let o = 0; o < heads; o++) {
      let s = 0;
      for (let k = 0; k < hidden; k++) s += h[k]! * w2[k * heads + o]!;
      mlp[r * heads + o] = 16 / (1 + Math.exp(-s));
    }
  }
  const t = w * w;
  const out = new Float32Array(heads * t * t);
  for (let i = 0; i < t; i++) {
    const hi = Math.floor(i / w);
    const wi = i % w;
    for (let j = 0; j < t; j++) {
      const idx = (hi - Math.floor(j / w) + w - 1) * (2 * w - 1) + (wi - (j % w) + w - 1);
      for (let o = 0; o < heads; o++) out[(o * t + i) * t + j] = mlp[idx * heads + o]!;
    }
  }
  return out;
}

/** Swin's shifted-window attention mask, [1, nW, 1, w², w²]: 0 inside a region, -100 across. */
export function shiftMask(height: number, width: number, w: number, shift: number): Float32Array {
  const label = new Int32Array(height * width);
  const region = (x: number, size: number) => (x < size - w ? 0 : x < size - shift ? 1 : 2);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) label[y * width + x] = region(y, height) * 3 + region(x, width);
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


/**
 * One block's attention branch with residual post-norm: x + LN(attn(x)). `x` is [N, L, D].
 * Weights live in weights/trunk.bin under `<block>.attn.*` and `<block>.norm1.*`.
 */
export function windowAttention(ctx: EmitContext, x: string, g: StageGeometry, blockIndex: number, block: string): string {
  const b = ctx.b;
  const { dim: D, heads: h, height: H, width: W, window: w } = g;
  const shift = blockIndex % 2 === 1 ? g.shift : 0;
  const hd = D / h;
  const t = w * w;
  return b.scope('attn', () => {
    let xs = ctx.reshape(x, [-1, H, W, D]);
    if (shift) xs = roll(ctx, xs, -shift, H, W);
    let xw = ctx.reshape(xs, [-1, H / w, w, W / w, w, D]);
    xw = ctx.reshape(ctx.transpose(xw, [0, 1, 3, 2, 4, 5]), [-1, t, D]);
    // q and v have biases, k has none (SwinV2); stored as one [3D] bias with a zero k part.
    const qkvW = ctx.param(`${block}.attn.qkv.weight`, 'trunk', [D, 3 * D], { kind: 'fanin', fanIn: D });
    const qb = truncNormal(ctx.options.seed, `${block}.attn.q_bias`, D, 0.02);
    const vb = truncNormal(ctx.options.seed, `${block}.attn.v_bias`, D, 0.02);
    const qkvBiasData = new Float32Array(3 * D);
    qkvBiasData.set(qb, 0);
    qkvBiasData.set(vb, 2 * D);
    const qkvB = ctx.param(`${block}.attn.qkv.bias`, 'trunk', [3 * D], { kind: 'data', data: qkvBiasData });
    let qkv = b.op('Add', [b.op('MatMul', [xw, qkvW]), qkvB]);
    qkv = ctx.transpose(ctx.reshape(qkv, [-1, t, 3, h, hd]), [2, 0, 3, 1, 4]);
    const [q, k, v] = [0, 1, 2].map((i) => b.op('Gather', [qkv, b.int64(i)], { axis: attr.i(0) })) as [string, string, string];
    const unit = (y: string) => b.op('Div', [y, b.op('Max', [ctx.reduce('ReduceL2', y, [-1], true), b.float(1e-12)])]);
    let a = b.op('MatMul', [unit(q), ctx.transpose(unit(k), [0, 1, 3, 2])]);
    // logit scale: exp(min(log 10 + jitter, log 100)) per head, precomputed.
    const rng = new Rng(ctx.options.seed, `${block}.attn.logit_scale`);
    const scale = Float32Array.from({ length: h }, () => Math.exp(Math.min(Math.log(10) + 0.1 * (rng.uniform() - 0.5), Math.log(100))));
    a = b.op('Mul', [a, ctx.param(`${block}.attn.logit_scale_exp`, 'trunk', [1, h, 1, 1], { kind: 'data', data: scale })]);
    const rpb = relativePositionBias(ctx.options.seed, `${block}.attn`, w, h, ctx.config.cpbHidden);
    a = b.op('Add', [a, ctx.param(`${block}.attn.relative_position_bias`, 'trunk', [1, h, t, t], { kind: 'data', data: rpb })]);
    if (shift) {
      const nW = (H / w) * (W / w);
      const mask = ctx.param(`s${g.stage}.attn_mask`, 'trunk', [1, nW, 1, t, t], { kind: 'data', data: shiftMask(H, W, w, shift) });
      a = ctx.reshape(b.op('Add', [ctx.reshape(a, [-1, nW, h, t, t]), mask]), [-1, h, t, t]);
    }
    a = b.op('Softmax', [a], { axis: attr.i(-1) });
    let o = ctx.reshape(ctx.transpose(b.op('MatMul', [a, v]), [0, 2, 1, 3]), [-1, t, D]);
    o = ctx.linear(o, D, D, `${block}.attn.proj`, 'trunk');
    o = ctx.reshape(ctx.transpose(ctx.reshape(o, [-1, H / w, W / w, w, w, D]), [0, 1, 3, 2, 4, 5]), [-1, H, W, D]);
    if (shift) o = roll(ctx, o, shift, H, W);
    o = ctx.reshape(o, [-1, H * W, D]);
    return b.op('Add', [x, ctx.layerNorm(o, D, `${block}.norm1`, 'trunk')]);
  });
}
