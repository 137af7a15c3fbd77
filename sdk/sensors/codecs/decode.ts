/**
 * Frame decoding: finds the format from the bytes themselves (never from a file name) and routes it —
 * JPEG/PNG/WebP to sharp, TIFF/GeoTIFF (any band count, 16-bit, float, complex) to geotiff.js, raw
 * arrays straight to planes. TIFFs never go to sharp: libvips reads at most a few channels and treats a
 * fourth band marked as an extra sample as alpha, which would silently corrupt a NIR band.
 */
import { readFile, stat } from 'node:fs/promises';
import {
  checkFrameFields,
  frameError,
  isRasterPixels,
  type Frame,
  type FrameRef,
  type RasterPixels,
} from '../frame.js';
import type { GeoReference } from '../geometry/georef.js';
import { checkDimensions, checkWorkingMemory, resolveLimits, type DecodeLimits } from './limits.js';
import { allocPlane, elementBytes, isComplexDType, type PlaneArray, type Raster } from '../raster.js';
import { decodeWithSharp } from './decode-sharp.js';
import { decodeTiff } from './decode-tiff.js';
import type { Reduction, ReduceRequest } from './reduce.js';

/** Encoded formats this SDK recognises. */
export type EncodedFormat = 'jpeg' | 'png' | 'webp' | 'tiff';

/**
 * A decoded frame, before any sensor configuration or radiometry: at source resolution, or smaller
 * when the caller allowed it (`DecodeOptions.reduce`) and `reduced` says so.
 */
export interface DecodedImage {
  raster: Raster;
  /** Present when the raster is smaller than the source: the source size and the pixel mapping. */
  reduced?: Reduction;
  format: EncodedFormat | 'raw';
  /** Georeference read from the file (GeoTIFF) or given with the frame. */
  georef?: GeoReference;
  /** No-data value declared by the file (GDAL_NODATA) or the raw pixels. */
  noData?: number;
  /** Pixels whose alpha is 0 (1 = no data), for images with an alpha channel. */
  alphaNoData?: Uint8Array;
  /** Per band, the description the file gives (GDAL band descriptions; '' where none); absent when the file has none. */
  bandDescriptions?: string[];
  /** True when a palette TIFF was kept as indices (not expanded to RGB). */
  palette?: boolean;
  /** Non-fatal notes (e.g. unreadable GeoKeys). */
  warnings: string[];
}

/** Options of {@link decodeFrame}. */
export interface DecodeOptions {
  limits?: Partial<DecodeLimits>;
  /** Expand palette TIFFs to RGB (default true); false keeps the indices as one band. */
  expandPalette?: boolean;
  /** Apply EXIF orientation to JPEG/PNG/WebP (default true). */
  autoOrient?: boolean;
  /**
   * The whole frame will be resampled to one smaller size: decoders may decode at that size where
   * the format allows (see reduce.ts). Raw arrays are never reduced.
   */
  reduce?: ReduceRequest;
}

/**
 * The format of an encoded image from its first bytes, or undefined.
 * @example
 * sniffFormat(readFileSync('frame.jpg')); // 'jpeg'
 */
export function sniffFormat(bytes: Uint8Array): EncodedFormat | undefined {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (
    b.length >= 8 &&
    b[0] === 0x89 &&
    b[1] === 0x50 &&
    b[2] === 0x4e &&
    b[3] === 0x47 &&
    b[4] === 0x0d &&
    b[5] === 0x0a &&
    b[6] === 0x1a &&
    b[7] === 0x0a
  )
    return 'png';
  if (
    b.length >= 12 &&
    b[0] === 0x52 &&
    b[1] === 0x49 &&
    b[2] === 0x46 &&
    b[3] === 0x46 &&
    b[8] === 0x57 &&
    b[9] === 0x45 &&
    b[10] === 0x42 &&
    b[11] === 0x50
  )
    return 'webp';
  if (
    b.length >= 4 &&
    ((b[0] === 0x49 && b[1] === 0x49 && (b[2] === 42 || b[2] === 43) && b[3] === 0) ||
      (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && (b[3] === 42 || b[3] === 43)))
  )
    return 'tiff';
  return undefined;
}

/**
 * Decodes a frame's pixels to a {@link Raster} at source resolution (or, with `options.reduce`, at
 * the size the frame will be resampled to, where the format allows).
 * @throws EdgeError E_FRAME_DECODE (unreadable/unsupported/corrupt) or E_FRAME_INVALID (malformed
 *   frame fields, sizes over the limits, raw arrays that do not match their stated geometry)
 * @example
 * const { raster, georef } = await decodeFrame({ id: 'f1', modality: 'multispectral', timestamp: Date.now(), pixels: 'scene.tif' });
 */
