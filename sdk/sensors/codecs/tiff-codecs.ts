/**
 * Bounded TIFF block decoders registered into geotiff.js. geotiff.js's own inflate, LZW and PackBits
 * decoders grow their output without limit, so a few kilobytes of crafted strip data can demand
 * gigabytes. These replacements stop as soon as a block would exceed the size its tile or strip
 * geometry allows (tile width × tile height × bytes per pixel). The JPEG decoder is wrapped so the
 * frame header's dimensions are checked against the tile before the decoder allocates.
 *
 * Registration replaces the decoders process-wide for geotiff.js (the safer behaviour is what any
 * caller wants); it happens once, on first use.
 */
import { inflateRawSync, inflateSync } from 'node:zlib';
import { addDecoder, BaseDecoder, getDecoder, type ImageFileDirectory } from 'geotiff';

/** Compression ids this SDK decodes: none, LZW, JPEG, Deflate (two ids) and PackBits. */
export const SUPPORTED_TIFF_COMPRESSIONS: Readonly<Record<number, string>> = Object.freeze({
  1: 'none',
  5: 'LZW',
  7: 'JPEG',
  8: 'Deflate',
  32946: 'Deflate',
  32773: 'PackBits',
});

/** Names of compressions we recognise but refuse, for clearer errors. */
export const TIFF_COMPRESSION_NAMES: Readonly<Record<number, string>> = Object.freeze({
  2: 'CCITT RLE',
  3: 'CCITT G3',
  4: 'CCITT G4',
  6: 'old-style JPEG',
  34887: 'LERC',
  34925: 'LZMA',
  50000: 'ZSTD',
  50001: 'WebP',
  50002: 'JPEG XL',
});

interface BlockParams {
  tileWidth: number;
  tileHeight: number;
  planarConfiguration: number;
  bitsPerSample: number | ArrayLike<number>;
}

/** Largest decoded size a block may have, from its geometry (+1 KiB for writers that pad). */
export function maxBlockBytes(p: BlockParams): number {
  const bits = typeof p.bitsPerSample === 'number' ? [p.bitsPerSample] : Array.from(p.bitsPerSample);
  const bitsPerPixel = p.planarConfiguration === 2 ? (bits[0] ?? 8) : bits.reduce((a, b) => a + b, 0);
  return Math.ceil((p.tileWidth * p.tileHeight * bitsPerPixel) / 8) + 1024;
}

function tooLarge(limit: number): Error {
  return new RangeError(`compressed block expands beyond the ${limit} bytes its tile geometry allows`);
}

/** TIFF LZW (MSB-first codes, 9–12 bits, early change), writing at most `limit` bytes. */
export function lzwDecode(input: Uint8Array, limit: number): Uint8Array {
  const out = new Uint8Array(limit);
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const length = new Uint16Array(4096);
  for (let i = 0; i < 256; i++) {
    prefix[i] = -1;
    suffix[i] = i;
    first[i] = i;
    length[i] = 1;
  }
  let pos = 0;
  let bitPos = 0;
  const totalBits = input.length * 8;
  let width = 9;
  let next = 258;
  let old = -1;
  const write = (code: number): void => {
    const len = length[code]!;
    if (pos + len > limit) throw tooLarge(limit);
    let c = code;
    for (let i = pos + len - 1; i >= pos; i--) {
      out[i] = suffix[c]!;
      c = prefix[c]!;
    }
    pos += len;
  };
  for (;;) {
    if (bitPos + width > totalBits) break; // ran out of data without EOI: keep what we have
    let code = 0;
    for (let i = 0; i < width; i++) {
      const bit = (input[(bitPos + i) >> 3]! >> (7 - ((bitPos + i) & 7))) & 1;
      code = (code << 1) | bit;
    }
    bitPos += width;
    if (code === 257) break;
    if (code === 256) {
      width = 9;
      next = 258;
      old = -1;
      continue;
    }
    if (old === -1) {
      if (code > 255) throw new Error(`invalid LZW code ${code} after a clear code`);
      write(code);
      old = code;
      continue;
    }
    let firstChar: number;
    if (code < next) {
      write(code);
      firstChar = first[code]!;
    } else if (code === next) {
      firstChar = first[old]!;
      if (next < 4096) {
        prefix[next] = old;
        suffix[next] = firstChar;
        first[next] = first[old]!;
        length[next] = length[old]! + 1;
      }
      write(code);
      old = code;
      next++;
      if (next >= (1 << width) - 1 && width < 12) width++;
      continue;
    } else {
      throw new Error(`invalid LZW code ${code} (next free code is ${next})`);
    }
    if (next < 4096) {
      prefix[next] = old;
      suffix[next] = firstChar;
      first[next] = first[old]!;
      length[next] = length[old]! + 1;
      next++;
      if (next >= (1 << width) - 1 && width < 12) width++;
    }
    old = code;
  }
  return out.subarray(0, pos);
}

/** PackBits, writing at most `limit` bytes. */
export function packBitsDecode(input: Uint8Array, limit: number): Uint8Array {
  const out = new Uint8Array(limit);
  let pos = 0;
  let i = 0;
  while (i < input.length) {
    const header = (input[i]! << 24) >> 24;
    i++;
    if (header >= 0) {
      const n = header + 1;
      if (i + n > input.length) throw new Error('PackBits literal run past the end of the block');
      if (pos + n > limit) throw tooLarge(limit);
      out.set(input.subarray(i, i + n), pos);
      pos += n;
      i += n;
    } else if (header !== -128) {
      const n = 1 - header;
      if (i >= input.length) throw new Error('PackBits repeat run past the end of the block');
      if (pos + n > limit) throw tooLarge(limit);
      out.fill(input[i]!, pos, pos + n);
      pos += n;
      i++;
    }
  }
  return out.subarray(0, pos);
}

