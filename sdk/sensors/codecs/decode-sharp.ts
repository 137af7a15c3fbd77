/**
 * JPEG, PNG and WebP decoding through sharp (libvips): camera frames and 8/16-bit images of at most
 * four channels. The header is read first and checked against the decode limits before libvips
 * decodes any pixels; libvips' own pixel limit is set to the same value as a second fence, and any
 * decoder warning (truncated or corrupt data) is an error.
 *
 * An alpha channel becomes the frame's no-data mask (alpha 0 = no data) and is not a band.
 */
import sharp, { type Metadata, type OutputInfo, type SharpOptions } from 'sharp';
import { frameError, type FrameRef } from '../frame.js';
import type { DecodedImage } from './decode.js';
import { checkDecodedBytes, checkDimensions, checkWorkingMemory, fitsLimits, type DecodeLimits } from './limits.js';
import type { PlaneArray } from '../raster.js';
import { sharpKernel, type Reduction, type ReduceRequest } from './reduce.js';

/**
 * Decodes an encoded JPEG/PNG/WebP image.
 * @param autoOrient apply the EXIF orientation (camera frames)
 * @param reduce when given, libvips may resize while decoding (shrink-on-load for JPEG and WebP) to
 *   the size the frame will be resampled to: always when `reduce.always` and the image has no alpha,
 *   otherwise only when the full-resolution frame would be over the limits
 * @throws EdgeError E_FRAME_DECODE for unreadable data, E_FRAME_INVALID for sizes over the limits
 */
