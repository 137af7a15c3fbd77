/**
 * Primitive layers for emitting RS-MoE graphs. Every weight goes through `param`, which stores it
 * once in the package's weight files (seeded, deterministic per tensor name) and adds it to the
 * graph as an external initializer. Activations are [N, T, D] (batch, tokens, width).
 */
import { attr, type GraphBuilder } from '../../onnx/builder.js';
import type { WeightStore } from '../../package/weight-store.js';
import { filled, truncNormal } from '../../frames/seeded.js';

export type RsInit =
  { kind: 'fanin'; fanIn: number } | { kind: 'normal'; std: number } | { kind: 'const'; value: number };

export class RsEmit {
  /** Learnable parameters stored through this emitter. */
  params = 0;

  constructor(
    readonly b: GraphBuilder,
    readonly weights: WeightStore,
    readonly seed: number,
    /** Weight file (weights/<file>.bin) the next params go to. */
    public file: string,
  ) {}

  param(name: string, dims: number[], init: RsInit): string {
    const n = dims.reduce((a, c) => a * c, 1);
    if (!this.weights.get(name)) this.params += n;
    this.weights.tensor(name, `weights/${this.file}.bin`, 'float32', dims, () =>
      init.kind === 'const'
        ? filled(n, init.value)
        : truncNormal(this.seed, name, n, init.kind === 'fanin' ? 1 / Math.sqrt(init.fanIn) : init.std),
    );
    return this.b.initializer(this.weights.initializer(name));
  }

  /** x·W + b with W stored [in, out]. */
  linear(x: string, inDim: number, outDim: number, name: string, bias = true): string {
    const y = this.b.op('MatMul', [x, this.param(`${name}.weight`, [inDim, outDim], { kind: 'fanin', fanIn: inDim })]);
    return bias ? this.b.op('Add', [y, this.param(`${name}.bias`, [outDim], { kind: 'normal', std: 0.02 })]) : y;
  }

  layerNorm(x: string, dim: number, name: string): string {
    const g = this.param(`${name}.weight`, [dim], { kind: 'const', value: 1 });
    const bias = this.param(`${name}.bias`, [dim], { kind: 'const', value: 0 });
    return this.b.op('LayerNormalization', [x, g, bias], { axis: attr.i(-1), epsilon: attr.f(1e-5) });
  }

  /** Exact GELU: x·½(1 + erf(x/√2)). */
  gelu(x: string): string {
    const e = this.b.op('Erf', [this.b.op('Div', [x, this.b.float(Math.SQRT2)])]);
    return this.b.op('Mul', [x, this.b.op('Mul', [this.b.op('Add', [e, this.b.float(1)]), this.b.float(0.5)])]);
  }

  /** Linear → GELU → Linear. */
  mlp(x: string, dim: number, hidden: number, name: string): string {
    return this.linear(this.gelu(this.linear(x, dim, hidden, `${name}.fc1`)), hidden, dim, `${name}.fc2`);
  }

  /** [N, T, heads·hd] → [N, heads, T, hd]. */
  splitHeads(x: string, heads: number, headDim: number): string {
    const r = this.b.op('Reshape', [x, this.b.int64s([0, 0, heads, headDim])]);
    return this.b.op('Transpose', [r], { perm: attr.ints([0, 2, 1, 3]) });
  }

  /** [N, heads, T, hd] → [N, T, heads·hd]. */
  mergeHeads(x: string, dim: number): string {
    const t = this.b.op('Transpose', [x], { perm: attr.ints([0, 2, 1, 3]) });
    return this.b.op('Reshape', [t, this.b.int64s([0, 0, dim])]);
  }

  /** softmax(q·kᵀ/√hd + bias)·v on [N, H, T, hd] tensors; `bias` broadcasts to [N, H, Tq, Tk]. */
  attend(q: string, k: string, v: string, headDim: number, bias?: string): string {
    const kt = this.b.op('Transpose', [k], { perm: attr.ints([0, 1, 3, 2]) });
    let s = this.b.op('Mul', [this.b.op('MatMul', [q, kt]), this.b.float(1 / Math.sqrt(headDim))]);
    if (bias) s = this.b.op('Add', [s, bias]);
    return this.b.op('MatMul', [this.b.op('Softmax', [s], { axis: attr.i(-1) }), v]);
  }

  /** Multi-head attention of `xq` over `xkv` (both [N, T, dim]), with output projection. */
  mha(xq: string, xkv: string, dim: number, heads: number, name: string, bias?: string): string {
    const hd = dim / heads;
    const q = this.splitHeads(this.linear(xq, dim, dim, `${name}.q`), heads, hd);
    const k = this.splitHeads(this.linear(xkv, dim, dim, `${name}.k`), heads, hd);
    const v = this.splitHeads(this.linear(xkv, dim, dim, `${name}.v`), heads, hd);
    return this.linear(this.mergeHeads(this.attend(q, k, v, hd, bias), dim), dim, dim, `${name}.proj`);
  }
}
