/**
 * Size limits checked from headers BEFORE any pixel buffer is allocated, so a decompression bomb
 * (a few kilobytes claiming gigapixels) is refused instead of exhausting the device's memory.
 */
import { expectInteger, is, invalidOption, rejectUnknownKeys } from '../core/validate.js';
import { frameError, type FrameRef } from './frame.js';

/** Limits on what a frame may claim to be. */
export interface DecodeLimits {
  /** Largest width × height (default 100 000 000 pixels). */
  maxPixels: number;
  /** Largest width or height alone (default 65 535). */
  maxSide: number;
  /** Most bands a frame may have (default 64). */
  maxBands: number;
  /** Largest decoded size in bytes, all bands (default 1 GiB). */
  maxDecodedBytes: number;
  /** Largest encoded file read from a path (default 1 GiB). */
  maxFileBytes: number;
}

/** Defaults sized for an edge device with a few GiB of shared memory. */
export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxPixels: 100_000_000,
  maxSide: 65_535,
  maxBands: 64,
  maxDecodedBytes: 1024 * 1024 * 1024,
  maxFileBytes: 1024 * 1024 * 1024,
});

const KEYS = ['maxPixels', 'maxSide', 'maxBands', 'maxDecodedBytes', 'maxFileBytes'] as const;

/**
 * Resolves user limits over the defaults.
 * @throws EdgeError E_INVALID_ARGUMENT for unknown keys or non-positive values
 */
export function resolveLimits(limits: unknown, name = 'options.limits'): DecodeLimits {
  if (limits === undefined) return { ...DEFAULT_DECODE_LIMITS };
  if (!is.object(limits)) throw invalidOption(name, 'an object', limits);
  rejectUnknownKeys(name, limits, KEYS);
  const out: DecodeLimits = { ...DEFAULT_DECODE_LIMITS };
  for (const key of KEYS) {
    if (limits[key] !== undefined) out[key] = expectInteger(`${name}.${key}`, limits[key], 1);
  }
  return out;
}

/**
 * Refuses dimensions outside the limits. Call with header values, before allocating.
 * @param bytesPerSample bytes of one sample of one band (complex: both parts)
 * @throws EdgeError E_FRAME_INVALID naming the frame and the limit exceeded
 */
export function checkDimensions(ref: FrameRef, width: number, height: number, bands: number, bytesPerSample: number, limits: DecodeLimits): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw frameError('E_FRAME_INVALID', ref, `image has zero or invalid dimensions ${width}×${height}`);
  }
  if (!Number.isInteger(bands) || bands < 1) throw frameError('E_FRAME_INVALID', ref, `image has ${bands} bands`);
  if (width > limits.maxSide || height > limits.maxSide) {
    throw frameError('E_FRAME_INVALID', ref, `image is ${width}×${height}, over the ${limits.maxSide}-pixel side limit`, { hint: 'raise limits.maxSide if this size is expected' });
  }
  const pixels = width * height;
  if (pixels > limits.maxPixels) {
    throw frameError('E_FRAME_INVALID', ref, `image is ${width}×${height} = ${pixels} pixels, over the ${limits.maxPixels}-pixel limit`, { hint: 'raise limits.maxPixels if this size is expected' });
  }
  if (bands > limits.maxBands) {
    throw frameError('E_FRAME_INVALID', ref, `image has ${bands} bands, over the ${limits.maxBands}-band limit`);
  }
  const bytes = pixels * bands * bytesPerSample;
  if (bytes > limits.maxDecodedBytes) {
    throw frameError('E_FRAME_INVALID', ref, `decoding would need ${bytes} bytes, over the ${limits.maxDecodedBytes}-byte limit`, { hint: 'raise limits.maxDecodedBytes if this size is expected' });
  }
}
