/**
 * Compact transport encoding of label masks (class maps, change masks): run-length encoding.
 *
 * Format `rle-varint-base64` (version 1):
 * - the mask is read row-major (row 0 left to right, then row 1, ...), runs continue across rows;
 * - each run is two unsigned LEB128 varints: the value (0–65535), then the run length (≥ 1);
 *   (LEB128: 7 bits per byte, least significant group first, high bit set on all but the last byte);
 * - the byte string is encoded as standard base64 (RFC 4648, with padding) in `data`;
 * - the run lengths sum to width × height.
 * A 512×512 class map with a few dozen regions encodes to a few kilobytes of JSON.
 */
import { EdgeError } from '../core/errors.js';
import { runEnd, wordsOf } from './label-runs.js';

/** An RLE-encoded mask. Plain JSON. */
export interface RleMask {
  encoding: 'rle-varint-base64';
  width: number;
  height: number;
  /** Number of runs. */
  runs: number;
  /** base64 of the varint (value, length) pairs. */
  data: string;
}

/** A growing byte string of LEB128 varints. */
class VarintWriter {
  bytes = new Uint8Array(1024);
  length = 0;

  push(v: number): void {
    // A value below 2^35 takes at most 5 bytes.
    if (this.length + 5 > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    let x = v;
    while (x >= 0x80) {
      this.bytes[this.length++] = (x & 0x7f) | 0x80;
      x = Math.floor(x / 128);
    }
    this.bytes[this.length++] = x;
  }
}

/** The runs of `mask` as (value, length) varint pairs; returns how many runs. */
function writeRuns(mask: Uint8Array | Uint16Array, out: VarintWriter): number {
  const words = wordsOf(mask);
  let runs = 0;
  for (let start = 0; start < mask.length; runs++) {
    const end = runEnd(mask, words, start, mask.length);
    out.push(mask[start]!);
    out.push(end - start);
    start = end;
  }
  return runs;
}

/**
 * Encodes a row-major label mask.
 * @throws EdgeError E_INVALID_ARGUMENT when the array does not hold width × height values
 * @example
 * const rle = encodeMaskRle(classMap, width, height); JSON.stringify(rle);
 */
export function encodeMaskRle(mask: Uint8Array | Uint16Array, width: number, height: number): RleMask {
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    mask.length !== width * height
  ) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `mask has ${mask.length} values but width × height = ${width} × ${height}`,
      { field: 'mask' },
    );
  }
  const out = new VarintWriter();
  const runs = writeRuns(mask, out);
  const data = Buffer.from(out.bytes.buffer, 0, out.length).toString('base64');
  return { encoding: 'rle-varint-base64', width, height, runs, data };
}

/**
 * Decodes an {@link RleMask} into a row-major array (Uint16Array, or Uint8Array when asked and every
 * value fits).
 * @throws EdgeError E_INVALID_ARGUMENT for malformed encodings
 * @example
 * const classMap = decodeMaskRle(result.mask, 'uint8');
 */
export function decodeMaskRle(rle: RleMask, into: 'uint8' | 'uint16' = 'uint16'): Uint8Array | Uint16Array {
  const bad = (why: string) => new EdgeError('E_INVALID_ARGUMENT', `malformed RLE mask: ${why}`, { field: 'mask' });
  if (!rle || rle.encoding !== 'rle-varint-base64') throw bad(`unknown encoding ${JSON.stringify(rle?.encoding)}`);
  const { width, height } = rle;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width * height > 1 << 30)
    throw bad('bad width/height');
  const total = width * height;
  const out = into === 'uint8' ? new Uint8Array(total) : new Uint16Array(total);
  const bytes = Buffer.from(rle.data, 'base64');
  let p = 0;
  const read = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (p >= bytes.length) throw bad('truncated varint');
      const b = bytes[p++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
      if (mul > 2 ** 35) throw bad('varint too long');
    }
  };
  let o = 0;
  while (p < bytes.length) {
    const value = read();
    const length = read();
    if (length < 1 || o + length > total) throw bad(`runs exceed ${width} × ${height}`);
    if (value > (into === 'uint8' ? 255 : 65535)) throw bad(`value ${value} does not fit ${into}`);
    out.fill(value, o, o + length);
    o += length;
  }
  if (o !== total) throw bad(`runs cover ${o} of ${total} pixels`);
  return out;
}
