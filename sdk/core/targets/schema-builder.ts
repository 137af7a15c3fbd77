/**
 * Typed builders for the profile schema. `objectOf<T>()` takes one schema per key of the TypeScript
 * type `T` (a missing or extra key does not compile) and the list of required keys (a required key
 * of `T` left out of the list does not compile), so schema.ts stays in sync with written.ts.
 */
import type { JsonSchema } from './json-schema.js';
import { CONFIDENCE_LEVELS, PRECISIONS, type WrittenFact } from './written.js';

/** Keys of `T` that are not optional. */
export type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

type MissingRequired<T, R extends readonly PropertyKey[]> = Exclude<RequiredKeys<T>, R[number]>;

/**
 * Object schema for type `T`, with `additionalProperties: false`.
 * @example objectOf<WrittenDla>()({ count: ..., generation: ..., precisions: ... }, ['count', 'precisions'])
 */
export function objectOf<T>() {
  return <const R extends readonly RequiredKeys<T>[]>(
    properties: { [K in keyof T]-?: JsonSchema },
    required: R & ([MissingRequired<T, R>] extends [never] ? unknown : { missingRequiredKeys: MissingRequired<T, R> }),
    annotations: { title?: string; description?: string } = {},
  ): JsonSchema => ({
    type: 'object',
    ...annotations,
    properties: properties as Record<string, JsonSchema>,
    required: [...(required as readonly string[])],
    additionalProperties: false,
  });
}

/** `{ "$ref": "#/$defs/<name>" }`. */
export function ref(name: string): JsonSchema {
  return { $ref: `#/$defs/${name}` };
}

/** Shared definitions referenced by the fact schemas. */
export const COMMON_DEFS: Record<string, JsonSchema> = {
  confidence: {
    description:
      'How far the value can be trusted: confirmed (NVIDIA page or repo), nvidia-secondary (NVIDIA document via a third-party copy), unconfirmed (non-NVIDIA source), derived (formula in note), estimate (method in note), assumed (generic reference machine), policy (our decision).',
    enum: CONFIDENCE_LEVELS,
  },
  url: { type: 'string', pattern: '^https?://\\S+$' },
  source: {
    description: 'Where the value comes from: one URL or several.',
    anyOf: [ref('url'), { type: 'array', items: ref('url'), minItems: 1 }],
  },
  note: { type: 'string', minLength: 1, description: 'Derivation, method, caveat or reason.' },
  precisionList: { type: 'array', items: { enum: PRECISIONS }, uniqueItems: true },
};

/** Attestation properties shared by facts and attested records. */
export function attestationProperties(): { confidence: JsonSchema; source: JsonSchema; note: JsonSchema } {
  return { confidence: ref('confidence'), source: ref('source'), note: ref('note') };
}

/** Schema of a {@link WrittenFact} whose `value` follows `value`. */
export function fact(value: JsonSchema, description?: string): JsonSchema {
  return objectOf<WrittenFact<unknown>>()({ value, ...attestationProperties() }, ['value', 'confidence'], {
    title: 'fact: { value, confidence, source, note }',
    ...(description ? { description } : {}),
  });
}

/** Common value schemas. */
export const V = {
  positiveNumber: { type: 'number', exclusiveMinimum: 0 } as JsonSchema,
  nonNegativeNumber: { type: 'number', minimum: 0 } as JsonSchema,
  nonNegativeInteger: { type: 'integer', minimum: 0 } as JsonSchema,
  positiveInteger: { type: 'integer', minimum: 1 } as JsonSchema,
  text: { type: 'string', minLength: 1 } as JsonSchema,
  bool: { type: 'boolean' } as JsonSchema,
  /** "8.7", "11.0" */
  computeCapability: { type: 'string', pattern: '^\\d{1,2}\\.\\d$' } as JsonSchema,
  /** "8.5.2", "10.3", "10.3.0.30" */
  tensorrtVersion: { type: 'string', pattern: '^\\d+\\.\\d+(\\.\\d+){0,2}$' } as JsonSchema,
  /** "12.6", "10.2", "13.0.1" */
  dottedVersion: { type: 'string', pattern: '^\\d+\\.\\d+(\\.\\d+)?$' } as JsonSchema,
  /** "5.1.1", "6.0", "7.2.2" */
  jetpackVersion: { type: 'string', pattern: '^\\d+\\.\\d+(\\.\\d+)?$' } as JsonSchema,
  /** "R36.4", "R35.3.1" */
  l4tVersion: { type: 'string', pattern: '^R\\d+\\.\\d+(\\.\\d+)?$' } as JsonSchema,
  /** kebab-case id */
  id: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' } as JsonSchema,
};
