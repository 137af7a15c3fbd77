/**
 * The sample layout of one TIFF image (a full-resolution image or an overview) as geotiff.js parsed
 * it, checked against what the SDK decodes: one sample type for all bands, a supported compression
 * and photometric interpretation.
 */
import type { GeoTIFFImage } from 'geotiff';
import { frameError, type FrameRef } from '../frame.js';
import { elementBytes, isComplexDType, type PlaneArray, type RasterDType } from '../raster.js';
import { SUPPORTED_TIFF_COMPRESSIONS, TIFF_COMPRESSION_NAMES } from './tiff-codecs.js';

/** What a TIFF image's header says about its samples. */
export interface TiffHeader {
  width: number;
  height: number;
  /** Samples per pixel (complex samples count once). */
  spp: number;
  bits: number[];
  formats: number[];
  dtype: RasterDType;
  complex: boolean;
  /** Bytes of one sample of one band (complex: both parts). */
  sampleBytes: number;
  compression: number;
  photometric: number;
  predictor: number;
  planar: number;
  /** JPEG-compressed YCbCr RGB, converted to RGB after reading. */
  ycbcr: boolean;
}

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
 * Reads and checks the sample layout of one TIFF image.
 * @throws EdgeError E_FRAME_DECODE for unreadable headers and unsupported sample types,
 *   compressions or photometric interpretations
 */
export async function readTiffHeader(image: GeoTIFFImage, ref: FrameRef): Promise<TiffHeader> {
  const fd = image.getFileDirectory();
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
  return {
    width,
    height,
    spp,
    bits,
    formats,
    dtype,
    complex,
    sampleBytes,
    compression,
    photometric,
    predictor,
    planar,
    ycbcr,
  };
}

/** JFIF YCbCr → RGB in place (JPEG-compressed TIFFs store YCbCr; the decoder returns it as is). */
export function ycbcrToRgb(planes: PlaneArray[]): void {
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
