/**
 * The JSON sidecar written beside every cached plan (`<stem>.plan.json`): the full key, its hash and
 * the plan's sha256 and size. A plan is loaded only when its sidecar parses, names this device and
 * this model, and matches the plan bytes; otherwise it is rebuilt, never loaded.
 *
 * Codes (sdk/core/errors.ts):
 * - E_ENGINE_STALE: the plan is intact but made for another model (graph, experts, precision,
 *   typing, profile) or another device (TensorRT version, compute capability, GPU, DLA core, module).
 * - E_ENGINE_FOREIGN: the files are not a plan this runtime can trust: no or unreadable sidecar,
 *   truncated plan, plan bytes that are not the ones the sidecar describes, key hash that does not
 *   match the key (edited sidecar).
 */
import { createHash } from 'node:crypto';
import { EdgeError } from '../../core/errors.js';
import { DEVICE_FIELDS, differingFields, keyHash, normalizeKey, type EngineKey } from './key.js';
import { parseJsonBounded } from '../../core/json-limits.js';

export const SIDECAR_FORMAT = 'ringmoe-edge/engine-sidecar';
export const SIDECAR_FORMAT_VERSION = 1;

/** Contents of a sidecar file. */
export interface EngineSidecar {
  format: typeof SIDECAR_FORMAT;
  formatVersion: number;
  key: EngineKey;
  /** {@link keyHash} of `key`. */
  keyHash: string;
  /** sha256 of the plan file. */
  planSha256: string;
  planBytes: number;
  /** ISO time of the build. */
  createdAt: string;
  /** What the builder reported (notes, typing, explicit quantization). */
  build?: Record<string, unknown>;
}

/** A sidecar for a freshly built plan. */
export function createSidecar(
  key: EngineKey,
  plan: Uint8Array,
  options: { planSha256?: string; build?: Record<string, unknown>; now?: Date } = {},
): EngineSidecar {
  const normalized = normalizeKey(key);
  return {
    format: SIDECAR_FORMAT,
    formatVersion: SIDECAR_FORMAT_VERSION,
    key: normalized,
    keyHash: keyHash(normalized),
    planSha256: options.planSha256 ?? createHash('sha256').update(plan).digest('hex'),
    planBytes: plan.byteLength,
    createdAt: (options.now ?? new Date()).toISOString(),
    ...(options.build !== undefined ? { build: options.build } : {}),
  };
}

const foreign = (file: string, message: string): EdgeError =>
  new EdgeError('E_ENGINE_FOREIGN', message, { file, hint: 'the engine will be rebuilt' });

/**
 * Parses sidecar text.
 * @throws EdgeError E_ENGINE_FOREIGN when it is not a sidecar of this format
 */
export function parseSidecar(text: string, file: string): EngineSidecar {
  let value: unknown;
  try {
    value = parseJsonBounded(
      text,
      { maxBytes: 1 << 20, maxDepth: 16, maxStringLength: 64 * 1024 },
      { file, what: 'engine sidecar' },
    );
  } catch {
    throw foreign(file, 'engine sidecar is not valid JSON');
  }
  const v = value as Partial<EngineSidecar> | null;
  if (typeof v !== 'object' || v === null || v.format !== SIDECAR_FORMAT)
    throw foreign(file, `not an engine sidecar (format must be ${SIDECAR_FORMAT})`);
  if (v.formatVersion !== SIDECAR_FORMAT_VERSION)
    throw foreign(file, `engine sidecar format version ${String(v.formatVersion)} is not ${SIDECAR_FORMAT_VERSION}`);
  if (typeof v.planSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(v.planSha256))
    throw foreign(file, 'engine sidecar has no valid planSha256');
  if (!Number.isInteger(v.planBytes) || (v.planBytes as number) < 0)
    throw foreign(file, 'engine sidecar has no valid planBytes');
  if (typeof v.key !== 'object' || v.key === null || typeof v.keyHash !== 'string')
    throw foreign(file, 'engine sidecar has no key');
  let recomputed: string;
  try {
    recomputed = keyHash(v.key);
  } catch (err) {
    throw foreign(file, `engine sidecar key is malformed: ${(err as Error).message}`);
  }
  if (recomputed !== v.keyHash)
    throw foreign(file, 'engine sidecar keyHash does not match its key (the file was edited)');
  return v as EngineSidecar;
}

function describeDevice(k: EngineKey): string {
  const target = k.target.kind === 'dla' ? `DLA core ${k.target.core}` : 'GPU';
  const board = [k.module, k.jetpack && `JetPack ${k.jetpack}`].filter(Boolean).join(', ');
  return `TensorRT ${k.tensorrt} on ${k.gpuName} (compute ${k.computeCapability}, ${target}${board ? `, ${board}` : ''})`;
}

/**
 * Checks that a sidecar describes a plan for `expected` (this model on this device).
 * @throws EdgeError E_ENGINE_STALE naming the fields that differ
 */
export function checkSidecarKey(sidecar: EngineSidecar, expected: EngineKey, file: string): void {
  const fields = differingFields(sidecar.key, expected);
  if (fields.length === 0) return;
  const deviceFields = fields.filter((f) => (DEVICE_FIELDS as readonly string[]).includes(f));
  const message =
    deviceFields.length > 0
      ? `cached engine was built with ${describeDevice(sidecar.key)}; this device runs ${describeDevice(expected)} (differs in ${fields.join(', ')})`
      : `cached engine was built for another model configuration (differs in ${fields.join(', ')})`;
  throw new EdgeError('E_ENGINE_STALE', message, {
    file,
    field: fields[0]!,
    hint: 'engines do not move across models, GPUs or TensorRT versions; it will be rebuilt',
  });
}

/**
 * Checks plan bytes against the sidecar.
 * @throws EdgeError E_ENGINE_FOREIGN for a truncated plan or one with another checksum
 */
export function checkPlan(sidecar: EngineSidecar, plan: Uint8Array, planSha256: string, file: string): void {
  if (plan.byteLength !== sidecar.planBytes) {
    throw foreign(
      file,
      `engine plan has ${plan.byteLength} bytes but its sidecar records ${sidecar.planBytes} (truncated or replaced)`,
    );
  }
  if (planSha256 !== sidecar.planSha256) {
    throw foreign(
      file,
      `engine plan sha256 ${planSha256.slice(0, 12)}… is not the ${sidecar.planSha256.slice(0, 12)}… its sidecar records`,
    );
  }
}
