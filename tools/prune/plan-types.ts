/**
 * The prune plan: everything a pruning will keep, drop, slice, merge and write, computed by a pure
 * function (`prunePlan`) before anything touches the disk — printed by `prune --dry-run`, applied
 * by `applyPrunePlan`.
 */
import type { ModalityId } from '../../sdk/internal.js';
import type { ExpertKind, FileRole } from '../../sdk/internal.js';
import type { ExpertSelection } from '../ringmoe/params.js';
import type { PruneOptions } from '../planner/prune-options.js';

/** Format tag of a prune plan. */
export const PRUNE_PLAN_FORMAT = 'ringmoe-edge/prune-plan';

/** A source file copied byte-for-byte, or dropped (with why). */
export interface FileAction {
  path: string;
  size: number;
  role: FileRole;
  /** For drops: why the file is not needed. */
  reason?: string;
}

/** A file the pruning writes: new tensors (sliced routers, dense FFNs) or a re-emitted graph. */
export interface WriteAction {
  path: string;
  kind: 'router-slice' | 'dense-ffn' | 'graph';
  /** Exact for tensors; for re-emitted graphs the source graph's size (the new one is close). */
  size: number;
  estimated?: boolean;
}

/** One router of a block after pruning. */
export interface RouterPlan {
  id: string;
  /** `keep`: unchanged; `slice`: restricted to its survivors; `remove`: one survivor, no router; `drop`: its group is gone. */
  action: 'keep' | 'slice' | 'remove' | 'drop';
  /** Surviving experts in router output order. */
  experts: string[];
  /** Column of the source router weight [dim, n] for each survivor. */
  columns: number[];
  /** Tokens per expert of the source router on the kept modalities' calibration frames (when ranked). */
  counts?: number[];
}

/** One expert group of a block feeding a dense collapse. */
export interface DenseGroupPlan {
  kind: Exclude<ExpertKind, 'dense'>;
  experts: string[];
  /** Routing frequency of each expert within its group on the calibration frames (1 for a lone expert). */
  frequency: number[];
  /** ks: the expert kept for the group. */
  selected?: string;
  /** kc: hidden units (SVD rank) each expert is compressed to. */
  ranks?: number[];
}

/** The one FFN that replaces every expert of a block (ks/ka/kc). */
export interface DensePlan {
  /** `<block>.dense`. */
  id: string;
  modality: ModalityId;
  file: string;
  dim: number;
  /** Hidden width of the dense FFN: the standard h, or the sum of the groups' widths with --fold concat. */
  hidden: number;
  groups: DenseGroupPlan[];
}

/** What happens to one block. */
export interface BlockPlan {
  id: string;
  /** Experts kept unchanged (their weight files are copied). */
  keep: string[];
  /** Experts removed from the package. */
  drop: string[];
  routers: RouterPlan[];
  dense?: DensePlan;
}

/** Everything one pruning keeps, writes and drops (printed by `--dry-run`). */
export interface PrunePlan {
  format: typeof PRUNE_PLAN_FORMAT;
  source: { name: string; sha256: string };
  options: PruneOptions;
  /** Routing statistics the plan used (sha256 of the file), when it needed any. */
  stats?: { sha256: string; file: string };
  modalities: { kept: ModalityId[]; dropped: ModalityId[] };
  /** Entries kept with their graph copied byte-for-byte, kept with a re-emitted graph, dropped. */
  entries: { copied: string[]; regraphed: string[]; dropped: string[] };
  blocks: BlockPlan[];
  files: { copy: FileAction[]; write: WriteAction[]; drop: FileAction[] };
  /** Backbone parameters before and after; `selection` is what tools/ringmoe/params.ts counts. */
  params: { before: number; after: number };
  selection: ExpertSelection;
  bytes: { copied: number; written: number; dropped: number };
}
