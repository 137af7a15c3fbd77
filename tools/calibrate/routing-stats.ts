/**
 * Routing statistics (`routing-stats.json`, written by `calibrate` beside a package's files): how
 * many tokens each router sent to each expert, per block and per modality, on named frames. EP
 * ranks experts by these counts; ks/ka/kc weigh experts by them. Statistics belong to exactly one
 * package (the sha256 of its ringmoe.json).
 */
import { EdgeError, messageOf } from '../../sdk/internal.js';
import type { ModalityId } from '../../sdk/internal.js';
import { sha256 } from '../../sdk/internal.js';
import { parseJsonBounded } from '../../sdk/internal.js';
import { readRegular } from '../../sdk/internal.js';

/** Format tag of routing-stats.json. */
export const ROUTING_STATS_FORMAT = 'ringmoe-edge/routing-stats';
/** Format version of routing-stats.json this SDK reads and writes. */
export const ROUTING_STATS_VERSION = 1;

/** Where a calibration frame came from. */
export interface FrameRecord {
  /** File path as given (relative to the working directory) or a generated frame's id. */
  id: string;
  /** `real`: a sensor image or a preprocessed tensor from disk; `generated`: synthesised in code. */
  source: 'real' | 'generated';
  /** How it was made or decoded. */
  note?: string;
}

/** Tokens one router sent to each of its experts (`counts[k]` for `experts[k]`). */
export interface RouterCounts {
  experts: string[];
  counts: number[];
}

/** Routing counts of one block. */
export interface BlockCounts {
  /** Tokens that passed through the block's MoE. */
  tokens: number;
  routers: Record<string, RouterCounts>;
}

/** Routing statistics of one modality. */
export interface ModalityStats {
  /** Entry the frames were run through. */
  entry: string;
  frames: FrameRecord[];
  /** Model inputs the frames gave (tiles count one each). */
  inputs?: number;
  blocks: Record<string, BlockCounts>;
}

/** The content of routing-stats.json. */
export interface RoutingStats {
  format: typeof ROUTING_STATS_FORMAT;
  formatVersion: number;
  /** The package these statistics were measured on. */
  package: { name: string; sha256: string };
  tool: string;
  modalities: Partial<Record<ModalityId, ModalityStats>>;
}

/** Parsed statistics with the sha256 of the file's bytes (recorded in pruned packages' lineage). */
export interface LoadedStats {
  stats: RoutingStats;
  sha256: string;
  file: string;
}

/** Limits on a statistics file: 64 MiB, nesting 16, strings of 64 KiB. */
const STATS_JSON_LIMITS = { maxBytes: 64 * 1024 * 1024, maxDepth: 16, maxStringLength: 64 * 1024 };

/**
 * Reads and checks a statistics file.
 * @throws EdgeError E_FILE_NOT_FOUND, E_CALIBRATION (not valid statistics, naming the field)
 */
export async function readRoutingStats(file: string): Promise<LoadedStats> {
  let bytes: Buffer;
  try {
    bytes = await readRegular(file, {
      maxBytes: STATS_JSON_LIMITS.maxBytes,
      tooLargeCode: 'E_JSON_TOO_LARGE',
      label: 'routing statistics',
    });
  } catch (err) {
    if (err instanceof EdgeError && err.code !== 'E_FILE_NOT_FOUND') throw err;
    throw new EdgeError('E_FILE_NOT_FOUND', `cannot read routing statistics: ${messageOf(err)}`, {
      file,
      cause: err,
      hint: 'calibrate the package first (calibration writes routing-stats.json beside it)',
    });
  }
  const parsed = parseJsonBounded(bytes, STATS_JSON_LIMITS, {
    file,
    what: 'routing statistics',
    syntaxCode: 'E_CALIBRATION',
  });
  return { stats: checkRoutingStats(parsed, file), sha256: sha256(bytes), file };
}

