/**
 * Size limits checked from headers BEFORE any pixel buffer is allocated, so a decompression bomb
 * (a few kilobytes claiming gigapixels) is refused instead of exhausting the device's memory.
 *
 * Pixel counts alone do not bound memory: a frame also costs its encoded bytes, the decoder's copies
 * and the float32 planes preprocessing derives from it. {@link checkWorkingMemory} estimates that sum
 * from the header and refuses frames whose estimate exceeds `maxWorkingBytes`. The defaults are sized
 * for an 8 GB Jetson Orin Nano, whose memory the CPU shares with the GPU (model weights, TensorRT or
 * ONNX Runtime arenas): one frame may take at most 768 MiB while it is preprocessed.
 */
import { expectInteger, is, invalidOption, rejectUnknownKeys } from '../../core/validate.js';
import { frameError, type FrameRef } from '../frame.js';

/** Limits on what a frame may claim to be. */
export interface DecodeLimits {
  /** Largest width × height (default 100 000 000 pixels). */
  maxPixels: number;
  /** Largest width or height alone (default 65 535). */
  maxSide: number;
  /** Most bands a frame may have (default 64). */
  maxBands: number;
  /** Largest decoded size in bytes, all bands, in the file's sample type (default 256 MiB). */
  maxDecodedBytes: number;
  /** Largest encoded file read from a path (default 256 MiB). */
  maxFileBytes: number;
  /**
   * Most memory one frame may take while decoded and preprocessed, estimated from the header:
   * encoded bytes + the decoder's copies of the raster + float32 working planes (two per band, two
   * per frame). Default 768 MiB.
   */
  maxWorkingBytes: number;
  /** Most tiles or strips a TIFF may declare, all planes (default 131 072). */
  maxBlocks: number;
}

/** Defaults sized for an edge device with a few GiB of shared memory. */
export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxPixels: 100_000_000,
  maxSide: 65_535,
  maxBands: 64,
  maxDecodedBytes: 256 * 1024 * 1024,
  maxFileBytes: 256 * 1024 * 1024,
  maxWorkingBytes: 768 * 1024 * 1024,
  maxBlocks: 131_072,
});

const KEYS = [
  'maxPixels',
  'maxSide',
  'maxBands',
  'maxDecodedBytes',
  'maxFileBytes',
  'maxWorkingBytes',
  'maxBlocks',
] as const;

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
export function checkDimensions(
  ref: FrameRef,
  width: number,
  height: number,
  bands: number,
  bytesPerSample: number,
  limits: DecodeLimits,
  { decodedBytes = true }: { decodedBytes?: boolean } = {},
): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw frameError('E_FRAME_INVALID', ref, `image has zero or invalid dimensions ${width}×${height}`);
  }
  if (!Number.isInteger(bands) || bands < 1) throw frameError('E_FRAME_INVALID', ref, `image has ${bands} bands`);
  if (width > limits.maxSide || height > limits.maxSide) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `image is ${width}×${height}, over the ${limits.maxSide}-pixel side limit`,
      { hint: 'raise limits.maxSide if this size is expected' },
    );
  }
  const pixels = width * height;
  if (pixels > limits.maxPixels) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `image is ${width}×${height} = ${pixels} pixels, over the ${limits.maxPixels}-pixel limit`,
      { hint: 'raise limits.maxPixels if this size is expected' },
    );
  }
  if (bands > limits.maxBands) {
    throw frameError('E_FRAME_INVALID', ref, `image has ${bands} bands, over the ${limits.maxBands}-band limit`);
  }
  // A decoder that may decode below the declared size checks the decoded size itself.
  if (decodedBytes) checkDecodedBytes(ref, pixels * bands * bytesPerSample, limits);
}

/**
 * Refuses a decoded raster of more than `limits.maxDecodedBytes`.
 * @throws EdgeError E_FRAME_INVALID naming the frame and the limit
 */
export function checkDecodedBytes(ref: FrameRef, bytes: number, limits: DecodeLimits): void {
  if (bytes > limits.maxDecodedBytes) {
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `decoding would need ${bytes} bytes, over the ${limits.maxDecodedBytes}-byte limit`,
      { hint: 'raise limits.maxDecodedBytes if this size is expected' },
    );
  }
}

/** What a decoder will hold for one frame, from its header. */
export interface WorkingMemory {
  width: number;
  height: number;
  /** Bands the raster will have (complex bands count once). */
  bands: number;
  /** Bytes of one sample of one band (complex: both parts). */
  bytesPerSample: number;
  /** Copies of the raster the decoder holds at once (sharp: its buffer and the planes). */
  copies: number;
  /** Encoded bytes held while decoding. */
  encodedBytes: number;
  /** Extra bytes per pixel (palette expansion to RGB). */
  extraPerPixel?: number;
  /** Complex samples: each band becomes two float32 planes. */
  complex?: boolean;
}

/**
 * Float32 planes preprocessing holds at its peak: two per band (scaled, then normalised) and two
 * more for the frame (conversions, statistics). Measured: a 6000×6000 SAR-L2 frame peaks at 560 MiB
 * (estimate 584 MiB), a 4000×3000 RGB PNG at 357 MiB (estimate 469 MiB).
 */
const FLOAT_PLANES_PER_BAND = 2;
const FLOAT_PLANES_PER_FRAME = 2;

/**
 * The estimated peak memory of decoding and preprocessing a frame, in bytes.
 * @example
 * estimateWorkingBytes({ width: 4000, height: 3000, bands: 3, bytesPerSample: 1, copies: 2, encodedBytes: 2e6 }); // ≈ 458 MB
 */
export function estimateWorkingBytes(m: WorkingMemory): number {
  const pixels = m.width * m.height;
  const floats = pixels * 4 * (m.bands * (m.complex ? 2 : 1) * FLOAT_PLANES_PER_BAND + FLOAT_PLANES_PER_FRAME);
  return m.encodedBytes + pixels * m.bands * m.bytesPerSample * m.copies + pixels * (m.extraPerPixel ?? 0) + floats;
}

/** True when a frame of this shape fits both the working-memory budget and the decoded-size limit. */
export function fitsLimits(m: WorkingMemory, limits: DecodeLimits): boolean {
  return (
    estimateWorkingBytes(m) <= limits.maxWorkingBytes &&
    m.width * m.height * m.bands * m.bytesPerSample <= limits.maxDecodedBytes
  );
}

/**
 * Refuses a frame whose estimated working memory is over `limits.maxWorkingBytes`. Call with
 * header values, before allocating.
 * @throws EdgeError E_FRAME_INVALID naming the frame, the estimate and the limit
 */
export function checkWorkingMemory(ref: FrameRef, m: WorkingMemory, limits: DecodeLimits): void {
  const bytes = estimateWorkingBytes(m);
  if (bytes > limits.maxWorkingBytes) {
    const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `decoding and preprocessing this ${m.width}×${m.height}×${m.bands} frame would take about ${mib(bytes)}, over the ${mib(limits.maxWorkingBytes)} memory budget`,
      {
        hint: 'raise limits.maxWorkingBytes if the device has the memory, or send smaller frames',
      },
    );
  }
}
