/**
 * The engine-cache key: every fact that decides whether a serialized TensorRT plan can be reused.
 * Engines are tied to the exact TensorRT version and GPU they were built on (domain.md §3), to the
 * graph and its weights, to the expert subset, the precision and the optimisation profile.
 *
 * Pure functions; no I/O.
 */
import { createHash } from 'node:crypto';
import { EdgeError } from '../../core/errors.js';

/** Where the engine runs. */
export type EngineTarget = { kind: 'gpu' } | { kind: 'dla'; core: number; gpuFallback: boolean };

/** Batch range of the optimisation profile (min ≤ opt ≤ max). */
export interface BatchProfile {
  min: number;
  opt: number;
  max: number;
}

/** All fields of a key. Two plans are interchangeable exactly when their keys are equal. */
export interface EngineKey {
  /** Package entry (graph) name, e.g. `classifier`. */
  entry: string;
  /** {@link graphHash} of the ONNX and its external data. */
  graphSha256: string;
  /** Expert ids kept in this graph, sorted; empty for dense or imported graphs. */
  experts: string[];
  /** Full TensorRT version of the library that built the plan, e.g. `10.3.0`. */
  tensorrt: string;
  /** GPU compute capability, e.g. `8.7`. */
  computeCapability: string;
  /** GPU name as CUDA reports it (Orin Nano and AGX Orin share sm_87 but differ in SMs). */
  gpuName: string;
  target: EngineTarget;
  precision: 'fp32' | 'fp16' | 'int8';
  typing: 'weak' | 'strong';
  profile: BatchProfile;
  /** Jetson module and JetPack, when the device profile knows them. */
  module?: string;
  jetpack?: string;
}

/** Which key fields make a cached plan unusable on this device (E_ENGINE_STALE) vs. for this model. */
export const DEVICE_FIELDS = ['tensorrt', 'computeCapability', 'gpuName', 'target', 'module', 'jetpack'] as const;
export const MODEL_FIELDS = ['entry', 'graphSha256', 'experts', 'precision', 'typing', 'profile'] as const;

const SHA256 = /^[0-9a-f]{64}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Normalises and checks a key (sorted, de-duplicated experts; plain numbers). Throws on fields that
 * would make a broken file name or an ambiguous key.
 * @throws EdgeError E_INVALID_ARGUMENT naming the field
 */
export function normalizeKey(key: EngineKey): EngineKey {
  const bad = (field: string, what: string): never => {
    throw new EdgeError('E_INVALID_ARGUMENT', `engine key ${field} ${what}`, { field: `key.${field}` });
  };
  if (!NAME.test(key.entry))
    bad('entry', `must be 1-64 letters, digits, '.', '_' or '-' (got ${JSON.stringify(key.entry)})`);
  if (!SHA256.test(key.graphSha256)) bad('graphSha256', 'must be 64 lowercase hex digits');
  if (!/^\d+\.\d+\.\d+(\.\d+)?$/.test(key.tensorrt))
    bad('tensorrt', `must be a version like 10.3.0 (got ${JSON.stringify(key.tensorrt)})`);
  if (!/^\d+\.\d+$/.test(key.computeCapability))
    bad('computeCapability', `must look like 8.7 (got ${JSON.stringify(key.computeCapability)})`);
  const { min, opt, max } = key.profile;
  if (![min, opt, max].every((n) => Number.isInteger(n) && n >= 1) || !(min <= opt && opt <= max)) {
    bad('profile', `must be integers with 1 <= min <= opt <= max (got ${min}/${opt}/${max})`);
  }
  if (key.target.kind === 'dla' && !(Number.isInteger(key.target.core) && key.target.core >= 0))
    bad('target.core', 'must be a DLA core index >= 0');
  const target: EngineTarget =
    key.target.kind === 'dla'
      ? { kind: 'dla', core: key.target.core, gpuFallback: key.target.gpuFallback }
      : { kind: 'gpu' };
  return {
    entry: key.entry,
    graphSha256: key.graphSha256,
    experts: [...new Set(key.experts)].sort(),
    tensorrt: key.tensorrt,
    computeCapability: key.computeCapability,
    gpuName: key.gpuName,
    target,
    precision: key.precision,
    typing: key.typing,
    profile: { min, opt, max },
    ...(key.module !== undefined ? { module: key.module } : {}),
    ...(key.jetpack !== undefined ? { jetpack: key.jetpack } : {}),
  };
}

/** Canonical JSON (sorted object keys) so equal keys hash equally whatever their field order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 (hex) of the normalised key. */
export function keyHash(key: EngineKey): string {
  return createHash('sha256')
    .update(canonicalJson(normalizeKey(key)))
    .digest('hex');
}

/**
 * File stem of a plan in the cache directory: `<entry>.<precision>.<gpu|dla<n>>.b<min>-<opt>-<max>`.
 * It deliberately leaves out the TensorRT version, device and graph hash: after a JetPack upgrade or
 * an OTA model update the same file is found, its sidecar is rejected (stale), and the rebuilt plan
 * replaces it, so the cache never grows one file per version.
 */
export function planStem(key: EngineKey): string {
  const k = normalizeKey(key);
  const target = k.target.kind === 'dla' ? `dla${k.target.core}` : 'gpu';
  return `${k.entry}.${k.precision}.${target}.b${k.profile.min}-${k.profile.opt}-${k.profile.max}`;
}

/** Names of the key fields whose values differ, in a stable order. */
export function differingFields(a: EngineKey, b: EngineKey): string[] {
  const na = normalizeKey(a) as unknown as Record<string, unknown>;
  const nb = normalizeKey(b) as unknown as Record<string, unknown>;
  return [...MODEL_FIELDS, ...DEVICE_FIELDS].filter((f) => canonicalJson(na[f]) !== canonicalJson(nb[f]));
}
