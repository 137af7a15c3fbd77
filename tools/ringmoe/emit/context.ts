/**
 * Shared state and primitive layers for emitting RingMoE graphs: every weight goes through
 * `param`, which stores it once in the package's weight files (seeded, deterministic, or from a
 * {@link WeightSource} such as a converted checkpoint) and adds it to the graph being built as an
 * external initializer. Learnable tensors the graph only holds in derived form (position-bias
 * tables, logit scales) go through `values`, which gives their values without storing them.
 */
import { EdgeError } from '../../../sdk/internal.js';
import type { GraphBuilder } from '../../onnx/builder.js';
import { attr, inlineTensor } from '../../onnx/builder.js';
import type { WeightStore } from '../../package/weight-store.js';
import type { RingMoEConfig, StageGeometry } from '../config.js';
import { filled, truncNormal } from '../../frames/seeded.js';

/** How a weight is initialised when it is generated (`lazy` is evaluated only when the weight is stored). */
export type Init =
  | { kind: 'fanin'; fanIn: number }
  | { kind: 'normal'; std: number }
  | { kind: 'const'; value: number }
  | { kind: 'data'; data: Float32Array }
  | { kind: 'lazy'; make: () => Float32Array };

/**
 * Where a package's weights come from instead of their seeded init (a checkpoint being
 * converted). Asked once per tensor, when it is first stored, so one tensor is in memory at a time.
 */
export interface WeightSource {
  /**
   * Values of package tensor `name` (row-major, `dims`), or undefined to use the emitter's init.
   * `use` says whether the tensor is stored in the package or only an input of a stored tensor the
   * graph derives from it (a source that supplies the derived tensor itself may leave it unset).
   */
  tensor(name: string, dims: number[], use: 'stored' | 'derivation'): Float32Array | undefined;
}

export interface EmitOptions {
  seed: number;
  lowering: 'sparse' | 'dense';
  /**
   * How far the experts of a block are from each other, 0..1: 0 = sparse upcycling (every expert a
   * copy of one FFN, as RingMoE was initialised), 1 = independent experts.
   */
  expertSpread: number;
  opset: number;
}

export class EmitContext {
  constructor(
    readonly b: GraphBuilder,
    readonly weights: WeightStore,
    readonly config: RingMoEConfig,
    readonly geometry: StageGeometry[],
    readonly options: EmitOptions,
    readonly source?: WeightSource,
  ) {}

  /**
   * A float32 weight named `name` stored in `file` (weights/<file>.bin). `seedKey` picks the random
   * stream (defaults to the name).
   */
  param(name: string, file: string, dims: number[], init: Init, seedKey = name): string {
    this.weights.tensor(
      name,
      `weights/${file}.bin`,
      'float32',
      dims,
      () => this.source?.tensor(name, dims, 'stored') ?? this.generate(name, dims, init, seedKey),
    );
    return this.b.initializer(this.weights.initializer(name));
  }

  /**
   * The values of learnable tensor `name` [dims] without storing it, for tensors the graph holds
   * only in derived form (v1's relative_position_bias_table, v2's q/v biases and
   * continuous-position-bias MLP): from the weight source when it has them, else generated like
   * `param` (seeded from `seedKey`, which defaults to the name).
   */
  values(name: string, dims: number[], init: Init, seedKey = name): Float32Array {
    return this.source?.tensor(name, dims, 'derivation') ?? this.generate(name, dims, init, seedKey);
  }

  private generate(name: string, dims: number[], init: Init, seedKey: string): Float32Array {
    const n = dims.reduce((a, c) => a * c, 1);
    switch (init.kind) {
      case 'fanin':
        return truncNormal(this.options.seed, seedKey, n, 1 / Math.sqrt(init.fanIn));
      case 'normal':
        return truncNormal(this.options.seed, seedKey, n, init.std);
      case 'const':
        return filled(n, init.value);
      case 'data':
        if (init.data.length !== n)
          throw new EdgeError('E_INTERNAL', `${name} has ${init.data.length} values for dims [${dims.join(', ')}]`);
        return init.data;
      case 'lazy':
        return init.make();
    }
  }

