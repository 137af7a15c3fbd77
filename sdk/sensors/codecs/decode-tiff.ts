/**
 * TIFF / GeoTIFF decoding through geotiff.js: any band count, 8/16/32-bit integers, float16/32/64 and
 * complex samples (CInt16, CInt32, CFloat32, CFloat64), strips or tiles, pixel- or band-interleaved.
 * Header values are checked against the decode limits before geotiff.js allocates anything, and its
 * block decoders are replaced by bounded ones (tiff-codecs.ts).
 *
 * geotiff.js has no complex sample support; a complex image is read by re-describing each complex
 * sample as two real samples (pixel-interleaved files) or each row as twice as wide (band-interleaved
 * files) — byte-identical views of the same data — and splitting re/im afterwards.
 */
import { fromArrayBuffer, type GeoTIFFImage } from 'geotiff';
import { frameError, type FrameRef } from '../frame.js';
import type { DecodedImage } from './decode.js';
import { georefFromGeoTiff, type GeoTiffTagSource, type TagLoader } from '../geometry/geotiff-georef.js';
import { checkDimensions, checkWorkingMemory, type DecodeLimits } from './limits.js';
import { elementBytes, isComplexDType, type PlaneArray, type Raster, type RasterDType } from '../raster.js';
import { ensureBoundedTiffCodecs, SUPPORTED_TIFF_COMPRESSIONS, TIFF_COMPRESSION_NAMES } from './tiff-codecs.js';
import { checkTiffStructure } from './tiff-structure.js';

// Numeric TIFF tag ids (geotiff.js stores parsed fields under them).
const TAG = { ImageWidth: 256, BitsPerSample: 258, SamplesPerPixel: 277, TileWidth: 322, SampleFormat: 339 } as const;

type FieldMap = Map<string | number, unknown>;

function dtypeOf(format: number, bits: number): RasterDType | undefined {
  const table: Record<number, Record<number, RasterDType>> = {
    1: { 8: 'uint8', 16: 'uint16', 32: 'uint32' },
    2: { 8: 'int8', 16: 'int16', 32: 'int32' },
    3: { 16: 'float32', 32: 'float32', 64: 'float64' },
    5: { 32: 'cint16', 64: 'cint32' },
    6: { 64: 'complex64', 128: 'complex128' },
  };
  return table[format]?.[bits];
}

function arrayOf(v: unknown, n: number, fallback: number): number[] {
  if (v === undefined || v === null) return new Array<number>(n).fill(fallback);
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  return Array.from(v as ArrayLike<number>, Number);
}

/**
 * Decodes the first (full-resolution) image of a TIFF.
 * @param expandPalette expand palette (indexed-colour) images to RGB through their ColorMap
 * @throws EdgeError E_FRAME_DECODE for unreadable/unsupported files, E_FRAME_INVALID for sizes over the limits
 */
