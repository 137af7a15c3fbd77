/**
 * `BackendLoadOptions.extra` for the TensorRT backend: checked once here (P3), so the backend and the
 * addon only see well-formed values.
 */
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { EdgeError } from '../../core/errors.js';
import { is, invalidOption, rejectUnknownKeys } from '../../core/validate.js';
import type { BackendLoadOptions } from '../../core/backend.js';

/** TensorRT-specific load options (all optional). */
export interface TrtExtraOptions {
  /** Engine cache directory (default: RINGMOE_ENGINE_CACHE, else ~/.cache/ringmoe-edge/engines). */
  cacheDir?: string;
  /** Package entry name (default: the graph's file name without .onnx). */
  entry?: string;
  /** Expert ids the graph keeps (part of the cache key). */
  experts?: string[];
  /** Graph hash from the package manifest; computed from the files when absent. */
  graphSha256?: string;
  dlaCore?: number;
  gpuFallback?: boolean;
  workspaceMiB?: number;
  calibrationCache?: string;
  timingCache?: string;
  /** Read-only timing cache (e.g. shipped in a package) copied to `timingCache` when that does not exist yet. */
  timingCacheSeed?: string;
  typing?: 'auto' | 'weak' | 'strong';
  optimizationLevel?: number;
  minBatch?: number;
  optBatch?: number;
  device?: number;
  module?: string;
  jetpack?: string;
  /** `auto` (default): build when no valid cached engine; `never`: only use the cache; `always`: rebuild. */
  build?: 'auto' | 'never' | 'always';
  /** Use pinned staging buffers even on an integrated GPU. */
  forcePinned?: boolean;
}

const KEYS = [
  'cacheDir',
  'entry',
  'experts',
  'graphSha256',
  'dlaCore',
  'gpuFallback',
  'workspaceMiB',
  'calibrationCache',
  'timingCache',
  'timingCacheSeed',
  'typing',
  'optimizationLevel',
  'minBatch',
  'optBatch',
  'device',
  'module',
  'jetpack',
  'build',
  'forcePinned',
] as const;

/** Resolved options (defaults applied). */
export interface TrtResolvedOptions extends Required<
  Pick<TrtExtraOptions, 'cacheDir' | 'entry' | 'experts' | 'gpuFallback' | 'build' | 'device' | 'forcePinned'>
> {
  graphPath: string;
  precision: 'fp32' | 'fp16' | 'int8';
  typing: 'auto' | 'weak' | 'strong';
  batch: { min: number; opt: number; max: number };
  graphSha256?: string;
  dlaCore?: number;
  workspaceMiB?: number;
  calibrationCache?: string;
  timingCache?: string;
  timingCacheSeed?: string;
  optimizationLevel?: number;
  module?: string;
  jetpack?: string;
}

function optInt(name: string, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!is.integer(v) || v < min || v > max)
    throw invalidOption(`extra.${name}`, `an integer between ${min} and ${max}`, v);
  return v;
}

function optStr(name: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (!is.nonEmptyString(v)) throw invalidOption(`extra.${name}`, 'a non-empty string', v);
  return v;
}

/**
 * Validates `options` and applies defaults.
 * @throws EdgeError E_INVALID_ARGUMENT naming the option
 */
export function resolveTrtOptions(
  options: BackendLoadOptions,
  env: NodeJS.ProcessEnv = process.env,
): TrtResolvedOptions {
  if (!is.nonEmptyString(options.graphPath))
    throw invalidOption('graphPath', 'a path to an ONNX file', options.graphPath);
  const extra = options.extra ?? {};
  if (!is.object(extra)) throw invalidOption('extra', 'an object', extra);
  rejectUnknownKeys('extra', extra, KEYS);
  const precision = options.precision ?? 'fp16';
  if (!['fp32', 'fp16', 'int8'].includes(precision))
    throw invalidOption('precision', 'one of "fp32", "fp16", "int8"', precision);
  const max = optInt('maxBatch', options.maxBatch, 1, 4096) ?? 1;
  const min = optInt('minBatch', extra.minBatch, 1, max) ?? 1;
  const opt = optInt('optBatch', extra.optBatch, min, max) ?? max;
  const experts = extra.experts ?? [];
  if (!Array.isArray(experts) || !experts.every(is.nonEmptyString))
    throw invalidOption('extra.experts', 'an array of expert ids', experts);
  const typing = extra.typing ?? 'auto';
  if (!['auto', 'weak', 'strong'].includes(typing as string))
    throw invalidOption('extra.typing', 'one of "auto", "weak", "strong"', typing);
  const build = extra.build ?? 'auto';
  if (!['auto', 'never', 'always'].includes(build as string))
    throw invalidOption('extra.build', 'one of "auto", "never", "always"', build);
  const graphSha256 = optStr('graphSha256', extra.graphSha256);
  if (graphSha256 !== undefined && !/^[0-9a-f]{64}$/.test(graphSha256))
    throw invalidOption('extra.graphSha256', '64 lowercase hex digits', graphSha256);
  for (const b of ['gpuFallback', 'forcePinned'] as const) {
    if (extra[b] !== undefined && !is.bool(extra[b])) throw invalidOption(`extra.${b}`, 'a boolean', extra[b]);
  }
  const dlaCore = optInt('dlaCore', extra.dlaCore, 0, 1);
  if (dlaCore !== undefined && precision === 'fp32' && typing !== 'strong') {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      'the DLA runs only fp16 and int8; precision fp32 cannot use extra.dlaCore',
      { field: 'extra.dlaCore' },
    );
  }
  const entry = optStr('entry', extra.entry) ?? basename(options.graphPath).replace(/\.onnx$/i, '');
  const resolved: TrtResolvedOptions = {
    graphPath: options.graphPath,
    precision,
    typing: typing as TrtResolvedOptions['typing'],
    batch: { min, opt, max },
    cacheDir:
      optStr('cacheDir', extra.cacheDir) ??
      env.RINGMOE_ENGINE_CACHE ??
      join(homedir(), '.cache', 'ringmoe-edge', 'engines'),
    entry,
    experts: [...new Set(experts as string[])].sort(),
    gpuFallback: (extra.gpuFallback as boolean | undefined) ?? true,
    build: build as TrtResolvedOptions['build'],
    device: optInt('device', extra.device, 0, 63) ?? 0,
    forcePinned: (extra.forcePinned as boolean | undefined) ?? false,
  };
  const optional = {
    graphSha256,
    dlaCore,
    workspaceMiB: optInt('workspaceMiB', extra.workspaceMiB, 1, 1 << 20),
    calibrationCache: optStr('calibrationCache', extra.calibrationCache),
    timingCache: optStr('timingCache', extra.timingCache),
    timingCacheSeed: optStr('timingCacheSeed', extra.timingCacheSeed),
    optimizationLevel: optInt('optimizationLevel', extra.optimizationLevel, 0, 5),
    module: optStr('module', extra.module),
    jetpack: optStr('jetpack', extra.jetpack),
  };
  for (const [k, v] of Object.entries(optional))
    if (v !== undefined) (resolved as unknown as Record<string, unknown>)[k] = v;
  return resolved;
}