/** zlib (or raw) deflate, refusing output beyond `limit` bytes. */
export function inflateBounded(input: Uint8Array, limit: number): Uint8Array {
  try {
    return inflateSync(input, { maxOutputLength: limit });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit);
    if ((err as { code?: string }).code === 'Z_DATA_ERROR' && input[0] !== 0x78)
      return inflateRawSync(input, { maxOutputLength: limit });
    throw err;
  }
}

/** Width and height from the first SOF marker of a JPEG stream, or undefined when there is none. */
export function jpegFrameSize(data: Uint8Array): { width: number; height: number } | undefined {
  let i = 2;
  while (i + 9 < data.length) {
    if (data[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = data[i + 1]!;
    if (marker === 0xff || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += marker === 0xff ? 1 : 2;
      continue;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { height: (data[i + 5]! << 8) | data[i + 6]!, width: (data[i + 7]! << 8) | data[i + 8]! };
    if (marker === 0xda) return undefined;
    const len = (data[i + 2]! << 8) | data[i + 3]!;
    i += 2 + len;
  }
  return undefined;
}

/** The bytes as an ArrayBuffer of exactly their length (Buffer#slice would share a larger pool). */
function toBuffer(out: Uint8Array): ArrayBuffer {
  if (out.byteOffset === 0 && out.byteLength === out.buffer.byteLength) return out.buffer as ArrayBuffer;
  return new Uint8Array(out).buffer as ArrayBuffer;
}

class BoundedLzw extends BaseDecoder {
  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    return toBuffer(lzwDecode(new Uint8Array(buffer), maxBlockBytes(this.parameters)));
  }
}
class BoundedDeflate extends BaseDecoder {
  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    return toBuffer(inflateBounded(new Uint8Array(buffer), maxBlockBytes(this.parameters)));
  }
}
class BoundedPackBits extends BaseDecoder {
  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    return toBuffer(packBitsDecode(new Uint8Array(buffer), maxBlockBytes(this.parameters)));
  }
}

let registered: Promise<void> | undefined;

/** Registers the bounded decoders into geotiff.js (once per process / module instance). */
export function ensureBoundedTiffCodecs(): Promise<void> {
  registered ??= (async () => {
    const probe = await getDecoder(7, {
      tileWidth: 8,
      tileHeight: 8,
      planarConfiguration: 1,
      bitsPerSample: [8],
      predictor: 1,
    });
    const Jpeg = probe.constructor as new (p: unknown) => BaseDecoder;
    class CheckedJpeg extends BaseDecoder {
      private inner: BaseDecoder | undefined;
      override decodeBlock(buffer: ArrayBufferLike): Promise<ArrayBufferLike> | ArrayBufferLike {
        const size = jpegFrameSize(new Uint8Array(buffer));
        const p = this.parameters;
        if (!size) throw new Error('JPEG block has no frame header');
        if (size.width > p.tileWidth + 16 || size.height > p.tileHeight + 16 || size.width === 0 || size.height === 0) {
          throw new RangeError(
            `JPEG block claims ${size.width}×${size.height}, larger than its ${p.tileWidth}×${p.tileHeight} tile`,
          );
        }
        this.inner ??= new Jpeg(this.parameters);
        return this.inner.decodeBlock(buffer);
      }
    }
    const keep = decoderParameters as never;
    addDecoder(5, async () => BoundedLzw, keep, false);
    addDecoder([8, 32946], async () => BoundedDeflate, keep, false);
    addDecoder(32773, async () => BoundedPackBits, keep, false);
    addDecoder(7, async () => CheckedJpeg, keep, false);
  })();
  return registered;
}

/** A block decoder's parameters from its image's directory (geotiff.js's, with the strip height capped). */
async function decoderParameters(
  fd: ImageFileDirectory,
): Promise<BlockParams & { predictor: number; JPEGTables?: unknown }> {
  const isTiled = !fd.hasTag('StripOffsets');
  return {
    tileWidth: Number(await fd.loadValue(isTiled ? 'TileWidth' : 'ImageWidth')),
    // RowsPerStrip may be absent or 2^32-1 ("one strip"): a strip never holds more rows than the image.
    tileHeight: isTiled
      ? Number(await fd.loadValue('TileLength'))
      : Math.min(Number((await fd.loadValue('RowsPerStrip')) ?? Infinity), Number(await fd.loadValue('ImageLength'))),
    planarConfiguration: Number((await fd.loadValue('PlanarConfiguration')) ?? 1),
    bitsPerSample: (await fd.loadValue('BitsPerSample')) as BlockParams['bitsPerSample'],
    predictor: Number((await fd.loadValue('Predictor')) ?? 1),
    JPEGTables: fd.hasTag('JPEGTables') ? await fd.loadValue('JPEGTables') : undefined,
  };
}

/**
 * The decoder geotiff.js's readRasters uses for blocks of `compression` in the directory `fd`
 * (the bounded ones above, registered first), for reading blocks one by one (tiff-blocks.ts).
 */
export async function blockDecoder(compression: number, fd: ImageFileDirectory): Promise<BaseDecoder> {
  await ensureBoundedTiffCodecs();
  return getDecoder(compression, (await decoderParameters(fd)) as never);
}
