/**
 * Payload encodings. JSON is the default; CBOR (RFC 8949, via cbor-x) is smaller and carries typed
 * arrays (masks, embeddings) natively. The content type travels as the MQTT 5 `contentType`
 * property and in the birth certificate; over MQTT 3.1.1 a consumer can still tell the two apart
 * from the first byte, because every payload of ours is a map: JSON starts with `{` (0x7b) and a
 * CBOR map with a byte in 0xa0–0xbf.
 */
import { Encoder } from 'cbor-x';
import { EdgeError, messageOf } from '../core/errors.js';
import { parseJsonBounded, type JsonLimits } from '../core/json-limits.js';

/** Payload encodings a publisher can use. */
export const ENCODINGS = ['json', 'cbor'] as const;
/** One of {@link ENCODINGS}. */
export type Encoding = (typeof ENCODINGS)[number];

/** MIME type per encoding, as sent in the MQTT 5 content type. */
export const CONTENT_TYPES: Record<Encoding, string> = {
  json: 'application/json',
  cbor: 'application/cbor',
};

// Plain maps, no cbor-x record extension: any CBOR decoder can read what we write.
/** Limits on a JSON payload we decode: 64 MiB, nesting 64, strings of 16 MiB. */
export const PAYLOAD_JSON_LIMITS: JsonLimits = {
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 64,
  maxStringLength: 16 * 1024 * 1024,
};

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

/**
 * Encodes `value` (an object) to bytes.
 * @throws EdgeError E_INVALID_ARGUMENT naming `field` when the value cannot be encoded (a cycle, a
 *   bigint in JSON, a function)
 * @example
 * const bytes = encodePayload('cbor', { id: 'r1', result: { mask: new Uint8Array(16) } }, 'result');
 */
export function encodePayload(encoding: Encoding, value: unknown, field = 'payload'): Buffer {
  try {
    if (encoding === 'json') {
      const text = JSON.stringify(value);
      if (text === undefined) throw new Error('value has no JSON form');
      return Buffer.from(text, 'utf8');
    }
    return Buffer.from(cbor.encode(value));
  } catch (err) {
    throw new EdgeError('E_INVALID_ARGUMENT', `cannot encode ${field} as ${encoding}: ${messageOf(err)}`, {
      field,
      cause: err,
    });
  }
}

/**
 * Which encoding a payload uses: the content type when there is one (MQTT 5), else the first byte.
 * Returns `undefined` when neither tells.
 */
export function detectEncoding(payload: Uint8Array, contentType?: string): Encoding | undefined {
  if (contentType !== undefined) {
    const base = contentType.split(';')[0]!.trim().toLowerCase();
    if (base === CONTENT_TYPES.json) return 'json';
    if (base === CONTENT_TYPES.cbor) return 'cbor';
  }
  const first = payload[0];
  if (first === undefined) return undefined;
  if (first === 0x7b || first === 0x20 || first === 0x0a || first === 0x0d || first === 0x09) return 'json';
  if (first >= 0xa0 && first <= 0xbf) return 'cbor';
  return undefined;
}

/**
 * Decodes a payload of ours.
 * @throws EdgeError E_MQTT_PAYLOAD when the bytes are not a JSON or CBOR map
 */
export function decodePayload(
  payload: Uint8Array,
  contentType?: string,
  topic = 'payload',
): { encoding: Encoding; value: Record<string, unknown> } {
  const encoding = detectEncoding(payload, contentType);
  if (encoding === undefined) {
    throw new EdgeError(
      'E_MQTT_PAYLOAD',
      `payload is neither a JSON object nor a CBOR map (first byte 0x${(payload[0] ?? 0).toString(16)})`,
      { field: topic },
    );
  }
  let value: unknown;
  try {
    value =
      encoding === 'json'
        ? parseJsonBounded(payload, PAYLOAD_JSON_LIMITS, { file: topic, what: 'payload', syntaxCode: 'E_MQTT_PAYLOAD' })
        : cbor.decode(payload);
  } catch (err) {
    // Limits (E_JSON_*) keep their own code; a syntax error reads as before.
    if (err instanceof EdgeError && err.code !== 'E_MQTT_PAYLOAD') throw err;
    const cause = err instanceof EdgeError ? (err.cause ?? err) : err;
    throw new EdgeError('E_MQTT_PAYLOAD', `payload is not valid ${encoding}: ${messageOf(cause)}`, {
      field: topic,
      cause,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EdgeError(
      'E_MQTT_PAYLOAD',
      `payload decodes to ${Array.isArray(value) ? 'an array' : typeof value}, expected an object`,
      { field: topic },
    );
  }
  return { encoding, value: value as Record<string, unknown> };
}
