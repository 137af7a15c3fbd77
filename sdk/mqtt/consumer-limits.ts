/**
 * Bounds on what a consumer accepts from the broker. Any client allowed on a fleet's topics can
 * publish there, so a consumer refuses, and counts by reason, payloads that are too large or too
 * deeply nested, and stops tracking new devices, tasks or state beyond fixed limits. The payload
 * checks of nesting and values are the bounded-JSON ones of core/json-limits.ts.
 */
import { expectInteger, invalidOption, is, rejectUnknownKeys } from '../core/validate.js';

/** Limits of a ground-station consumer. */
export interface ConsumerLimits {
  /** Largest message of any kind, in bytes (default 16 MiB). */
  maxPayloadBytes: number;
  /** Largest state or metrics message kept per device, in bytes (default 16 KiB). */
  maxStateBytes: number;
  /** Deepest nesting of objects and arrays in a payload (default 32). */
  maxDepth: number;
  /** Most objects, arrays and values in one payload (default 100 000). */
  maxNodes: number;
  /** Most devices tracked; messages of further devices are refused (default 10 000). */
  maxDevices: number;
  /** Most distinct tasks counted per device (default 64). */
  maxTasksPerDevice: number;
}

/** The defaults: a ground station tracking a large fleet on a few hundred MB. */
export const DEFAULT_CONSUMER_LIMITS: Readonly<ConsumerLimits> = Object.freeze({
  // A result message may carry a full-resolution raster (a 640×480 float32 depth map is 1.2 MB).
  maxPayloadBytes: 16 * 1024 * 1024,
  maxStateBytes: 16 * 1024,
  maxDepth: 32,
  maxNodes: 100_000,
  maxDevices: 10_000,
  maxTasksPerDevice: 64,
});

const KEYS = Object.keys(DEFAULT_CONSUMER_LIMITS) as (keyof ConsumerLimits)[];

/**
 * Resolves limits over the defaults.
 * @throws EdgeError E_INVALID_ARGUMENT for unknown keys or non-positive values
 */
export function resolveConsumerLimits(value: unknown, name = 'options.limits'): ConsumerLimits {
  if (value === undefined) return { ...DEFAULT_CONSUMER_LIMITS };
  if (!is.object(value)) throw invalidOption(name, 'an object', value);
  rejectUnknownKeys(name, value, KEYS);
  const out: ConsumerLimits = { ...DEFAULT_CONSUMER_LIMITS };
  for (const key of KEYS) if (value[key] !== undefined) out[key] = expectInteger(`${name}.${key}`, value[key], 1);
  return out;
}
