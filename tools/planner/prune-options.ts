/**
 * Pruning options: the written form (CLI flags, a plan file) and the resolved form the planner
 * works with, with every rule that ties them to a package checked at once.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { ModalityId } from '../../sdk/internal.js';
import type { PackageManifest } from '../../sdk/internal.js';
import { invalidOption, is } from '../../sdk/internal.js';

/** What a pruning does to the experts of every block. */
export const PRUNE_STRATEGIES = ['modality', 'ep', 'ks', 'ka', 'kc'] as const;
/** A pruning strategy id. */
export type PruneStrategy = (typeof PRUNE_STRATEGIES)[number];

/** Dense strategies: one router-free FFN per block. */
export const DENSE_STRATEGIES: readonly PruneStrategy[] = ['ks', 'ka', 'kc'];

/**
 * How ks/ka fold the block's group FFNs (modal + collaborative + shared) into one: `aligned`
 * averages W1/b1 unit by unit and sums W2/b2 (for experts upcycled from one FFN), `importance`
 * keeps the h most important of the 3h units, `concat` keeps all 3h (exact), `auto` picks aligned
 * when the groups' units measurably correspond, else importance.
 */
export const FOLD_MODES = ['auto', 'aligned', 'importance', 'concat'] as const;
/** A fold mode id. */
export type FoldMode = (typeof FOLD_MODES)[number];

/** Options as a user writes them (every field optional; flags keep their CLI names in errors). */
export interface WrittenPruneOptions {
  strategy?: string;
  /** Modalities to keep: an array or a comma-separated list. Default: all of the package's. */
  modalities?: string | string[];
  keepCollaborative?: number | string;
  keepModal?: number | string;
  fold?: string;
}

/** Options after defaults and checks against the package. */
export interface PruneOptions {
  strategy: PruneStrategy;
  modalities: ModalityId[];
  /** EP only: fraction of each block's collaborative experts kept, in (0, 1]. */
  keepCollaborative?: number;
  /** EP only: fraction of each block's modal experts kept per kept modality, in (0, 1]. */
  keepModal?: number;
  /** ks/ka only. */
  fold?: FoldMode;
}

/**
 * EP's default share of collaborative experts kept per block: the paper's setting, 1 of 4
 * (RingMoE's EP keeps one collaborative expert of the four, routed top-1, besides the modal experts).
 */
export const DEFAULT_KEEP_COLLABORATIVE = 0.25;

const FLAG: Record<string, string> = {
  strategy: '--strategy',
  modalities: '--modalities',
  keepCollaborative: '--keep-collaborative',
  keepModal: '--keep-modal',
  fold: '--fold',
};

function fraction(name: keyof typeof FLAG, value: unknown): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (!is.number(n) || n <= 0 || n > 1) throw invalidOption(FLAG[name]!, 'a fraction in (0, 1] (e.g. 0.25)', value);
  return n;
}

/**
 * Resolves written options against a package manifest.
 * @throws EdgeError E_INVALID_ARGUMENT naming the flag (strategy, fractions, fold, a flag that does
 *   not apply to the strategy), E_UNKNOWN_MODALITY (a modality the package does not have), E_PRUNE
 *   (the package cannot be pruned: imported, no expert map)
 */
export function resolvePruneOptions(
  written: WrittenPruneOptions,
  manifest: PackageManifest,
  file?: string,
): PruneOptions {
  if (manifest.kind !== 'ringmoe' || !manifest.experts) {
    throw new EdgeError(
      'E_PRUNE',
      `package ${manifest.name} is ${manifest.kind === 'imported' ? 'an imported model' : 'a package'} without an expert map; only RingMoE packages can be pruned`,
      file !== undefined ? { file } : {},
    );
  }
  const strategyText = written.strategy ?? 'modality';
  if (!is.inArray(strategyText, PRUNE_STRATEGIES))
    throw invalidOption(
      '--strategy',
      `one of ${PRUNE_STRATEGIES.map((s) => JSON.stringify(s)).join(', ')}`,
      written.strategy,
    );
  const strategy = strategyText;

  const known = manifest.modalities.map((m) => m.id);
  let modalities: ModalityId[];
  if (written.modalities === undefined) modalities = known;
  else {
    const list = (Array.isArray(written.modalities) ? written.modalities : String(written.modalities).split(','))
      .map((s) => String(s).trim())
      .filter(Boolean);
    if (list.length === 0) throw new EdgeError('E_UNKNOWN_MODALITY', 'no modality given', { field: '--modalities' });
    for (const id of list) {
      if (!known.includes(id)) {
        throw new EdgeError(
          'E_UNKNOWN_MODALITY',
          `unknown modality ${JSON.stringify(id)}; package ${manifest.name} has ${known.join(', ')}`,
          { field: '--modalities' },
        );
      }
    }
    // Keep the package's order, whatever order the user wrote.
    modalities = known.filter((m) => list.includes(m));
  }

  const out: PruneOptions = { strategy, modalities };
  const notFor = (name: keyof typeof FLAG, applies: string) =>
    new EdgeError('E_INVALID_ARGUMENT', `${FLAG[name]} applies only to ${applies}, not to --strategy ${strategy}`, {
      field: FLAG[name]!,
    });
  if (strategy === 'ep') {
    out.keepCollaborative =
      written.keepCollaborative === undefined
        ? DEFAULT_KEEP_COLLABORATIVE
        : fraction('keepCollaborative', written.keepCollaborative);
    out.keepModal = written.keepModal === undefined ? 1 : fraction('keepModal', written.keepModal);
  } else {
    if (written.keepCollaborative !== undefined) throw notFor('keepCollaborative', '--strategy ep');
    if (written.keepModal !== undefined) throw notFor('keepModal', '--strategy ep');
  }
  if (strategy === 'ks' || strategy === 'ka') {
    const fold = written.fold ?? 'auto';
    if (!is.inArray(fold, FOLD_MODES))
      throw invalidOption('--fold', `one of ${FOLD_MODES.map((s) => JSON.stringify(s)).join(', ')}`, written.fold);
    out.fold = fold;
  } else if (written.fold !== undefined) throw notFor('fold', '--strategy ks and ka');
  if (DENSE_STRATEGIES.includes(strategy) && modalities.length !== 1) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `--strategy ${strategy} collapses one modality's experts into one FFN per block; give exactly one modality with --modalities (got ${modalities.length}: ${modalities.join(', ')})`,
      { field: '--modalities', hint: 'prune once per modality for a fleet with several sensors' },
    );
  }
  return out;
}

/** Experts kept per group, as `ceil(F·n)` (at least 1, at most n). */
export function keepCount(fraction: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil(fraction * n - 1e-9)));
}

/** Modalities of an entry are all kept. */
export function entryKept(entryModalities: readonly ModalityId[], kept: readonly ModalityId[]): boolean {
  return entryModalities.length > 0 && entryModalities.every((m) => kept.includes(m));
}
