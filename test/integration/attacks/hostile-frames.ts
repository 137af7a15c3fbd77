/**
 * Hostile frames, built byte by byte: TIFF headers that declare far more than their bytes hold, and
 * frames that are honest but large. Each builder returns the bytes a decoder would be handed.
 */
import { constants, crc32, deflateRawSync, deflateSync } from 'node:zlib';

/** One IFD entry: tag, TIFF type (3 SHORT, 4 LONG, 12 DOUBLE) and values. */
interface Entry {
  tag: number;
  type: 3 | 4 | 12;
  values: number[];
}

const TYPE_BYTES = { 3: 2, 4: 4, 12: 8 } as const;

/**
 * A little-endian classic TIFF with one IFD and `payload` placed right after the header.
 * `entries` may refer to the payload at offset {@link PAYLOAD_OFFSET}.
 */
export function buildTiff(entries: Entry[], payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  const ifdOffset = PAYLOAD_OFFSET + payload.length + (payload.length % 2);
  const ifdSize = 2 + sorted.length * 12 + 4;
  const extra: number[][] = [];
  let extraOffset = ifdOffset + ifdSize;
  const parts: Array<{ entry: Entry; at?: number }> = [];
  for (const entry of sorted) {
    const size = TYPE_BYTES[entry.type] * entry.values.length;
    if (size > 4) {
      parts.push({ entry, at: extraOffset });
      extraOffset += size;
      extra.push([]);
    } else parts.push({ entry });
  }
  const out = new Uint8Array(extraOffset);
  const dv = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  dv.setUint32(4, ifdOffset, true);
  out.set(payload, PAYLOAD_OFFSET);
  dv.setUint16(ifdOffset, sorted.length, true);
  const put = (at: number, type: 3 | 4 | 12, v: number) => {
    if (type === 3) dv.setUint16(at, v, true);
    else if (type === 4) dv.setUint32(at, v, true);
    else dv.setFloat64(at, v, true);
  };
  parts.forEach(({ entry, at }, i) => {
    const base = ifdOffset + 2 + i * 12;
    dv.setUint16(base, entry.tag, true);
    dv.setUint16(base + 2, entry.type, true);
    dv.setUint32(base + 4, entry.values.length, true);
    const step = TYPE_BYTES[entry.type];
    if (at === undefined) entry.values.forEach((v, k) => put(base + 8 + k * step, entry.type, v));
    else {
      dv.setUint32(base + 8, at, true);
      entry.values.forEach((v, k) => put(at + k * step, entry.type, v));
    }
  });
  dv.setUint32(ifdOffset + 2 + sorted.length * 12, 0, true);
  return out;
}

/** Where {@link buildTiff} places the payload. */
export const PAYLOAD_OFFSET = 8;

const T = {
  width: 256,
  height: 257,
  bits: 258,
  compression: 259,
  photometric: 262,
  stripOffsets: 273,
  spp: 277,
  rowsPerStrip: 278,
  stripByteCounts: 279,
  planar: 284,
  tileWidth: 322,
  tileLength: 323,
  tileOffsets: 324,
  tileByteCounts: 325,
  sampleFormat: 339,
} as const;

/**
 * A few hundred bytes declaring a `side`×`side` image of `tile`×`tile` tiles whose offsets and byte
 * counts (as many as `listed`) all point at the same few bytes.
 */
export function tileBomb(side: number, tile: number, listed: number): Uint8Array {
  const payload = new Uint8Array([1, 2, 3, 4]);
  return buildTiff(
    [
      { tag: T.width, type: 4, values: [side] },
      { tag: T.height, type: 4, values: [side] },
      { tag: T.bits, type: 3, values: [8] },
      { tag: T.compression, type: 3, values: [1] },
      { tag: T.photometric, type: 3, values: [1] },
      { tag: T.spp, type: 3, values: [1] },
      { tag: T.tileWidth, type: 3, values: [tile] },
      { tag: T.tileLength, type: 3, values: [tile] },
      { tag: T.tileOffsets, type: 4, values: new Array<number>(listed).fill(PAYLOAD_OFFSET) },
      { tag: T.tileByteCounts, type: 4, values: new Array<number>(listed).fill(payload.length) },
    ],
    payload,
  );
}

/**
 * A small tiled TIFF (a few hundred bytes) declaring a large float image of `bands` bands in a few
 * big tiles whose data is a short deflate stream: the header is consistent, the blocks are not.
 */
export function largeTiledTiff(width: number, height: number, tile: number, bands: number): Uint8Array {
  const payload = deflateSync(new Uint8Array(64));
  const across = Math.ceil(width / tile);
  const down = Math.ceil(height / tile);
  const blocks = across * down;
  return buildTiff(
    [
      { tag: T.width, type: 4, values: [width] },
      { tag: T.height, type: 4, values: [height] },
      { tag: T.bits, type: 3, values: new Array<number>(bands).fill(32) },
      { tag: T.compression, type: 3, values: [8] },
      { tag: T.photometric, type: 3, values: [1] },
      { tag: T.spp, type: 3, values: [bands] },
      { tag: T.planar, type: 3, values: [1] },
      { tag: T.tileWidth, type: 4, values: [tile] },
      { tag: T.tileLength, type: 4, values: [tile] },
      { tag: T.tileOffsets, type: 4, values: new Array<number>(blocks).fill(PAYLOAD_OFFSET) },
      { tag: T.tileByteCounts, type: 4, values: new Array<number>(blocks).fill(payload.length) },
      { tag: T.sampleFormat, type: 3, values: new Array<number>(bands).fill(3) },
    ],
    payload,
  );
}

