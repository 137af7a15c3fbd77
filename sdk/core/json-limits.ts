/**
 * One bounded JSON parser for every document ringmoe-edge reads from a file or the network
 * (package and bundle manifests, reports, desired states, MQTT payloads). Before `JSON.parse` sees
 * a byte, the size is checked, then one iterative pass (no recursion, so no stack to overflow)
 * checks nesting depth and string lengths and remembers the field it is in, so the error names it.
 *
 * Messages refused by a counted reason (an MQTT consumer's) use the two checks at the end: nesting
 * of JSON bytes before they are decoded, and nesting and value count of a decoded payload (CBOR
 * too). Both are iterative as well: a retained state nested a hundred thousand levels deep must not
 * overflow the stack of every later subscriber.
 */
import { EdgeError, messageOf, type ErrorCode } from './errors.js';

/** Limits of one document. */
export interface JsonLimits {
  /** Largest document in bytes (UTF-8). */
  maxBytes: number;
  /** Deepest nesting of objects and arrays (the top-level value is depth 1). */
  maxDepth: number;
  /** Longest string (key or value) in UTF-16 code units of its JSON text, escapes counted as written. */
  maxStringLength: number;
}

/** Defaults for a manifest-like document: 16 MiB, depth 64, strings of 64 KiB. */
export const DEFAULT_JSON_LIMITS: JsonLimits = { maxBytes: 16 * 1024 * 1024, maxDepth: 64, maxStringLength: 64 * 1024 };

/** Where a document came from and what to call it in errors. */
export interface JsonSource {
  /** File (or topic, or message name) the document came from. */
  file?: string;
  /** What the document is, e.g. `package manifest`. Default `JSON document`. */
  what?: string;
  /** Code for a document that is not JSON at all. Default E_CONFIG. */
  syntaxCode?: ErrorCode;
}

/**
 * Parses `input` within `limits`.
 * @throws EdgeError E_JSON_TOO_LARGE, E_JSON_TOO_DEEP, E_JSON_STRING_TOO_LONG (each naming the file
 *   and the field), or `source.syntaxCode` when the text is not JSON
 * @example
 * const manifest = parseJsonBounded(bytes, { maxBytes: 1 << 20 }, { file: 'pkg/ringmoe.json', what: 'package manifest' });
 */
export function parseJsonBounded(
  input: Uint8Array | string,
  limits: Partial<JsonLimits> = {},
  source: JsonSource = {},
): unknown {
  const l = { ...DEFAULT_JSON_LIMITS, ...limits };
  const what = source.what ?? 'JSON document';
  const where = source.file !== undefined ? { file: source.file } : {};
  const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (bytes > l.maxBytes)
    throw new EdgeError('E_JSON_TOO_LARGE', `${what} is ${bytes} bytes; the limit is ${l.maxBytes}`, where);
  const text =
    typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  checkShape(text, l, what, where);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new EdgeError(source.syntaxCode ?? 'E_CONFIG', `${what} is not JSON (not valid JSON: ${messageOf(err)})`, {
      ...where,
      cause: err,
    });
  }
}

/** One open object or array during the scan. */
interface Frame {
  array: boolean;
  /** Object: the current key. Array: the current index. */
  key: string | number;
  /** Object: the next string is a key. */
  expectKey: boolean;
}

/** `files["a.bin"].sha256`-style path of the open containers (at most `max` levels shown). */
function fieldOf(stack: Frame[], max = 8): string {
  const parts = stack
    .slice(0, max)
    .map((f) =>
      typeof f.key === 'number'
        ? `[${f.key}]`
        : /^[A-Za-z_$][\w$]*$/.test(f.key)
          ? `.${f.key}`
          : `[${JSON.stringify(f.key.slice(0, 40))}]`,
    );
  const path = parts.join('').replace(/^\./, '');
  return stack.length > max ? `${path}…(${stack.length - max} more levels)` : path || '(top level)';
}

/**
 * Depth and string-length check in one pass over the text. It does not validate JSON (JSON.parse
 * does that next); it only has to be right for valid JSON and terminate on anything.
 */
function checkShape(text: string, l: JsonLimits, what: string, where: { file?: string }): void {
  const stack: Frame[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = ++i;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      const len = Math.min(i, n) - start;
      const top = stack[stack.length - 1];
      if (len > l.maxStringLength) {
        const field = top?.array === false && top.expectKey ? `${fieldOf(stack.slice(0, -1))} (a key)` : fieldOf(stack);
        throw new EdgeError(
          'E_JSON_STRING_TOO_LONG',
          `${what} has a string of ${len} characters; the limit is ${l.maxStringLength}`,
          { ...where, field },
        );
      }
      if (top && !top.array && top.expectKey) {
        top.key = text.slice(start, Math.min(i, start + 200));
        top.expectKey = false;
      }
      i++;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length + 1 > l.maxDepth) {
        throw new EdgeError('E_JSON_TOO_DEEP', `${what} nests deeper than ${l.maxDepth} levels`, {
          ...where,
          field: fieldOf(stack),
        });
      }
      stack.push(c === 0x5b ? { array: true, key: 0, expectKey: false } : { array: false, key: '', expectKey: true });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.array) top.key = (top.key as number) + 1;
      else if (top) top.expectKey = true;
    }
    i++;
  }
}

/** True for the errors {@link parseJsonBounded} throws for a limit (not for a syntax error). */
export function isJsonLimitError(err: unknown): err is EdgeError {
  return (
    err instanceof EdgeError &&
    (err.code === 'E_JSON_TOO_LARGE' || err.code === 'E_JSON_TOO_DEEP' || err.code === 'E_JSON_STRING_TOO_LONG')
  );
}

/** The parser's own message for a syntax error (what JSON.parse said), for callers that word their own. */
export function syntaxMessage(err: unknown): string {
  return messageOf(err instanceof EdgeError && err.cause !== undefined ? err.cause : err);
}

/** Why a message was refused (the key its count is kept under). */
export type RefusalReason =
  'oversized' | 'state-oversized' | 'too-deep' | 'too-many-values' | 'device-limit' | 'task-limit';

/** Most nesting and values of one decoded payload. */
export interface PayloadShapeLimits {
  /** Deepest nesting of objects and arrays. */
  maxDepth: number;
  /** Most objects, arrays and values. */
  maxNodes: number;
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
export function checkPayloadShape(value: unknown, limits: PayloadShapeLimits, topic: string): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++nodes > limits.maxNodes)
      throw new PayloadRefused('too-many-values', `payload holds more than ${limits.maxNodes} values`, topic);
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) continue;
    if (depth > limits.maxDepth)
      throw new PayloadRefused('too-deep', `payload is nested more than ${limits.maxDepth} levels deep`, topic);
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
      if (++depth > maxDepth)
        throw new PayloadRefused('too-deep', `payload is nested more than ${maxDepth} levels deep`, topic);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}
