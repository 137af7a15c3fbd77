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
import { fromArrayBuffer, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { frameError, type FrameRef } from '../frame.js';
import type { DecodedImage } from './decode.js';
import { georefFromGeoTiff, type GeoTiffTagSource, type TagLoader } from '../geometry/geotiff-georef.js';
import { checkDecodedBytes, checkDimensions, checkWorkingMemory, fitsLimits, type DecodeLimits } from './limits.js';
import type { PlaneArray, Raster } from '../raster.js';
import type { ReduceRequest } from './reduce.js';
import { ensureBoundedTiffCodecs } from './tiff-codecs.js';
import { readBlocks } from './tiff-blocks.js';
import { readTiffHeader, ycbcrToRgb, type TiffHeader } from './tiff-header.js';
import { readBlockAverage, readOverview, type ReducedRead } from './tiff-reduced.js';
import { checkTiffDirectories } from './tiff-structure.js';

// Numeric TIFF tag ids (geotiff.js stores parsed fields under them).
const TAG = { ImageWidth: 256, BitsPerSample: 258, SamplesPerPixel: 277, TileWidth: 322, SampleFormat: 339 } as const;

type FieldMap = Map<string | number, unknown>;

/**
 * Decodes the first (full-resolution) image of a TIFF, or with `reduce` a smaller raster of it (an
 * overview, or blocks averaged while reading; tiff-reduced.ts).
 * @param expandPalette expand palette (indexed-colour) images to RGB through their ColorMap
 * @param reduce the frame will be resampled to one smaller size: read an overview when the request
 *   says always or the full image is over the limits, average blocks when it is over the limits
 * @throws EdgeError E_FRAME_DECODE for unreadable/unsupported files, E_FRAME_INVALID for sizes over the limits
 */
export async function decodeTiff(
  bytes: Uint8Array,
  ref: FrameRef,
  limits: DecodeLimits,
  expandPalette: boolean,
  reduce?: ReduceRequest,
): Promise<DecodedImage> {
  await ensureBoundedTiffCodecs();
  // Tag sizes and the tile/strip list of every directory (overviews included) are checked against
  // the file and the geometry first: geotiff.js allocates from declared counts and schedules one
  // read per implied block.
  const directories = checkTiffDirectories(bytes, ref, limits);
  const layout = directories[0]!;
  // A copy when the bytes are a view into a larger buffer (Buffer#slice would not copy).
  const ab = (
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : new Uint8Array(bytes).buffer
  ) as ArrayBuffer;
  let tiff: GeoTIFF;
  let image: GeoTIFFImage;
  try {
    tiff = await fromArrayBuffer(ab);
    image = await tiff.getImage(0);
  } catch (err) {
    throw frameError('E_FRAME_DECODE', ref, `not a readable TIFF: ${(err as Error).message}`, { cause: err });
  }
  const fd = image.getFileDirectory();
  const fields = fd.actualizedFields as FieldMap;
  const header = await readTiffHeader(image, ref);
  const { width, height, spp, dtype, complex, sampleBytes, photometric, planar } = header;
  const paletteRgb = photometric === 3 && expandPalette;
  const reducible = reduce !== undefined && !complex && photometric !== 3;
  checkDimensions(ref, width, height, spp, sampleBytes + (paletteRgb ? 3 : 0), limits, { decodedBytes: !reducible });
  const blockBytes = layout.blockWidth * layout.blockHeight * sampleBytes * (planar === 2 ? 1 : spp);
  if (blockBytes > limits.maxDecodedBytes) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `one ${layout.blockWidth}×${layout.blockHeight} ${layout.tiled ? 'tile' : 'strip'} would decode to ${blockBytes} bytes, over the ${limits.maxDecodedBytes}-byte limit`,
    );
  }
  const memory = {
    bands: spp,
    bytesPerSample: sampleBytes,
    // geotiff.js's output planes; band-interleaved complex rows are split into two more planes
    copies: complex && planar === 2 ? 2 : 1,
    encodedBytes: bytes.byteLength + blockBytes,
    extraPerPixel: paletteRgb ? 3 : 0,
    complex,
  };
  let reduced: ReducedRead | undefined;
  if (reducible) {
    const fits = fitsLimits({ ...memory, width, height }, limits);
    if (reduce.always || !fits) reduced = await readOverview(tiff, header, directories, reduce, memory, ref, limits);
    if (!reduced && !fits) {
      const nd = image.getGDALNoData();
      const noData = reduce.noData ?? (nd === null ? undefined : nd);
      reduced = await readBlockAverage(image, header, layout, reduce, memory, noData, ref, limits);
    }
  }
  if (!reduced) {
    if (reducible) checkDecodedBytes(ref, width * height * spp * sampleBytes, limits);
    checkWorkingMemory(ref, { ...memory, width, height }, limits);
  }

  if (complex) {
    const real = asRealSamples(header);
    if (planar === 1) {
      fields.set(TAG.SamplesPerPixel, real.spp);
    } else {
      fields.set(TAG.ImageWidth, real.width);
      if (fields.has(TAG.TileWidth)) fields.set(TAG.TileWidth, Number(fields.get(TAG.TileWidth)) * 2);
    }
    fields.set(TAG.BitsPerSample, real.bits);
    fields.set(TAG.SampleFormat, real.formats);
  }
  const raster: Raster = reduced
    ? { width: reduced.width, height: reduced.height, dtype, complex, planes: reduced.planes }
    : await readFull(image, header, ref);
  return describe(image, fd as unknown as TagLoader, raster, spp, photometric, expandPalette, ref, reduced);
}

/** The main image at full resolution: blocks copied where the layout allows (tiff-blocks.ts), else readRasters. */
async function readFull(image: GeoTIFFImage, h: TiffHeader, ref: FrameRef): Promise<Raster> {
  const { width, height, spp, complex, planar } = h;
  let planes: PlaneArray[];
  try {
    const copied = await readBlocks(image, complex ? asRealSamples(h) : h);
    planes = copied ?? Array.from((await image.readRasters({ interleave: false })) as unknown as PlaneArray[]);
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
  if (h.ycbcr) ycbcrToRgb(planes);
  return { width, height, dtype: h.dtype, complex, planes };
}

/**
 * A complex image's layout re-described as real samples, which is how geotiff.js is made to read
 * it (decodeTiff sets these fields) and how readBlocks copies it: re and im as two samples of half
 * the bits (pixel-interleaved) or rows twice as wide (band-interleaved).
 */
function asRealSamples(h: TiffHeader): TiffHeader {
  const half = h.bits[0]! / 2;
  const spp = h.planar === 1 ? h.spp * 2 : h.spp;
  return {
    ...h,
    complex: false,
    spp,
    width: h.planar === 1 ? h.width : h.width * 2,
    bits: new Array<number>(spp).fill(half),
    formats: new Array<number>(spp).fill(h.formats[0] === 5 ? 2 : 3),
    sampleBytes: h.sampleBytes / 2,
  };
}

/** The decoded image: palette expansion, georeference, no-data value and band descriptions of the main image. */
async function describe(
  image: GeoTIFFImage,
  fd: TagLoader,
  decoded: Raster,
  spp: number,
  photometric: number,
  expandPalette: boolean,
  ref: FrameRef,
  reduced: ReducedRead | undefined,
): Promise<DecodedImage> {
  let raster = decoded;
  let palette = false;
  if (photometric === 3) {
    palette = true;
    if (expandPalette) raster = await paletteToRgb(raster, fd, ref);
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
    ...(reduced ? { reduced: reduced.reduction } : {}),
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
