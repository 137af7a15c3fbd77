/**
 * Benchmark plumbing: medians of repeated, interleaved measurements; ratios against an anchor
 * measured in the same run; cached generated packages under .cache/bench.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { looksLikePackage } from '../../sdk/package/open-package.js';
import { namedConfig } from '../../tools/ringmoe/config.js';
import { DEFAULT_EXPERT_SPREAD, writeReferencePackage } from '../../tools/ringmoe/reference.js';
import { SPARSE_LOWERING_REVISION } from '../../tools/ringmoe/emit/moe.js';
import { REPO_ROOT } from '../helpers/shared-data.js';

export interface BenchResult {
  name: string;
  /** Headline ratio: value, what it compares, and the goal if the issue sets one. */
  ratio: { label: string; value: number; goal?: string };
  /** Other figures (ms, MB/s, bytes, ...). */
  metrics: Record<string, number | string>;
}

export interface Bench {
  name: string;
  description: string;
  run(log: (line: string) => void): Promise<BenchResult | BenchResult[]>;
}

export const BENCH_CACHE = join(REPO_ROOT, '.cache', 'bench');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The median of per-round ratios candidate[i] / anchor[i], for samples taken back to back by
 * {@link interleave}: each round's pair ran under the same load, so a slow spell of a shared
 * machine moves both and cancels, where it can move one median more than the other.
 * @throws RangeError when the two sample lists differ in length
 */
export function pairedRatio(candidate: number[], anchor: number[]): number {
  if (candidate.length !== anchor.length || candidate.length === 0)
    throw new RangeError(`paired samples of ${candidate.length} and ${anchor.length} rounds`);
  return median(candidate.map((c, i) => c / anchor[i]!));
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round((p / 100) * (s.length - 1))))]!;
}

/** Milliseconds `fn` takes. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Runs the candidates in interleaved rounds (A B A B ...) so drift and noise hit all of them alike;
 * returns every sample per candidate.
 */
export async function interleave(
  candidates: Record<string, () => Promise<unknown>>,
  rounds: number,
  warmup = 2,
): Promise<Record<string, number[]>> {
  const names = Object.keys(candidates);
  for (let i = 0; i < warmup; i++) for (const n of names) await candidates[n]!();
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...names].reverse() : names;
    for (const n of order) samples[n]!.push(await timeMs(candidates[n]!));
  }
  return samples;
}

/** A reference package for benchmarks, generated once and kept in .cache/bench. */
export async function benchPackage(
  config: string,
  o: { lowering?: 'sparse' | 'dense'; seed?: number; upcycled?: boolean } = {},
  log?: (l: string) => void,
): Promise<string> {
  // The key names everything that changes the bytes, the generator's default expert spread, the
  // config's attention flavour and the sparse lowering's revision included.
  const spread = o.upcycled ? 0 : DEFAULT_EXPERT_SPREAD;
  const lowering = o.lowering === 'dense' ? 'dense' : `sparse${SPARSE_LOWERING_REVISION}`;
  const key = `${config}-${namedConfig(config).attention}-${lowering}-seed${o.seed ?? 0}-spread${spread}`;
  const dir = join(BENCH_CACHE, key);
  if (existsSync(dir) && looksLikePackage(dir)) return dir;
  log?.(`generating ${key} (once; cached in .cache/bench)`);
  await writeReferencePackage({
    config: namedConfig(config),
    outDir: dir,
    force: true,
    lowering: o.lowering ?? 'sparse',
    seed: o.seed ?? 0,
    upcycled: o.upcycled ?? false,
  });
  return dir;
}