export async function decodeTiff(
  bytes: Uint8Array,
  ref: FrameRef,
  limits: DecodeLimits,
  expandPalette: boolean,
): Promise<DecodedImage> {
  await ensureBoundedTiffCodecs();
  // Tag sizes and the tile/strip list are checked against the file and the geometry first: geotiff.js
  // allocates from declared counts and schedules one read per implied block.
  const layout = checkTiffStructure(bytes, ref, limits);
  // A copy when the bytes are a view into a larger buffer (Buffer#slice would not copy).
  const ab = (
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : new Uint8Array(bytes).buffer
  ) as ArrayBuffer;
  let image: GeoTIFFImage;
  try {
    const tiff = await fromArrayBuffer(ab);
    image = await tiff.getImage(0);
  } catch (err) {
    throw frameError('E_FRAME_DECODE', ref, `not a readable TIFF: ${(err as Error).message}`, { cause: err });
  }
  const fd = image.getFileDirectory();
  const fields = fd.actualizedFields as FieldMap;
  let width: number,
    height: number,
    spp: number,
    bits: number[],
    formats: number[],
    compression: number,
    photometric: number,
    predictor: number,
    planar: number;
  try {
    width = image.getWidth();
    height = image.getHeight();
    spp = image.getSamplesPerPixel();
    bits = arrayOf(await fd.loadValue('BitsPerSample'), spp, 1);
    formats = arrayOf(await fd.loadValue('SampleFormat'), spp, 1);
    compression = Number((await fd.loadValue('Compression')) ?? 1);
    photometric = Number((await fd.loadValue('PhotometricInterpretation')) ?? 1);
    predictor = Number((await fd.loadValue('Predictor')) ?? 1);
    planar = image.planarConfiguration;
  } catch (err) {
    throw frameError('E_FRAME_DECODE', ref, `TIFF header is unreadable: ${(err as Error).message}`, { cause: err });
  }
  if (!Number.isInteger(spp) || spp < 1)
    throw frameError('E_FRAME_DECODE', ref, `TIFF declares ${spp} samples per pixel`);
  if (bits.length < spp || formats.length < spp)
    throw frameError('E_FRAME_DECODE', ref, `TIFF lists ${bits.length} BitsPerSample for ${spp} samples`);
  if (new Set(bits.slice(0, spp)).size > 1 || new Set(formats.slice(0, spp)).size > 1) {
    throw frameError(
      'E_FRAME_DECODE',
      ref,
      `TIFF bands have different sample types (bits ${bits.join('/')}, formats ${formats.join('/')}); not supported`,
    );
  }
  const dtype = dtypeOf(formats[0]!, bits[0]!);
  if (!dtype)
    throw frameError(
      'E_FRAME_DECODE',
      ref,
      `TIFF sample type (SampleFormat ${formats[0]}, ${bits[0]} bits) is not supported`,
    );
  if (!(compression in SUPPORTED_TIFF_COMPRESSIONS)) {
    const name = TIFF_COMPRESSION_NAMES[compression] ?? 'unknown';
    throw frameError(
      'E_FRAME_DECODE',
      ref,
      `TIFF compression ${compression} (${name}) is not supported; supported: none, LZW, Deflate, PackBits, JPEG`,
    );
  }
  const ycbcr = photometric === 6 && spp === 3 && dtype === 'uint8';
  if (photometric === 5 || photometric === 8 || (photometric === 6 && !ycbcr)) {
    throw frameError(
      'E_FRAME_DECODE',
      ref,
      `TIFF photometric interpretation ${photometric} (CMYK/YCbCr/CIELab) is not supported here; store RGB or one band per channel`,
    );
  }
  const complex = isComplexDType(dtype);
  if (complex && predictor !== 1)
    throw frameError('E_FRAME_DECODE', ref, 'TIFF with complex samples and a predictor is not supported');
  const sampleBytes = elementBytes(dtype) * (complex ? 2 : 1);
  checkDimensions(ref, width, height, spp, sampleBytes + (photometric === 3 && expandPalette ? 3 : 0), limits);
  const blockBytes = layout.blockWidth * layout.blockHeight * sampleBytes * (planar === 2 ? 1 : spp);
  if (blockBytes > limits.maxDecodedBytes) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `one ${layout.blockWidth}×${layout.blockHeight} ${layout.tiled ? 'tile' : 'strip'} would decode to ${blockBytes} bytes, over the ${limits.maxDecodedBytes}-byte limit`,
    );
  }
  checkWorkingMemory(
    ref,
    {
      width,
      height,
      bands: spp,
      bytesPerSample: sampleBytes,
      // geotiff.js's output planes; band-interleaved complex rows are split into two more planes
      copies: complex && planar === 2 ? 2 : 1,
      encodedBytes: bytes.byteLength + blockBytes,
      extraPerPixel: photometric === 3 && expandPalette ? 3 : 0,
      complex,
    },
    limits,
  );

  if (complex) {
    const half = bits[0]! / 2;
    const realFormat = formats[0] === 5 ? 2 : 3;
    if (planar === 1) {
      fields.set(TAG.SamplesPerPixel, spp * 2);
      fields.set(TAG.BitsPerSample, new Array<number>(spp * 2).fill(half));
      fields.set(TAG.SampleFormat, new Array<number>(spp * 2).fill(realFormat));
    } else {
      fields.set(TAG.ImageWidth, width * 2);
      if (fields.has(TAG.TileWidth)) fields.set(TAG.TileWidth, Number(fields.get(TAG.TileWidth)) * 2);
      fields.set(TAG.BitsPerSample, new Array<number>(spp).fill(half));
      fields.set(TAG.SampleFormat, new Array<number>(spp).fill(realFormat));
    }
  }
  let planes: PlaneArray[];
  try {
    const read = (await image.readRasters({ interleave: false })) as unknown as PlaneArray[];
    planes = Array.from(read);
  } catch (err) {
    throw frameError('E_FRAME_DECODE', ref, `TIFF pixel data is corrupt or truncated: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (complex && planar === 2) planes = planes.flatMap((p) => splitComplexRows(p, width, height));
  const expected = width * height;
  if (planes.length !== (complex ? spp * 2 : spp) || planes.some((p) => p.length !== expected)) {
    throw frameError('E_FRAME_DECODE', ref, 'TIFF pixel data does not match its declared size');
  }

  if (ycbcr) ycbcrToRgb(planes);
  let raster: Raster = { width, height, dtype, complex, planes };
  let palette = false;
  if (photometric === 3) {
    palette = true;
    if (expandPalette) raster = await paletteToRgb(raster, fd as unknown as TagLoader, ref);
  }
  const warnings: string[] = [];
  const georef = await georefFromGeoTiff(image as unknown as GeoTiffTagSource, (m) => warnings.push(m));
  const nd = image.getGDALNoData();
  const descriptions = await bandDescriptions(image, spp);
  return {
    raster,
    format: 'tiff',
    ...(georef ? { georef } : {}),
    ...(nd !== null && nd !== undefined ? { noData: nd } : {}),
    ...(palette && !expandPalette ? { palette: true } : {}),
    ...(descriptions ? { bandDescriptions: descriptions } : {}),
    warnings,
  };
}

/** GDAL band descriptions (GDAL_METADATA items with role "description"), or undefined when there are none. */
async function bandDescriptions(image: GeoTIFFImage, spp: number): Promise<string[] | undefined> {
  const out: string[] = [];
  try {
    for (let s = 0; s < spp; s++) {
      const md = (await image.getGDALMetadata(s)) as Record<string, unknown> | null;
      const d = md?.DESCRIPTION;
      out.push(typeof d === 'string' ? unescapeXml(d).trim() : '');
    }
  } catch {
    return undefined;
  }
  return out.some((d) => d.length > 0) ? out : undefined;
}

function unescapeXml(s: string): string {
  return s.replace(
    /&(lt|gt|quot|apos|amp);/g,
    (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!,
  );
}

/** Splits a band plane stored as (2·width)-wide rows of re/im pairs into re and im planes. */
function splitComplexRows(p: PlaneArray, width: number, height: number): PlaneArray[] {
  const n = width * height;
  const Ctor = p.constructor as new (n: number) => PlaneArray;
  const re = new Ctor(n);
  const im = new Ctor(n);
  for (let i = 0; i < n; i++) {
    re[i] = p[2 * i]!;
    im[i] = p[2 * i + 1]!;
  }
  return [re, im];
}

async function paletteToRgb(raster: Raster, fd: TagLoader, ref: FrameRef): Promise<Raster> {
  const map = (await fd.loadValue('ColorMap')) as ArrayLike<number> | undefined;
  const idx = raster.planes[0]!;
  const entries = map ? map.length / 3 : 0;
  if (!map || raster.planes.length !== 1 || !Number.isInteger(entries) || entries === 0) {
    throw frameError('E_FRAME_DECODE', ref, 'palette TIFF has no usable ColorMap');
  }
  const n = raster.width * raster.height;
  const out = [new Uint8Array(n), new Uint8Array(n), new Uint8Array(n)];
  for (let i = 0; i < n; i++) {
    const k = idx[i]!;
    if (k >= entries)
      throw frameError('E_FRAME_DECODE', ref, `palette index ${k} is outside the ${entries}-entry ColorMap`);
    out[0]![i] = map[k]! >> 8;
    out[1]![i] = map[entries + k]! >> 8;
    out[2]![i] = map[2 * entries + k]! >> 8;
  }
  return { width: raster.width, height: raster.height, dtype: 'uint8', complex: false, planes: out };
}

/** JFIF YCbCr → RGB in place (JPEG-compressed TIFFs store YCbCr; the decoder returns it as is). */
function ycbcrToRgb(planes: PlaneArray[]): void {
  const [y, cb, cr] = planes as [PlaneArray, PlaneArray, PlaneArray];
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
  for (let i = 0; i < y.length; i++) {
    const Y = y[i]!;
    const B = cb[i]! - 128;
    const R = cr[i]! - 128;
    y[i] = clamp(Y + 1.402 * R);
    cb[i] = clamp(Y - 0.344136 * B - 0.714136 * R);
    cr[i] = clamp(Y + 1.772 * B);
  }
}