/** Checks the shape of parsed statistics. @throws EdgeError E_CALIBRATION naming the field */
export function checkRoutingStats(v: unknown, file?: string): RoutingStats {
  const where = (field: string) => ({ ...(file !== undefined ? { file } : {}), field });
  const obj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!obj(v) || v.format !== ROUTING_STATS_FORMAT)
    throw new EdgeError(
      'E_CALIBRATION',
      `not a routing statistics file (format must be ${JSON.stringify(ROUTING_STATS_FORMAT)})`,
      where('format'),
    );
  if (v.formatVersion !== ROUTING_STATS_VERSION)
    throw new EdgeError(
      'E_CALIBRATION',
      `formatVersion ${JSON.stringify(v.formatVersion)} is not supported (this SDK reads ${ROUTING_STATS_VERSION})`,
      where('formatVersion'),
    );
  if (!obj(v.package) || typeof v.package.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(v.package.sha256))
    throw new EdgeError(
      'E_CALIBRATION',
      'package.sha256 must be the 64-hex sha256 of the package manifest',
      where('package.sha256'),
    );
  if (!obj(v.modalities)) throw new EdgeError('E_CALIBRATION', 'modalities must be an object', where('modalities'));
  for (const [m, ms] of Object.entries(v.modalities)) {
    if (!obj(ms) || !obj(ms.blocks) || !Array.isArray(ms.frames))
      throw new EdgeError('E_CALIBRATION', 'must be {entry, frames[], blocks{}}', where(`modalities.${m}`));
    for (const [b, bc] of Object.entries(ms.blocks)) {
      if (!obj(bc) || !Number.isSafeInteger(bc.tokens) || !obj(bc.routers))
        throw new EdgeError('E_CALIBRATION', 'must be {tokens, routers{}}', where(`modalities.${m}.blocks.${b}`));
      for (const [r, rc] of Object.entries(bc.routers)) {
        const ok =
          obj(rc) &&
          Array.isArray(rc.experts) &&
          Array.isArray(rc.counts) &&
          rc.experts.length === rc.counts.length &&
          rc.counts.every((c) => Number.isSafeInteger(c) && (c as number) >= 0);
        if (!ok)
          throw new EdgeError(
            'E_CALIBRATION',
            'must be {experts[], counts[]} of equal length with non-negative integer counts',
            where(`modalities.${m}.blocks.${b}.routers.${r}`),
          );
      }
    }
  }
  return v as unknown as RoutingStats;
}

/**
 * Refuses statistics measured on another package.
 * @throws EdgeError E_STATS_MISMATCH naming both packages
 */
export function checkStatsBelongTo(loaded: LoadedStats, packageHash: string, packageName: string): void {
  if (loaded.stats.package.sha256 !== packageHash) {
    throw new EdgeError(
      'E_STATS_MISMATCH',
      `routing statistics were measured on package ${loaded.stats.package.name} (${loaded.stats.package.sha256.slice(0, 12)}…), not on ${packageName} (${packageHash.slice(0, 12)}…)`,
      { file: loaded.file, hint: 'calibrate this package' },
    );
  }
}

/**
 * Tokens routed to each of `experts` by router `routerId` of block `blockId`, summed over
 * `modalities`.
 * @throws EdgeError E_CALIBRATION when a modality or the router has no statistics
 */
export function routedCounts(
  stats: RoutingStats,
  blockId: string,
  routerId: string,
  experts: readonly string[],
  modalities: readonly ModalityId[],
  file?: string,
): number[] {
  const out = experts.map(() => 0);
  for (const m of modalities) {
    const ms = stats.modalities[m];
    if (!ms) {
      throw new EdgeError(
        'E_CALIBRATION',
        `routing statistics have no frames of modality ${m}; they cover ${Object.keys(stats.modalities).join(', ') || 'nothing'}`,
        {
          ...(file !== undefined ? { file } : {}),
          hint: `calibrate the package on ${m} frames`,
        },
      );
    }
    const rc = ms.blocks[blockId]?.routers[routerId];
    if (!rc)
      throw new EdgeError('E_CALIBRATION', `routing statistics for ${m} have no counts for router ${routerId}`, {
        ...(file !== undefined ? { file } : {}),
        field: `modalities.${m}.blocks.${blockId}`,
      });
    experts.forEach((e, k) => {
      const i = rc.experts.indexOf(e);
      if (i < 0)
        throw new EdgeError('E_CALIBRATION', `router ${routerId} has no counts for expert ${e}`, {
          ...(file !== undefined ? { file } : {}),
          field: `modalities.${m}.blocks.${blockId}.routers.${routerId}`,
        });
      out[k] = (out[k] ?? 0) + rc.counts[i]!;
    });
  }
  return out;
}

/** Indices of the `keep` largest counts (ties: lower index first), in ascending index order. */
export function topIndices(counts: readonly number[], keep: number): number[] {
  return counts
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c - a.c || a.i - b.i)
    .slice(0, keep)
    .map((x) => x.i)
    .sort((a, b) => a - b);
}