  /** x·W + b with W stored [in, out]. */
  linear(
    x: string,
    inDim: number,
    outDim: number,
    name: string,
    file: string,
    opts: { bias?: boolean; seedKey?: string } = {},
  ): string {
    const w = this.param(
      `${name}.weight`,
      file,
      [inDim, outDim],
      { kind: 'fanin', fanIn: inDim },
      opts.seedKey && `${opts.seedKey}.weight`,
    );
    const y = this.b.op('MatMul', [x, w]);
    if (opts.bias === false) return y;
    const bias = this.param(
      `${name}.bias`,
      file,
      [outDim],
      { kind: 'normal', std: 0.02 },
      opts.seedKey && `${opts.seedKey}.bias`,
    );
    return this.b.op('Add', [y, bias]);
  }

  /** LayerNormalization over the last axis (opset 17) with epsilon `eps` (see normEpsilons). */
  layerNorm(x: string, dim: number, name: string, file: string, eps: number): string {
    const g = this.param(`${name}.weight`, file, [dim], { kind: 'const', value: 1 });
    const bias = this.param(`${name}.bias`, file, [dim], { kind: 'const', value: 0 });
    return this.b.op('LayerNormalization', [x, g, bias], { axis: attr.i(-1), epsilon: attr.f(eps) });
  }

  /** Conv2d with weights [out, in, k, k] and bias, NCHW. */
  conv(
    x: string,
    inCh: number,
    outCh: number,
    k: number,
    name: string,
    file: string,
    opts: { stride?: number; pad?: number; biasInit?: number } = {},
  ): string {
    const w = this.param(`${name}.weight`, file, [outCh, inCh, k, k], { kind: 'fanin', fanIn: inCh * k * k });
    const bias = this.param(
      `${name}.bias`,
      file,
      [outCh],
      opts.biasInit !== undefined ? { kind: 'const', value: opts.biasInit } : { kind: 'normal', std: 0.02 },
    );
    const pad = opts.pad ?? 0;
    return this.b.op('Conv', [x, w, bias], {
      kernel_shape: attr.ints([k, k]),
      strides: attr.ints([opts.stride ?? 1, opts.stride ?? 1]),
      pads: attr.ints([pad, pad, pad, pad]),
    });
  }

  /** Reduce over `axes` (attribute form up to opset 17, input form from 18). */
  reduce(op: 'ReduceMean' | 'ReduceMax' | 'ReduceL2', x: string, axes: number[], keepdims: boolean): string {
    if (this.options.opset >= 18)
      return this.b.op(op, [x, this.b.int64s(axes)], { keepdims: attr.i(keepdims ? 1 : 0) });
    return this.b.op(op, [x], { axes: attr.ints(axes), keepdims: attr.i(keepdims ? 1 : 0) });
  }

  /** Reshape to a constant shape (-1 and 0 allowed). */
  reshape(x: string, shape: number[]): string {
    return this.b.op('Reshape', [x, this.b.int64s(shape)]);
  }

  transpose(x: string, perm: number[]): string {
    return this.b.op('Transpose', [x], { perm: attr.ints(perm) });
  }

  /** Resize by integer `factor` in H and W. */
  upsample(x: string, factor: number, mode: 'nearest' | 'linear'): string {
    const scales = this.b.initializer(scalesTensor(factor));
    return this.b.op('Resize', [x, '', scales], {
      mode: attr.s(mode),
      coordinate_transformation_mode: attr.s(mode === 'linear' ? 'half_pixel' : 'asymmetric'),
      ...(mode === 'nearest' ? { nearest_mode: attr.s('floor') } : {}),
    });
  }
}

function scalesTensor(factor: number) {
  return inlineTensor(`const.scales:${factor}`, 'float32', [4], Float32Array.of(1, 1, factor, factor));
}
