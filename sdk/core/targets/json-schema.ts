/**
 * A small JSON Schema (draft 2020-12) subset: the type of schema objects, and a checker that
 * validates a value against one and reports EVERY problem with its path. The device profile schema
 * (schema.ts) is written in this subset, published as targets/schema.json for editors, and is the
 * same object the loader validates with, so the two cannot drift apart.
 *
 * Supported keywords: type, properties, required, additionalProperties (false only), items,
 * minItems, uniqueItems, enum, const, pattern, minLength, minimum, exclusiveMinimum, maximum,
 * anyOf, $ref (local `#/$defs/<name>` only), $defs, and the annotations title/description.
 */
import { describeValue } from '../validate.js';

/** JSON types a schema can name. */
export type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

/** A schema in the supported subset. */
export interface JsonSchema {
  $schema?: string;
  title?: string;
  description?: string;
  type?: JsonType;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: false;
  items?: JsonSchema;
  minItems?: number;
  uniqueItems?: boolean;
  enum?: readonly (string | number | boolean | null)[];
  const?: string | number | boolean | null;
  pattern?: string;
  minLength?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

/** One problem found by {@link checkAgainstSchema}. */
export interface SchemaIssue {
  /** Dotted path of the offending field, e.g. `gpu.cudaCores.value` or `software[2].tensorrt`. */
  path: string;
  message: string;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}

function matchesType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

/** Human wording of what a schema accepts, e.g. `an integer >= 0` or `one of "jetson", "cpu"`. */
export function describeSchema(schema: JsonSchema, root: JsonSchema): string {
  const s = resolveRef(schema, root);
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if (s.anyOf) return s.anyOf.map((a) => describeSchema(a, root)).join(' or ');
  const bounds: string[] = [];
  if (s.minimum !== undefined) bounds.push(`>= ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) bounds.push(`<= ${s.maximum}`);
  const range = bounds.length ? ` ${bounds.join(' and ')}` : '';
  switch (s.type) {
    case 'integer':
      return `an integer${range}`;
    case 'number':
      return `a number${range}`;
    case 'string':
      return s.pattern ? `a string matching /${s.pattern}/` : s.minLength ? 'a non-empty string' : 'a string';
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'array':
      return s.items ? `an array of ${describeSchema(s.items, root).replace(/^an? /, '')}s` : 'an array';
    case 'object':
      return s.title ? `an object (${s.title})` : 'an object';
    default:
      return 'a value';
  }
}

function resolveRef(schema: JsonSchema, root: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const m = /^#\/\$defs\/([A-Za-z0-9_-]+)$/.exec(schema.$ref);
  const target = m ? root.$defs?.[m[1]!] : undefined;
  // A dangling $ref is a bug in schema.ts, not in the checked file.
  if (!target) throw new Error(`json-schema: unresolvable $ref ${schema.$ref}`);
  return target;
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function closestKey(key: string, known: string[]): string | undefined {
  const lower = key.toLowerCase();
  return (
    known.find((k) => k.toLowerCase() === lower) ??
    known.find((k) => k.toLowerCase().startsWith(lower.slice(0, 4)) && Math.abs(k.length - key.length) <= 3)
  );
}

function received(value: unknown): string {
  return `${describeValue(value)} (${typeOf(value)})`;
}

function check(value: unknown, schema: JsonSchema, root: JsonSchema, path: string, out: SchemaIssue[]): void {
  const s = resolveRef(schema, root);
  const where = path || '(top level)';
  if (s.anyOf) {
    const fits = s.anyOf.some((alt) => {
      const trial: SchemaIssue[] = [];
      check(value, alt, root, path, trial);
      return trial.length === 0;
    });
    if (!fits)
      out.push({ path: where, message: `expected ${describeSchema(s, root)} but received ${received(value)}` });
    return;
  }
  if (s.type && !matchesType(value, s.type)) {
    out.push({ path: where, message: `expected ${describeSchema(s, root)} but received ${received(value)}` });
    return;
  }
  if (s.const !== undefined && value !== s.const) {
    out.push({ path: where, message: `expected ${JSON.stringify(s.const)} but received ${received(value)}` });
    return;
  }
  if (s.enum && !s.enum.includes(value as string)) {
    out.push({ path: where, message: `expected ${describeSchema(s, root)} but received ${received(value)}` });
    return;
  }
  if (typeof value === 'string') {
    if (s.minLength !== undefined && value.length < s.minLength)
      out.push({ path: where, message: 'must not be empty' });
    else if (s.pattern && !new RegExp(s.pattern).test(value)) {
      out.push({ path: where, message: `expected a string matching /${s.pattern}/ but received ${received(value)}` });
    }
  }
  if (typeof value === 'number') {
    const outOfRange =
      (s.minimum !== undefined && value < s.minimum) ||
      (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum) ||
      (s.maximum !== undefined && value > s.maximum);
    if (outOfRange)
      out.push({ path: where, message: `expected ${describeSchema(s, root)} but received ${received(value)}` });
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) {
      out.push({ path: where, message: `expected at least ${s.minItems} item(s) but received ${value.length}` });
    }
    if (s.uniqueItems) {
      const seen = new Set<string>();
      for (const item of value) {
        const k = JSON.stringify(item);
        if (seen.has(k)) out.push({ path: where, message: `duplicate item ${k}` });
        seen.add(k);
      }
    }
    if (s.items) value.forEach((item, i) => check(item, s.items!, root, join(path, i), out));
  }
  if (s.type === 'object' && matchesType(value, 'object')) {
    const obj = value as Record<string, unknown>;
    const props = s.properties ?? {};
    for (const key of s.required ?? []) {
      if (!(key in obj)) {
        const sub = resolveRef(props[key] ?? {}, root);
        const what = sub.type === 'object' ? sub.title : describeSchema(sub, root);
        out.push({
          path: join(path, key),
          message: `missing required field${what && what !== key ? ` (${what})` : ''}`,
        });
      }
    }
    for (const [key, v] of Object.entries(obj)) {
      const sub = props[key];
      if (sub) check(v, sub, root, join(path, key), out);
      else if (s.additionalProperties === false) {
        const close = closestKey(key, Object.keys(props));
        out.push({ path: join(path, key), message: `unknown field${close ? `; did you mean "${close}"?` : ''}` });
      }
    }
  }
}

/**
 * Checks `value` against `schema` (whose `$defs` resolve `$ref`s) and returns every issue found,
 * in document order. An empty array means the value conforms.
 */
export function checkAgainstSchema(value: unknown, schema: JsonSchema): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  check(value, schema, schema, '', out);
  return out;
}