/**
 * A band-interleaved deflated TIFF of `bands` uint8 bands of `side`×`side`, one strip per band, every
 * strip the same deflated zeros: about `bands × side² ` bytes decoded from a file of ~1 MB or less.
 */
export function deflatedManyBands(side: number, bands: number): Uint8Array {
  const payload = deflateSync(new Uint8Array(side * side), { level: 9 });
  return buildTiff(
    [
      { tag: T.width, type: 4, values: [side] },
      { tag: T.height, type: 4, values: [side] },
      { tag: T.bits, type: 3, values: new Array<number>(bands).fill(8) },
      { tag: T.compression, type: 3, values: [8] },
      { tag: T.photometric, type: 3, values: [1] },
      { tag: T.stripOffsets, type: 4, values: new Array<number>(bands).fill(PAYLOAD_OFFSET) },
      { tag: T.spp, type: 3, values: [bands] },
      { tag: T.rowsPerStrip, type: 4, values: [side] },
      { tag: T.stripByteCounts, type: 4, values: new Array<number>(bands).fill(payload.length) },
      { tag: T.planar, type: 3, values: [2] },
    ],
    payload,
  );
}

/** A 16×16 strip TIFF whose StripOffsets tag claims `count` values the file does not hold. */
export function hugeTagTiff(count: number): Uint8Array {
  const bytes = buildTiff(
    [
      { tag: T.width, type: 4, values: [16] },
      { tag: T.height, type: 4, values: [16] },
      { tag: T.stripOffsets, type: 4, values: [PAYLOAD_OFFSET] },
      { tag: T.stripByteCounts, type: 4, values: [256] },
    ],
    new Uint8Array(256),
  );
  const dv = new DataView(bytes.buffer);
  const ifd = dv.getUint32(4, true);
  for (let i = 0; i < dv.getUint16(ifd, true); i++) {
    const e = ifd + 2 + i * 12;
    if (dv.getUint16(e, true) === T.stripOffsets) dv.setUint32(e + 4, count, true);
  }
  return bytes;
}

/** An uncompressed one-strip float64 TIFF of `width`×`height`×`bands` holding `value` everywhere. */
export function float64Tiff(width: number, height: number, bands: number, value: number): Uint8Array {
  const data = new Float64Array(width * height * bands).fill(value);
  const payload = new Uint8Array(data.buffer);
  return buildTiff(
    [
      { tag: T.width, type: 4, values: [width] },
      { tag: T.height, type: 4, values: [height] },
      { tag: T.bits, type: 3, values: new Array<number>(bands).fill(64) },
      { tag: T.compression, type: 3, values: [1] },
      { tag: T.photometric, type: 3, values: [1] },
      { tag: T.stripOffsets, type: 4, values: [PAYLOAD_OFFSET] },
      { tag: T.spp, type: 3, values: [bands] },
      { tag: T.rowsPerStrip, type: 4, values: [height] },
      { tag: T.stripByteCounts, type: 4, values: [payload.length] },
      { tag: T.planar, type: 3, values: [1] },
      { tag: T.sampleFormat, type: 3, values: new Array<number>(bands).fill(3) },
    ],
    payload,
  );
}

/**
 * A `width`×`height` 8-bit RGB PNG of one colour, deflated row by row (a 10000×10000 image is a few
 * hundred kilobytes and 300 MB decoded).
 */
export function flatPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Uint8Array): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  // Rows of filter 0 and grey 0x80 samples; deflated in bounded slices of rows.
  const row = Buffer.alloc(1 + width * 3, 0x80);
  row[0] = 0;
  const rowsPerSlice = Math.max(1, Math.floor((8 << 20) / row.length));
  const slice = Buffer.concat(Array.from({ length: rowsPerSlice }, () => row));
  const deflate = new ZlibDeflateStream();
  for (let y = 0; y < height; y += rowsPerSlice)
    deflate.push(slice.subarray(0, Math.min(rowsPerSlice, height - y) * row.length));
  const idat = deflate.end();
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** A synchronous zlib stream over several inputs (zlib's sync API takes one buffer). */
class ZlibDeflateStream {
  private readonly parts: Buffer[] = [];
  private readonly z = zlibHandle();
  push(data: Uint8Array): void {
    this.parts.push(this.z.write(data, false));
  }
  end(): Buffer {
    this.parts.push(this.z.write(new Uint8Array(0), true));
    return Buffer.concat(this.parts);
  }
}

function zlibHandle(): { write(data: Uint8Array, last: boolean): Buffer } {
  // Deflate each slice as a full-flush block of one zlib stream: header once, adler32 over all.
  let adler = 1;
  let first = true;
  return {
    write(data, last) {
      const out: Buffer[] = [];
      if (first) {
        out.push(Buffer.from([0x78, 0xda]));
        first = false;
      }
      if (data.length > 0) {
        out.push(deflateRawSync(data, { level: 9, finishFlush: constants.Z_FULL_FLUSH }));
        adler = adler32(adler, data);
      }
      if (last) {
        out.push(deflateRawSync(new Uint8Array(0)));
        const tail = Buffer.alloc(4);
        tail.writeUInt32BE(adler >>> 0, 0);
        out.push(tail);
      }
      return Buffer.concat(out);
    },
  };
}

function adler32(start: number, data: Uint8Array): number {
  let a = start & 0xffff;
  let b = (start >>> 16) & 0xffff;
  for (let i = 0; i < data.length;) {
    const end = Math.min(data.length, i + 5552);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