export async function decodeWithSharp(
  bytes: Uint8Array,
  ref: FrameRef,
  limits: DecodeLimits,
  autoOrient: boolean,
  reduce?: ReduceRequest,
): Promise<DecodedImage> {
  const options = {
    failOn: 'warning' as const,
    limitInputPixels: limits.maxPixels,
    limitInputChannels: 4,
    sequentialRead: true,
  };
  // The optical fast path's output is the input size whatever the header says, and libvips fences
  // the pixel count and channels itself: it decodes while the header is read, and its result is
  // used only when the checks below confirm the plan (8-bit, reduced on both axes to that size).
  const early =
    reduce?.always && reduce.size ? rawPixels(bytes, options, autoOrient, reduce.size, reduce, false) : undefined;
  early?.catch(() => undefined); // a failure is reported only if the result is used
  let meta: Metadata;
  try {
    meta = await sharp(bytes, options).metadata();
  } catch (err) {
    if (!/exceeds pixel limit/.test((err as Error).message)) {
      throw frameError('E_FRAME_DECODE', ref, `image header is unreadable: ${(err as Error).message}`, { cause: err });
    }
    // Over libvips' pixel limit: read the header alone (no pixels) to report the claimed size.
    meta = await sharp(bytes, { ...options, limitInputPixels: false })
      .metadata()
      .catch(() => ({ width: limits.maxSide + 1, height: 1 }) as Metadata);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  const channels = meta.channels ?? 0;
  const sixteen = meta.depth === 'ushort';
  if (meta.depth !== undefined && meta.depth !== 'uchar' && !sixteen) {
    throw frameError(
      'E_FRAME_DECODE',
      ref,
      `${meta.format} with ${meta.depth} samples is not supported; use 8- or 16-bit`,
    );
  }
  if ((meta.pages ?? 1) > 1)
    throw frameError('E_FRAME_DECODE', ref, `${meta.format} has ${meta.pages} pages; a frame is one image`);
  const bytesPerSample = sixteen ? 2 : 1;
  checkDimensions(ref, width, height, channels || 1, bytesPerSample, limits, { decodedBytes: !reduce });
  // libvips' output buffer and the planes split from it exist together.
  const memory = { bands: channels || 1, bytesPerSample, copies: 2, encodedBytes: bytes.byteLength };
  const plan = reduce && planReduction(meta, autoOrient, reduce, limits, memory);
  const reduction = plan?.reduction;
  const decodedSize = plan ? { width: plan.width, height: plan.height } : { width, height };
  if (reduction) checkDecodedBytes(ref, decodedSize.width * decodedSize.height * memory.bands * bytesPerSample, limits);
  checkWorkingMemory(ref, { ...decodedSize, ...memory }, limits);
  const planned = reduce?.size && plan && plan.width === reduce.size.width && plan.height === reduce.size.height;
  let data: Buffer;
  let info: OutputInfo;
  try {
    ({ data, info } = await (early && planned && !sixteen
      ? early
      : rawPixels(bytes, options, autoOrient, reduction ? decodedSize : undefined, reduce, sixteen)));
  } catch (err) {
    throw frameError('E_FRAME_DECODE', ref, `image data is corrupt or truncated: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const w = info.width;
  const h = info.height;
  const c = info.channels;
  const n = w * h;
  const samples = sixteen
    ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (samples.length !== n * c)
    throw frameError('E_FRAME_DECODE', ref, `decoder returned ${samples.length} samples for ${w}×${h}×${c}`);
  const hasAlpha = c === 2 || c === 4;
  const colour = hasAlpha ? c - 1 : c;
  const bands = channels === 1 || channels === 2 ? 1 : colour;
  const planes: PlaneArray[] = [];
  for (let b = 0; b < bands; b++) planes.push(sixteen ? new Uint16Array(n) : new Uint8Array(n));
  let mask: Uint8Array | undefined;
  if (hasAlpha) mask = new Uint8Array(n);
  for (let b = 0; b < bands; b++) {
    const p = planes[b]!;
    for (let i = 0, o = b; i < n; i++, o += c) p[i] = samples[o]!;
  }
  if (mask) for (let i = 0, o = colour; i < n; i++, o += c) if (samples[o] === 0) mask[i] = 1;
  return {
    raster: { width: w, height: h, dtype: sixteen ? 'uint16' : 'uint8', complex: false, planes },
    format: (meta.format === 'jpeg' || meta.format === 'png' || meta.format === 'webp'
      ? meta.format
      : 'png') as DecodedImage['format'],
    ...(mask ? { alphaNoData: mask } : {}),
    ...(reduction ? { reduced: reduction } : {}),
    warnings: [],
  };
}

/**
 * libvips decodes (oriented; resized while decoding when `size` is given) to interleaved sRGB(A)
 * samples, 16-bit when asked.
 */
function rawPixels(
  bytes: Uint8Array,
  options: SharpOptions,
  autoOrient: boolean,
  size: { width: number; height: number } | undefined,
  reduce: ReduceRequest | undefined,
  sixteen: boolean,
): Promise<{ data: Buffer; info: OutputInfo }> {
  let pipeline = sharp(bytes, options);
  if (autoOrient) pipeline = pipeline.autoOrient();
  // libvips resizes while it decodes: the full-resolution raster never exists. fastShrinkOnLoad
  // false: libjpeg's DCT scaling leaves at least a factor of two to the kernel (closer to the
  // SDK's own antialiased resampling; see docs/sensors.md).
  if (size)
    pipeline = pipeline.resize(size.width, size.height, {
      fit: 'fill',
      kernel: sharpKernel(reduce?.interpolation ?? 'bilinear'),
      fastShrinkOnLoad: false,
    });
  // libvips outputs sRGB(A); ask for 16-bit RGB explicitly so 16-bit data keeps its depth. Grey
  // sources come back as three equal bands, of which only the first is kept.
  pipeline = pipeline.toColourspace(sixteen ? 'rgb16' : 'srgb');
  return pipeline.raw(sixteen ? { depth: 'ushort' } : {}).toBuffer({ resolveWithObject: true });
}

/**
 * Whether and to what size libvips resizes while decoding: to the consumer's target, when the
 * request says always (and the image has no alpha, whose mask would blur) or when the frame would
 * be over the limits at full resolution; otherwise undefined (full resolution).
 */
function planReduction(
  meta: Metadata,
  autoOrient: boolean,
  reduce: ReduceRequest,
  limits: DecodeLimits,
  memory: { bands: number; bytesPerSample: number; copies: number; encodedBytes: number },
): { reduction: Reduction; width: number; height: number } | undefined {
  const swap = autoOrient && (meta.orientation ?? 1) >= 5;
  const sourceWidth = (swap ? meta.height : meta.width) ?? 0;
  const sourceHeight = (swap ? meta.width : meta.height) ?? 0;
  const fits = fitsLimits({ width: sourceWidth, height: sourceHeight, ...memory }, limits);
  if (!(reduce.always && !meta.hasAlpha) && fits) return undefined;
  const target = reduce.target(sourceWidth, sourceHeight);
  // Never enlarge: a frame already at or below the target is decoded as it is.
  if (target.width >= sourceWidth && target.height >= sourceHeight) return undefined;
  const width = Math.min(target.width, sourceWidth);
  const height = Math.min(target.height, sourceHeight);
  return {
    reduction: {
      sourceWidth,
      sourceHeight,
      scaleX: sourceWidth / width,
      scaleY: sourceHeight / height,
      method: 'decoder-resize',
    },
    width,
    height,
  };
}
