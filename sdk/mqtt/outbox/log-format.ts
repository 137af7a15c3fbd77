/**
 * The on-disk format of {@link FileOutbox}: a 16-byte header, then length-prefixed records, each
 * starting with a sync marker and carrying a CRC-32, so a damaged record is recognised and replay
 * resynchronises on the next intact record after it (version 2). Version 1 logs (no sync marker,
 * replay stops at the first damaged record) are still read and rewritten as version 2 at open.
 *
 * ```
 * header  "RMOEOBX1" (8) | version u32 LE = 2 | crc32 of the 12 bytes before (u32 LE)
 * record  sync D3 4E B7 1A | length u32 LE (of type + body) | crc32(type + body) u32 LE | type u8 | body
 *   PUT  1: seq u64 | createdAt f64 | qos u8 | flags u8 (bit 0 retain) | topicLen u16 | topic
 *           | propsLen u32 | properties (JSON, UTF-8) | payload (rest)
 *   ACK  2: count u32 | seq u64 × count            (delivered)
 *   DROP 3: reason u8 (1 full, 2 expired, 3 rejected) | count u32 | seq u64 × count
 *   META 4: nextSeq u64 | appended u64 | acked u64 | dropped u64 | expired u64 | rejected u64
 * ```
 * All integers little-endian. META opens every compacted file (twice, so one damaged copy costs
 * nothing) so lifetime counters and the next sequence number survive compaction. The sync marker is not valid UTF-8, so it never appears in
 * a JSON topic or payload; where it appears by chance in binary data, the CRC of the frame it
 * would start still has to match before replay accepts it.
 * @internal
 */
import { crc32 } from 'node:zlib';
import type { OutboxEntry, OutboxProperties, QoS } from './outbox.js';

/** File magic. */
export const LOG_MAGIC = Buffer.from('RMOEOBX1', 'ascii');
/** Format version written in the header. */
export const LOG_VERSION = 2;
/** Header size in bytes. */
export const HEADER_BYTES = 16;
/** The 4 bytes every version-2 record starts with. */
export const SYNC = Buffer.from([0xd3, 0x4e, 0xb7, 0x1a]);
/** Record frame overhead (sync + length + crc). */
export const FRAME_BYTES = 12;
/** Frame overhead of a version-1 record (length + crc, no sync). */
export const FRAME_BYTES_V1 = 8;
/** A length field above this is damage, not data. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/** Record types. */
export const RecordType = { PUT: 1, ACK: 2, DROP: 3, META: 4 } as const;
/** Drop reasons as stored. */
export const DropCode = { full: 1, expired: 2, rejected: 3 } as const;

/** Counters carried by META. */
export interface MetaRecord {
  nextSeq: number;
  appended: number;
  acked: number;
  dropped: number;
  expired: number;
  rejected: number;
}

/** A decoded record. */
export type LogRecord =
  | { type: 1; entry: OutboxEntry }
  | { type: 2; seqs: number[] }
  | { type: 3; reason: keyof typeof DropCode; seqs: number[] }
  | { type: 4; meta: MetaRecord };

/** The file header. */
export function encodeHeader(): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  LOG_MAGIC.copy(b, 0);
  b.writeUInt32LE(LOG_VERSION, 8);
  b.writeUInt32LE(crc32(b.subarray(0, 12)), 12);
  return b;
}

/**
 * `ok` (version 2), `v1` (a version-1 log), `short` (fewer than 16 bytes: an interrupted create),
 * `foreign` (bad magic or header checksum: not our file, or a damaged header) or `version` (a
 * newer format).
 */
export function checkHeader(b: Buffer): 'ok' | 'v1' | 'short' | 'foreign' | 'version' {
  if (b.length < HEADER_BYTES)
    return b.subarray(0, Math.min(b.length, 8)).equals(LOG_MAGIC.subarray(0, Math.min(b.length, 8)))
      ? 'short'
      : 'foreign';
  if (!b.subarray(0, 8).equals(LOG_MAGIC)) return 'foreign';
  if (b.readUInt32LE(12) !== crc32(b.subarray(0, 12))) return 'foreign';
  const version = b.readUInt32LE(8);
  return version === LOG_VERSION ? 'ok' : version === 1 ? 'v1' : 'version';
}

/** Writes sync, length and crc in front of the type + body already at `out[FRAME_BYTES..]`. */
function seal(out: Buffer): Buffer {
  SYNC.copy(out, 0);
  out.writeUInt32LE(out.length - FRAME_BYTES, 4);
  out.writeUInt32LE(crc32(out.subarray(FRAME_BYTES)), 8);
  return out;
}

function frame(type: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_BYTES + 1 + body.length);
  out.writeUInt8(type, FRAME_BYTES);
  body.copy(out, FRAME_BYTES + 1);
  return seal(out);
}

function writeU64(b: Buffer, value: number, at: number): void {
  // seq and counters stay below 2^53; two 32-bit halves avoid a BigInt per record.
  b.writeUInt32LE(value % 0x1_0000_0000, at);
  b.writeUInt32LE(Math.floor(value / 0x1_0000_0000), at + 4);
}

/**
 * A PUT record for `entry`, written straight into its frame.
 * @param propertiesJson `entry.properties` as JSON, when the caller has it already
 */
