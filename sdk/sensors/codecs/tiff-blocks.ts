/**
 * A full-resolution TIFF read that copies decoded blocks through typed-array views. geotiff.js's
 * readRasters reads every sample with one DataView call (about three quarters of the time it takes
 * to decode the deflated 6-band Landsat-7 Olinda scene); here each decoded strip or tile is copied
 * into the band planes directly. The blocks still come from geotiff.js (getTileOrStrip: the block
 * table, the bounded decoders of tiff-codecs.ts, predictors, empty blocks), so only the copy
 * differs and the planes are the same, sample for sample.
 *
 * Layouts read here: one sample type for every band, 8/16/32-bit integers or 32/64-bit floats, in
 * the host's byte order (any order for 8 bits), pixel- or band-interleaved, uncompressed, LZW,
 * Deflate or PackBits, not YCbCr. Complex images come here already re-described as real samples
 * (decode-tiff.ts). Anything else is left to readRasters.
 */
import type { GeoTIFFImage } from 'geotiff';
import type { PlaneArray } from '../raster.js';
import { blockDecoder } from './tiff-codecs.js';
import type { TiffHeader } from './tiff-header.js';

const COPIED_COMPRESSIONS = new Set([1, 5, 8, 32946, 32773]);
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type PlaneConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => PlaneArray;

/**
 * The image's band planes at full resolution, or undefined when its layout is not one of those above.
 * @throws Error (RangeError) where a block decodes to fewer bytes than its pixels need, as
 *   readRasters does; the caller reports it as corrupt pixel data
 * @example
 * const planes = (await readBlocks(image, header)) ?? (await image.readRasters({ interleave: false }));
 */
export async function readBlocks(image: GeoTIFFImage, h: TiffHeader): Promise<PlaneArray[] | undefined> {
  const { width, height, spp, planar } = h;
  const bits = h.bits[0]!;
  const integer = (h.formats[0] === 1 || h.formats[0] === 2) && (bits === 8 || bits === 16 || bits === 32);
  const float = h.formats[0] === 3 && (bits === 32 || bits === 64);
  const copied =
    (integer || float) &&
    !h.complex &&
    !h.ycbcr &&
    (planar === 1 || planar === 2) &&
    COPIED_COMPRESSIONS.has(h.compression) &&
    (bits === 8 || image.littleEndian === HOST_LITTLE_ENDIAN);
  if (!copied) return undefined;
  const planes = Array.from({ length: spp }, (_, s) => image.getArrayForSample(s, width * height) as PlaneArray);
  if (planes.some((p) => p.BYTES_PER_ELEMENT * 8 !== bits)) return undefined;
  const decoder = await blockDecoder(h.compression, image.getFileDirectory());
  const tw = image.getTileWidth();
  const th = image.getTileHeight();
  const jobs: Promise<void>[] = [];
  for (let yt = 0; yt * th < height; yt++) {
    for (let xt = 0; xt * tw < width; xt++) {
      const block = {
        x0: xt * tw,
        y0: yt * th,
        columns: Math.min(tw, width - xt * tw),
        rows: Math.min(image.getBlockHeight(yt), height - yt * th),
        tileWidth: tw,
        width,
      };
      // Pixel-interleaved: one block holds every band; band-interleaved: one block per band.
      for (let s = 0; s < (planar === 2 ? spp : 1); s++) {
        const into = planar === 2 ? [planes[s]!] : planes;
        jobs.push(image.getTileOrStrip(xt, yt, s, decoder).then(({ data }) => copyBlock(data, into, block)));
      }
    }
  }
  await Promise.all(jobs);
  return planes;
}

interface Block {
  /** Image position of the block's first pixel. */
  x0: number;
  y0: number;
  /** Pixels of the block inside the image (edge tiles and the last strip are cut). */
  columns: number;
  rows: number;
  /** Pixels per block row as stored (a tile's width even where the image ends). */
  tileWidth: number;
  /** Image width. */
  width: number;
}

/** Copies one decoded block holding `into.length` interleaved samples per pixel into the planes. */
function copyBlock(data: ArrayBufferLike, into: PlaneArray[], b: Block): void {
  if (!(data instanceof ArrayBuffer)) throw new TypeError('a decoded TIFF block is not an ArrayBuffer');
  const n = into.length;
  const first = into[0]!;
  const bytes = first.BYTES_PER_ELEMENT;
  if (b.rows <= 0 || b.columns <= 0) return;
  const need = ((b.rows - 1) * b.tileWidth + b.columns) * n * bytes;
  if (data.byteLength < need)
    throw new RangeError(`a TIFF block decoded to ${data.byteLength} bytes, fewer than the ${need} its pixels need`);
  const view = new (first.constructor as PlaneConstructor)(data, 0, Math.floor(data.byteLength / bytes));
  for (let y = 0; y < b.rows; y++) {
    const src = y * b.tileWidth * n;
    const dst = (b.y0 + y) * b.width + b.x0;
    if (n === 1) {
      first.set(view.subarray(src, src + b.columns) as ArrayLike<number> as Float64Array, dst);
      continue;
    }
    for (let s = 0; s < n; s++) {
      const out = into[s]!;
      for (let x = 0, k = src + s; x < b.columns; x++, k += n) out[dst + x] = view[k]!;
    }
  }
}
