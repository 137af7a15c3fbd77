/**
 * Bounds on what a consumer accepts from the broker. Any client allowed on a fleet's topics can
 * publish there, so a consumer refuses, and counts by reason, payloads that are too large or too
 * deeply nested, and stops tracking new devices, tasks or state beyond fixed limits. Nesting is
 * measured without recursion: a retained state nested a hundred thousand levels deep must not
 * overflow the stack of every later subscriber.
 */
import { EdgeError } from '../core/errors.js';
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

/** Why a message was refused (the key its count is kept under). */
export type RefusalReason = 'oversized' | 'state-oversized' | 'too-deep' | 'too-many-values' | 'device-limit' | 'task-limit';

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

/** A refusal: an E_MQTT_PAYLOAD error that carries its counted reason. */
export class PayloadRefused extends EdgeError {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    topic: string,
  ) {
    super('E_MQTT_PAYLOAD', message, { file: topic, field: reason });
  }
}

/**
 * Refuses a decoded payload nested deeper than `maxDepth` or holding more than `maxNodes` values.
 * Iterative, so any depth is measured safely.
 * @throws PayloadRefused (`too-deep`, `too-many-values`)
 */
export function checkPayloadShape(value: unknown, limits: Pick<ConsumerLimits, 'maxDepth' | 'maxNodes'>, topic: string): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++nodes > limits.maxNodes) throw new PayloadRefused('too-many-values', `payload holds more than ${limits.maxNodes} values`, topic);
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) continue;
    if (depth > limits.maxDepth) throw new PayloadRefused('too-deep', `payload is nested more than ${limits.maxDepth} levels deep`, topic);
    const children = Array.isArray(v) ? v : Object.values(v);
    if (nodes + stack.length + children.length > limits.maxNodes * 2) {
      throw new PayloadRefused('too-many-values', `payload holds more than ${limits.maxNodes} values`, topic);
    }
    for (const c of children) stack.push([c, depth + 1]);
  }
}

/**
 * Refuses JSON text nested deeper than `maxDepth` before it is parsed (brackets outside strings).
 * @throws PayloadRefused (`too-deep`)
 */
export function checkJsonDepth(bytes: Uint8Array, maxDepth: number, topic: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new PayloadRefused('too-deep', `payload is nested more than ${maxDepth} levels deep`, topic);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}
