/**
 * Options of frame preprocessing: written form (what callers pass) → resolved form (every default
 * filled in, every value checked once at the edge).
 */
import { expectInteger, expectNumber, expectOneOf, invalidOption, is, rejectUnknownKeys } from '../../core/validate.js';
import { resolveLimits, type DecodeLimits } from '../codecs/limits.js';
import type { Interpolation } from '../geometry/resample.js';
import { checkNormalisation, type ChannelNormalisation } from '../radiometry/normalisation.js';
import type { SarL1ChannelScaling, SarL1Power } from '../radiometry/sar-l1.js';
import { STRETCH_METHODS, type StretchMethod } from '../radiometry/stretch.js';

/** How a frame is fitted to the model's fixed input size. */
export type FitMode = 'resize' | 'resize-crop' | 'tile';

/** Options of `preprocessFrame`. */
export interface PreprocessOptions {
  /** Model input size (`manifest.model.inputSize`): a number for square inputs or { width, height }. */
  inputSize: number | { width: number; height: number };
  /**
   * `resize` (default): the whole frame resampled to the input size (aspect not kept);
   * `resize-crop`: resized so the input is a centred `cropRatio` crop, aspect kept (the classifier's
   * Resize 256 → CenterCrop 224); `tile`: native resolution, tiles with overlap.
   */
  fit?: FitMode;
  /** resize-crop: input side / resized side (default 224/256 = 0.875). */
  cropRatio?: number;
  /** Resampling kernel for resize modes (default `bilinear`, antialiased when shrinking). */
  interpolation?: Interpolation;
  /** tile: pixels shared by neighbouring tiles (default a quarter of the smaller input side). */
  overlap?: number;
  /** tile: tiles per batch (default 8). */
  batchSize?: number;
  /**
   * Where percentile statistics come from: `tile` (default; each model input on its own, as the
   * pre-training tiles were) or `frame` (one set for the whole frame; seamless mosaics).
   */
  statistics?: 'tile' | 'frame';
  /**
   * Multispectral / SAR-L2 stretch to 8 bit (default `released`, see stretch.ts): `released` or
   * `precise` percentile stretch per region, or `none` (values after the sensor's scale/offset
   * taken as 8-bit units and clipped to 0..255; for models trained on absolute radiometry).
   */
  stretch?: StretchMethod;
  /** SAR-L1 channel scaling (default `span-clip`). */
  sarL1Scaling?: SarL1ChannelScaling;
  /** SAR-L1: prepend the normalised power as channel 0 (default `none`). */
  sarL1Power?: SarL1Power;
  /** Fraction of no-data pixels that flags a frame or tile (default: the sensor's, else 0.15). */
  noDataLimit?: number;
  /**
   * Per-channel `(v − mean) / std` after the stretch, one value per model channel in 8-bit units
   * (default: RingMoE pre-training's ImageNet statistics; see radiometry.ts). Not for SAR-L1.
   */
  normalise?: ChannelNormalisation;
  /** Decode limits (see DecodeLimits). */
  limits?: Partial<DecodeLimits>;
}

/** Options with every default filled in. */
export interface ResolvedPreprocessOptions {
  width: number;
  height: number;
  fit: FitMode;
  cropRatio: number;
  interpolation: Interpolation;
  overlap: number;
  batchSize: number;
  statistics: 'tile' | 'frame';
  stretch: StretchMethod;
  sarL1Scaling: SarL1ChannelScaling;
  sarL1Power: SarL1Power;
  noDataLimit?: number;
  normalise?: ChannelNormalisation;
  limits: DecodeLimits;
}

const KEYS = [
  'inputSize',
  'fit',
  'cropRatio',
  'interpolation',
  'overlap',
  'batchSize',
  'statistics',
  'stretch',
  'sarL1Scaling',
  'sarL1Power',
  'noDataLimit',
  'normalise',
  'limits',
];

/**
 * Checks and completes preprocessing options.
 * @throws EdgeError E_INVALID_ARGUMENT naming the option
 */
export function resolvePreprocessOptions(options: unknown): ResolvedPreprocessOptions {
  if (!is.object(options)) throw invalidOption('options', 'an object with at least inputSize', options);
  rejectUnknownKeys('options', options, KEYS);
  const size = options.inputSize;
  let width: number;
  let height: number;
  if (typeof size === 'number') {
    width = height = expectInteger('options.inputSize', size, 1, 16384);
  } else if (is.object(size)) {
    width = expectInteger('options.inputSize.width', size.width, 1, 16384);
    height = expectInteger('options.inputSize.height', size.height, 1, 16384);
  } else {
    throw invalidOption('options.inputSize', 'a positive integer or { width, height }', size);
  }
  const fit = expectOneOf('options.fit', options.fit ?? 'resize', ['resize', 'resize-crop', 'tile'] as const);
  const overlapDefault = Math.floor(Math.min(width, height) / 4);
  const overlap =
    options.overlap === undefined
      ? overlapDefault
      : expectInteger('options.overlap', options.overlap, 0, Math.min(width, height) - 1);
  return {
    width,
    height,
    fit,
    cropRatio:
      options.cropRatio === undefined ? 224 / 256 : expectNumber('options.cropRatio', options.cropRatio, 0.05, 1),
    interpolation: expectOneOf('options.interpolation', options.interpolation ?? 'bilinear', [
      'nearest',
      'bilinear',
      'bicubic',
    ] as const),
    overlap,
    batchSize: options.batchSize === undefined ? 8 : expectInteger('options.batchSize', options.batchSize, 1, 4096),
    statistics: expectOneOf('options.statistics', options.statistics ?? 'tile', ['tile', 'frame'] as const),
    stretch: expectOneOf('options.stretch', options.stretch ?? 'released', STRETCH_METHODS),
    sarL1Scaling: expectOneOf('options.sarL1Scaling', options.sarL1Scaling ?? 'span-clip', [
      'span-clip',
      'raw',
    ] as const),
    sarL1Power: expectOneOf('options.sarL1Power', options.sarL1Power ?? 'none', ['none', 'prepend'] as const),
    ...(options.noDataLimit !== undefined
      ? { noDataLimit: expectNumber('options.noDataLimit', options.noDataLimit, 0, 1) }
      : {}),
    ...(options.normalise !== undefined
      ? { normalise: checkNormalisation('options.normalise', options.normalise) }
      : {}),
    limits: resolveLimits(options.limits),
  };
}
