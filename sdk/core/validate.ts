/**
 * Guards used at the public edge. Every message reads
 * "Expected <what> for <name> but received <value> of type <type>", so options errors look alike
 * everywhere and tests can match on the option name.
 */
import { EdgeError, type ErrorCode } from './errors.js';

/** Short printable form of a received value. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || value === undefined || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `array(${value.length})`;
  return 'object';
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * The error for an option that fails a guard.
 * @param name option or field name, e.g. `options.batchSize` or `entries[0].graph`
 * @param expected what was expected, e.g. `an integer between 1 and 64`
 * @param actual the value received
 */
export function invalidOption(
  name: string,
  expected: string,
  actual: unknown,
  extra: { file?: string; code?: ErrorCode; hint?: string } = {},
): EdgeError {
  const msg = `Expected ${expected} for ${name} but received ${describeValue(actual)} of type ${typeOf(actual)}`;
  return new EdgeError(extra.code ?? 'E_INVALID_ARGUMENT', msg, {
    ...(extra.file !== undefined ? { file: extra.file } : {}),
    field: name,
    ...(extra.hint !== undefined ? { hint: extra.hint } : {}),
  });
}

export const is = {
  defined: (v: unknown): boolean => v !== undefined && v !== null,
  object: (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v),
  string: (v: unknown): v is string => typeof v === 'string',
  nonEmptyString: (v: unknown): v is string => typeof v === 'string' && v.length > 0,
  bool: (v: unknown): v is boolean => typeof v === 'boolean',
  number: (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v),
  integer: (v: unknown): v is number => Number.isInteger(v),
  inRange: (v: number, min: number, max: number): boolean => v >= min && v <= max,
  inArray: <T>(v: unknown, list: readonly T[]): v is T => list.includes(v as T),
};

/** Throws unless `value` is an integer in [min, max]. */
export function expectInteger(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (!is.integer(value) || !is.inRange(value, min, max)) {
    const range =
      Number.isFinite(min) && Number.isFinite(max)
        ? ` between ${min} and ${max}`
        : Number.isFinite(min)
          ? ` >= ${min}`
          : '';
    throw invalidOption(name, `an integer${range}`, value);
  }
  return value;
}

/** Throws unless `value` is a finite number in [min, max]. */
export function expectNumber(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (!is.number(value) || !is.inRange(value, min, max)) {
    const range =
      Number.isFinite(min) && Number.isFinite(max)
        ? ` between ${min} and ${max}`
        : Number.isFinite(min)
          ? ` >= ${min}`
          : '';
    throw invalidOption(name, `a number${range}`, value);
  }
  return value;
}

/** Throws unless `value` is one of `list`. */
export function expectOneOf<T extends string>(name: string, value: unknown, list: readonly T[], code?: ErrorCode): T {
  if (!is.inArray(value, list)) {
    throw invalidOption(name, `one of ${list.map((x) => JSON.stringify(x)).join(', ')}`, value, code ? { code } : {});
  }
  return value;
}

/** Throws unless `value` is a non-empty string. */
export function expectString(name: string, value: unknown): string {
  if (!is.nonEmptyString(value)) throw invalidOption(name, 'a non-empty string', value);
  return value;
}

/**
 * Rejects keys of `options` that are not in `known`, suggesting the closest known key
 * (better-sqlite3 style: a misspelled option is an error, not silently ignored).
 */
export function rejectUnknownKeys(
  name: string,
  options: Record<string, unknown>,
  known: readonly string[],
  file?: string,
): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const lower = key.toLowerCase();
    const close = known.find((k) => k.toLowerCase() === lower) ?? known.find((k) => editDistance(k, key) <= 2);
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `unknown option ${name}.${key}${close ? `; did you mean ${name}.${close}?` : ''}`,
      {
        ...(file !== undefined ? { file } : {}),
        field: `${name}.${key}`,
      },
    );
  }
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = dp[i]!;
      const prev = dp[i - 1]!;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length]![b.length]!;
}
