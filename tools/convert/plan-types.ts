/**
 * The conversion plan's vocabulary: which checkpoint tensors feed which package tensor through
 * which transform. Plans are data (printable with `--dry-run`, checkable without reading weights).
 */
import type { BlockExpertMap } from '../../sdk/internal.js';
import type { RingMoEConfig } from '../ringmoe/config.js';
import type { ExpertSelection } from '../ringmoe/params.js';
import type { CheckpointFormat } from './checkpoint.js';

/** A checkpoint tensor a feed reads, with the dims the mapping expects of it. */
export interface SourceRef {
  name: string;
  dims: number[];
  /** When absent from the checkpoint, read as zeros (SwinV2's key has no bias). */
  optional?: boolean;
}

/** How the sources become the package tensor. */
export type Transform =
  /** The one source as is (dims may differ only by size-1 axes, e.g. [h,1,1] → [1,h,1,1]). */
  | { op: 'copy' }
  /** A 2-D [rows, cols] source transposed to [cols, rows] ([out, in] → [in, out]). */
  | { op: 'transpose' }
  /** Elements [start, start + count) of the source (one expert of a stack), read alone. */
  | { op: 'slice'; start: number; count: number }
  /** q, k, v weights, each [D, D] as [out, in], into one [D, 3D] (columns q | k | v). */
  | { op: 'fuse-qkv' }
  /** 1-D sources concatenated (q | k | v biases). */
  | { op: 'concat' }
  /** A Swin v1 relative position bias table [(2w−1)², heads] → the bias [1, heads, w², w²]. */
  | { op: 'table-bias'; window: number; heads: number }
  /** SwinV2's continuous position bias MLP (fc1 weight [H, 2], fc1 bias [H], fc2 weight [heads, H]) → 16·sigmoid, gathered to [1, heads, w², w²]. */
  | { op: 'cpb-bias'; window: number; heads: number }
  /** SwinV2's learned log logit scale [heads, 1, 1] → exp(min(x, ln 100)) as [1, heads, 1, 1]. */
  | { op: 'logit-scale' }
  /** No source: a constant (a stage norm the checkpoint lacks: weight 1, bias 0). */
  | { op: 'const'; value: number }
  /** No source: the emitter's seeded init from `--seed` (routers when upcycling, untrained heads). */
  | { op: 'seed' };

export interface Feed {
  /** Package tensor name. */
  target: string;
  dims: number[];
  transform: Transform;
  sources: SourceRef[];
  /** Why a `const`/`seed` feed has no source (listed in the lineage). */
  reason?: string;
}

/** Where the checkpoint's names come from. */
export type CheckpointFamily = 'ringmoe' | 'swinv2-hf';

export interface ConversionPlan {
  file: string;
  format: CheckpointFormat;
  family: CheckpointFamily;
  flavour: 'v1' | 'v2';
  /** Block MLPs: the MoE's expert stacks and routers, or one dense FFN per block (a collapsed checkpoint, dense-names.ts). */
  mlp: 'moe' | 'dense';
  /** Dense only: the package's expert maps (one `dense` expert per block, as `prune --strategy kc` writes them) and their parameter selection. */
  dense?: { blocks: BlockExpertMap[][]; selection: ExpertSelection };
  config: RingMoEConfig;
  /** `given` (--config) or `inferred` from the checkpoint's shapes. */
  configOrigin: 'given' | 'inferred';
  feeds: Feed[];
  /** Checkpoint tensors deliberately not used (optimizer state, buffers, decoder, ...). */
  ignored: string[];
  /** Task heads the config emits that the checkpoint does not hold (seeded when allowed). */
  untrainedHeads: string[];
  /** Config fields the checkpoint's shapes could not pin down (inferred configs only). */
  guessed?: string[];
}