export async function decodeFrame(
  frame: Frame,
  options: DecodeOptions = {},
): Promise<DecodedImage & { ref: FrameRef }> {
  const ref = checkFrameFields(frame);
  const limits = resolveLimits(options.limits);
  const px = frame.pixels;
  if (isRasterPixels(px)) return { ...checkFloat32Range(rawToImage(px, ref, limits), ref), ref };
  let bytes: Uint8Array;
  if (typeof px === 'string') bytes = await readBounded(px, ref, limits);
  else bytes = px;
  const format = sniffFormat(bytes);
  let decoded: DecodedImage;
  if (format === 'tiff') decoded = await decodeTiff(bytes, ref, limits, options.expandPalette ?? true, options.reduce);
  else if (format) decoded = await decodeWithSharp(bytes, ref, limits, options.autoOrient ?? true, options.reduce);
  else {
    const head = Array.from(bytes.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
    throw frameError(
      'E_FRAME_DECODE',
      ref,
      `unsupported or unrecognised format (first bytes ${head || 'none'}); expected JPEG, PNG, WebP or TIFF`,
    );
  }
  return { ...checkFloat32Range(decoded, ref), ref };
}

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Refuses float64 samples that do not fit float32: every model input and every preprocessing plane
 * is float32, where such a value becomes ±Infinity and would poison statistics and outputs on one
 * modality while another clips it. NaN and ±Infinity themselves are left to the no-data handling.
 * @throws EdgeError E_FRAME_INVALID naming the band and the pixel
 */
export function checkFloat32Range(decoded: DecodedImage, ref: FrameRef): DecodedImage {
  const { raster } = decoded;
  if (raster.dtype !== 'float64' && raster.dtype !== 'complex128') return decoded;
  const per = raster.complex ? 2 : 1;
  raster.planes.forEach((p, k) => {
    for (let i = 0; i < p.length; i++) {
      const v = p[i]!;
      if ((v > FLOAT32_MAX || v < -FLOAT32_MAX) && Number.isFinite(v)) {
        const part = raster.complex ? (k % 2 === 0 ? ' (real part)' : ' (imaginary part)') : '';
        throw frameError(
          'E_FRAME_INVALID',
          ref,
          `band ${Math.floor(k / per) + 1}${part} has the value ${v} at x=${i % raster.width}, y=${Math.floor(i / raster.width)}, outside the float32 range (±3.4e38) every model input uses`,
          {
            field: 'frame.pixels',
          },
        );
      }
    }
  });
  return decoded;
}

async function readBounded(path: string, ref: FrameRef, limits: DecodeLimits): Promise<Uint8Array> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw frameError('E_FRAME_DECODE', ref, 'path is not a regular file');
    if (st.size > limits.maxFileBytes)
      throw frameError('E_FRAME_INVALID', ref, `file is ${st.size} bytes, over the ${limits.maxFileBytes}-byte limit`);
    if (st.size === 0) throw frameError('E_FRAME_DECODE', ref, 'file is empty');
    return await readFile(path);
  } catch (err) {
    if ((err as { name?: string }).name === 'EdgeError') throw err;
    throw frameError('E_FRAME_DECODE', ref, `cannot read the file: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Raw samples → planes. `chw` data is viewed, not copied, when it is real-valued.
 * @throws EdgeError E_FRAME_INVALID when the array does not match the stated geometry and dtype
 */
export function rawToImage(px: RasterPixels, ref: FrameRef, limits: DecodeLimits): DecodedImage {
  const { width, height, bands, dtype, layout, data } = px;
  const complex = isComplexDType(dtype);
  checkDimensions(ref, width, height, bands, elementBytes(dtype) * (complex ? 2 : 1), limits);
  // The caller's array is held throughout; interleaved or complex data is copied into planes.
  checkWorkingMemory(
    ref,
    {
      width,
      height,
      bands,
      bytesPerSample: elementBytes(dtype) * (complex ? 2 : 1),
      copies: layout === 'chw' && !complex ? 1 : 2,
      encodedBytes: 0,
      complex,
    },
    limits,
  );
  const Want = allocPlane(dtype, 0).constructor as new (n: number) => PlaneArray;
  if (!(data instanceof Want)) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `frame.pixels.data is a ${data.constructor.name} but dtype ${dtype} needs a ${Want.name}`,
      { field: 'frame.pixels.data' },
    );
  }
  const n = width * height;
  const per = complex ? 2 : 1;
  if (data.length !== n * bands * per) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `frame.pixels.data has ${data.length} elements but ${width}×${height}×${bands}${complex ? '×2 (re, im)' : ''} = ${n * bands * per} are needed`,
      { field: 'frame.pixels.data' },
    );
  }
  const Ctor = Want;
  const planes: PlaneArray[] = [];
  if (layout === 'chw' && !complex) {
    for (let b = 0; b < bands; b++) planes.push(data.subarray(b * n, (b + 1) * n) as PlaneArray);
  } else {
    const count = bands * per;
    for (let p = 0; p < count; p++) planes.push(new Ctor(n));
    if (layout === 'chw') {
      for (let b = 0; b < bands; b++) {
        const re = planes[2 * b]!;
        const im = planes[2 * b + 1]!;
        const base = b * n * 2;
        for (let i = 0; i < n; i++) {
          re[i] = data[base + 2 * i]!;
          im[i] = data[base + 2 * i + 1]!;
        }
      }
    } else {
      for (let i = 0, o = 0; i < n; i++) {
        for (let p = 0; p < count; p++, o++) planes[p]![i] = data[o]!;
      }
    }
  }
  return {
    raster: { width, height, dtype, complex, planes },
    format: 'raw',
    ...(px.noData !== undefined ? { noData: px.noData } : {}),
    warnings: [],
  };
}