export function encodePut(
  entry: OutboxEntry,
  propertiesJson = entry.properties ? JSON.stringify(entry.properties) : '',
): Buffer {
  const topicLen = Buffer.byteLength(entry.topic);
  const propsLen = Buffer.byteLength(propertiesJson);
  const out = Buffer.allocUnsafe(
    FRAME_BYTES + 1 + 8 + 8 + 1 + 1 + 2 + topicLen + 4 + propsLen + entry.payload.byteLength,
  );
  let o = FRAME_BYTES;
  out.writeUInt8(RecordType.PUT, o++);
  writeU64(out, entry.seq, o);
  o += 8;
  out.writeDoubleLE(entry.createdAt, o);
  o += 8;
  out.writeUInt8(entry.qos, o++);
  out.writeUInt8(entry.retain ? 1 : 0, o++);
  out.writeUInt16LE(topicLen, o);
  o += 2;
  o += out.write(entry.topic, o, 'utf8');
  out.writeUInt32LE(propsLen, o);
  o += 4;
  o += out.write(propertiesJson, o, 'utf8');
  out.set(entry.payload, o);
  return seal(out);
}

function encodeSeqs(prefix: Buffer, seqs: readonly number[]): Buffer {
  const body = Buffer.allocUnsafe(prefix.length + 4 + 8 * seqs.length);
  prefix.copy(body, 0);
  body.writeUInt32LE(seqs.length, prefix.length);
  seqs.forEach((s, i) => body.writeBigUInt64LE(BigInt(s), prefix.length + 4 + 8 * i));
  return body;
}

/** An ACK record. */
export function encodeAck(seqs: readonly number[]): Buffer {
  return frame(RecordType.ACK, encodeSeqs(Buffer.alloc(0), seqs));
}

/** A DROP record. */
export function encodeDrop(reason: keyof typeof DropCode, seqs: readonly number[]): Buffer {
  return frame(RecordType.DROP, encodeSeqs(Buffer.from([DropCode[reason]]), seqs));
}

/** A META record. */
export function encodeMeta(meta: MetaRecord): Buffer {
  const body = Buffer.allocUnsafe(48);
  [meta.nextSeq, meta.appended, meta.acked, meta.dropped, meta.expired, meta.rejected].forEach((v, i) =>
    body.writeBigUInt64LE(BigInt(v), 8 * i),
  );
  return frame(RecordType.META, body);
}

/**
 * Length of the record starting at `b[0]` as its frame says (frame included), or undefined when
 * `b` is shorter than a frame. Version 2: `undefined` too when `b` does not start with {@link SYNC}.
 */
export function frameLength(b: Buffer, frameBytes = FRAME_BYTES): number | undefined {
  if (b.length < frameBytes) return undefined;
  if (frameBytes === FRAME_BYTES && b.readUInt32LE(0) !== SYNC.readUInt32LE(0)) return undefined;
  return frameBytes + b.readUInt32LE(frameBytes - 8);
}

function readSeqs(body: Buffer, at: number): number[] {
  const count = body.readUInt32LE(at);
  if (at + 4 + 8 * count !== body.length) throw new RangeError('seq list length');
  return Array.from({ length: count }, (_, i) => Number(body.readBigUInt64LE(at + 4 + 8 * i)));
}

/**
 * Decodes one complete record (frame included; `frameBytes` {@link FRAME_BYTES_V1} for a version-1
 * log). Returns `undefined` when the sync marker or checksum fails or the body is malformed.
 */
export function decodeRecord(rec: Buffer, frameBytes = FRAME_BYTES): LogRecord | undefined {
  if (rec.length < frameBytes + 1 || rec.readUInt32LE(frameBytes - 8) !== rec.length - frameBytes) return undefined;
  if (frameBytes === FRAME_BYTES && !rec.subarray(0, 4).equals(SYNC)) return undefined;
  if (rec.readUInt32LE(frameBytes - 4) !== crc32(rec.subarray(frameBytes))) return undefined;
  const type = rec[frameBytes]!;
  const body = rec.subarray(frameBytes + 1);
  try {
    switch (type) {
      case RecordType.PUT: {
        let o = 0;
        const seq = Number(body.readBigUInt64LE(o));
        o += 8;
        const createdAt = body.readDoubleLE(o);
        o += 8;
        const qos = body.readUInt8(o++) as QoS;
        const retain = (body.readUInt8(o++) & 1) === 1;
        const topicLen = body.readUInt16LE(o);
        o += 2;
        const topic = body.toString('utf8', o, o + topicLen);
        o += topicLen;
        const propsLen = body.readUInt32LE(o);
        o += 4;
        if (o + propsLen > body.length || qos > 2) return undefined;
        const properties = propsLen
          ? (JSON.parse(body.toString('utf8', o, o + propsLen)) as OutboxProperties)
          : undefined;
        o += propsLen;
        // Copy: the record buffer belongs to a read window that is reused.
        const payload = Uint8Array.prototype.slice.call(body.subarray(o));
        return {
          type: 1,
          entry: { seq, createdAt, qos, retain, topic, payload, ...(properties ? { properties } : {}) },
        };
      }
      case RecordType.ACK:
        return { type: 2, seqs: readSeqs(body, 0) };
      case RecordType.DROP: {
        const reason = (Object.keys(DropCode) as (keyof typeof DropCode)[]).find(
          (k) => DropCode[k] === body.readUInt8(0),
        );
        return reason ? { type: 3, reason, seqs: readSeqs(body, 1) } : undefined;
      }
      case RecordType.META: {
        if (body.length !== 48) return undefined;
        const v = Array.from({ length: 6 }, (_, i) => Number(body.readBigUInt64LE(8 * i)));
        return {
          type: 4,
          meta: { nextSeq: v[0]!, appended: v[1]!, acked: v[2]!, dropped: v[3]!, expired: v[4]!, rejected: v[5]! },
        };
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}
