/**
 * Blob chunks over MQTT, for links that carry only MQTT. A device asks for one range of one blob
 * at a time (a few in flight); the publisher answers on the device's chunk topic.
 *
 * Request (JSON): `{"id": 7, "sha256": "...", "offset": 65536, "length": 32768}`
 * Response (binary): 4-byte big-endian header length, the header as JSON
 * (`{"id": 7, "sha256": "...", "offset": 65536}` or with `"error": {"code", "message"}`), then the bytes.
 */
import { EdgeError } from '../../core/errors.js';
import { parseJsonBounded } from '../../core/json-limits.js';

/** Largest chunk a request may ask for. */
export const MAX_CHUNK_BYTES = 1 << 20;

/** A chunk request. */
export interface ChunkRequest {
  id: number;
  sha256: string;
  offset: number;
  length: number;
}

/** A chunk response header. */
export interface ChunkHeader {
  id: number;
  sha256: string;
  offset: number;
  error?: { code: string; message: string };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Encodes a request. */
export function encodeChunkRequest(r: ChunkRequest): Buffer {
  return Buffer.from(JSON.stringify(r));
}

/**
 * Decodes and checks a request.
 * @throws EdgeError E_MQTT_PROTOCOL
 */
export function decodeChunkRequest(payload: Uint8Array): ChunkRequest {
  const r = parseJsonBounded(
    payload,
    { maxBytes: 4096, maxDepth: 2, maxStringLength: 256 },
    { what: 'chunk request', syntaxCode: 'E_MQTT_PROTOCOL' },
  ) as Partial<ChunkRequest>;
  if (
    !r ||
    !Number.isSafeInteger(r.id) ||
    typeof r.sha256 !== 'string' ||
    !HEX64.test(r.sha256) ||
    !Number.isSafeInteger(r.offset) ||
    r.offset! < 0 ||
    !Number.isSafeInteger(r.length) ||
    r.length! < 1 ||
    r.length! > MAX_CHUNK_BYTES
  ) {
    throw new EdgeError(
      'E_MQTT_PROTOCOL',
      `chunk request must be {id, sha256, offset >= 0, length 1..${MAX_CHUNK_BYTES}}`,
    );
  }
  return r as ChunkRequest;
}

/** Encodes a response. */
export function encodeChunk(header: ChunkHeader, data: Uint8Array = new Uint8Array(0)): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(h.length);
  return Buffer.concat([len, h, data]);
}

/**
 * Decodes a response.
 * @throws EdgeError E_MQTT_PROTOCOL
 */
export function decodeChunk(payload: Uint8Array): { header: ChunkHeader; data: Buffer } {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (buf.length < 4) throw new EdgeError('E_MQTT_PROTOCOL', 'chunk shorter than its header length');
  const n = buf.readUInt32BE(0);
  if (n > 4096 || 4 + n > buf.length)
    throw new EdgeError('E_MQTT_PROTOCOL', `chunk header length ${n} is out of range`);
  const header = parseJsonBounded(
    buf.subarray(4, 4 + n),
    { maxBytes: 4096, maxDepth: 2, maxStringLength: 256 },
    { what: 'chunk header', syntaxCode: 'E_MQTT_PROTOCOL' },
  ) as ChunkHeader;
  if (!Number.isSafeInteger(header.id) || typeof header.sha256 !== 'string' || !Number.isSafeInteger(header.offset))
    throw new EdgeError('E_MQTT_PROTOCOL', 'chunk header must be {id, sha256, offset}');
  return { header, data: buf.subarray(4 + n) };
}
