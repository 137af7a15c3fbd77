/**
 * The checkpoint as the graph emitter's weight source: each package tensor is computed from its
 * plan feed when the emitter first stores it, reading only the checkpoint bytes it needs (one
 * expert of a stack with a positioned read).
 */
import { EdgeError } from '../../sdk/internal.js';
import type { WeightSource } from '../ringmoe/emit/context.js';
import type { CheckpointReader } from './checkpoint.js';
import { COMPUTED_CONSTANT } from './heads.js';
import { untrainedPrefixes } from './plan.js';
import type { ConversionPlan, Feed } from './plan-types.js';
import { applyTransform } from './transforms.js';

export class CheckpointSource implements WeightSource {
  private readonly feeds: Map<string, Feed>;
  private readonly untrained: string[];
  /** Package tensors left to the emitter's seeded init because their head is untrained. */
  readonly seededHeads: string[] = [];
  /** Package tensors fed from the plan so far. */
  done = 0;

  constructor(
    private readonly reader: CheckpointReader,
    readonly plan: ConversionPlan,
    private readonly onTensor?: (done: number, total: number, name: string) => void,
  ) {
    this.feeds = new Map(plan.feeds.map((f) => [f.target, f]));
    this.untrained = untrainedPrefixes(plan);
  }

  tensor(name: string, dims: number[], use: 'stored' | 'derivation' = 'stored'): Float32Array | undefined {
    const feed = this.feeds.get(name);
    if (!feed) {
      // An input the graph only derives a stored tensor from (v2's q/v biases and position-bias MLP,
      // when the plan feeds the fused bias and the bias table themselves): its values never reach
      // the package; the stored tensor is asked for on its own and must be in the plan.
      if (use === 'derivation' || COMPUTED_CONSTANT.test(name)) return undefined;
      if (this.untrained.some((p) => name.startsWith(p))) {
        this.seededHeads.push(name);
        return undefined;
      }
      throw new EdgeError(
        'E_INTERNAL',
        `the graph asks for ${name} [${dims}], which the conversion plan does not cover`,
      );
    }
    if (feed.dims.length !== dims.length || feed.dims.some((d, i) => d !== dims[i])) {
      throw new EdgeError('E_INTERNAL', `the graph asks for ${name} as [${dims}] but the plan makes [${feed.dims}]`);
    }
    this.onTensor?.(++this.done, this.feeds.size, name);
    if (feed.transform.op === 'seed') return undefined;
    return applyTransform(feed, (ref, start, count) =>
      this.reader.tensors.has(ref.name) ? this.reader.read(ref.name, start, count) : undefined,
    );
  }
}
