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

function pushVarint(out: number[], v: number): void {
  let x = v;
  while (x >= 0x80) {
    out.push((x & 0x7f) | 0x80);
    x = Math.floor(x / 128);
  }
  out.push(x);
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
  const bytes: number[] = [];
  let runs = 0;
  let value = mask[0]!;
  let length = 0;
  for (let i = 0; i < mask.length; i++) {
    const v = mask[i]!;
    if (v === value) {
      length++;
      continue;
    }
    pushVarint(bytes, value);
    pushVarint(bytes, length);
    runs++;
    value = v;
    length = 1;
  }
  pushVarint(bytes, value);
  pushVarint(bytes, length);
  runs++;
  return { encoding: 'rle-varint-base64', width, height, runs, data: Buffer.from(bytes).toString('base64') };
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
