/**
 * Per-modality radiometric normalisation as RingMoE was pre-trained:
 * - optical: 8-bit RGB, (v − mean) / std with ImageNet mean/std × 255;
 * - multispectral: percentile stretch to 8 bit (stretch.ts; or `none`: values clipped to 0..255 as
 *   they are), then mean (0.485, 0.456, 0.406, 0.406)·255 and std (0.229, 0.224, 0.225, 0.225)·255;
 * - sar-l2: the one amplitude band stretched like multispectral, replicated to 3 channels, ImageNet
 *   mean/std;
 * - sar-l1: 8 complex channels (sar-l1.ts), no mean/std.
 * No-data pixels are 0 in the 8-bit domain (as empty SAR pixels were in pre-training). A package
 * may declare its own per-channel mean/std instead of the ImageNet values (normalisation.ts).
 */
import { EdgeError } from '../../core/errors.js';
import type { ModalityId } from '../../core/modalities.js';
import { channelStatistics, type ChannelNormalisation } from './normalisation.js';
import type { Region } from './percentile.js';
import { sarL1Region, type SarL1ChannelScaling, type SarL1Info, type SarL1Power } from './sar-l1.js';
import type { IntegerSensorBands } from '../bands/integer-bands.js';
import type { SensorBands } from '../bands/sensor-bands.js';
import { stretchRegion, type StretchInfo, type StretchMethod } from './stretch.js';
import { stretchIntegerRegion } from './stretch-integer.js';

/** ImageNet mean × 255 (R, G, B). */
export const IMAGENET_MEAN_255: readonly number[] = [0.485 * 255, 0.456 * 255, 0.406 * 255];
/** ImageNet std × 255 (R, G, B). */
export const IMAGENET_STD_255: readonly number[] = [0.229 * 255, 0.224 * 255, 0.225 * 255];
/** Multispectral mean × 255 used in pre-training (the ImageNet values with the last repeated). */
export const MULTISPECTRAL_MEAN_255: readonly number[] = [0.485 * 255, 0.456 * 255, 0.406 * 255, 0.406 * 255];
/** Multispectral std × 255 used in pre-training. */
export const MULTISPECTRAL_STD_255: readonly number[] = [0.229 * 255, 0.224 * 255, 0.225 * 255, 0.225 * 255];

/** Radiometry choices. */
export interface RadiometryOptions {
  stretch: StretchMethod;
  sarL1Scaling: SarL1ChannelScaling;
  sarL1Power: SarL1Power;
  /** Declared per-channel mean/std replacing the defaults below (optical, multispectral, SAR-L2). */
  normalise?: ChannelNormalisation;
}

/** What was done to one region. */
export interface RegionRadiometry {
  stretch?: StretchInfo;
  sarL1?: SarL1Info;
}

/** Model channels a modality produces with these options. */
export function channelsFor(modality: ModalityId, options: Pick<RadiometryOptions, 'sarL1Power'>): number {
  if (modality === 'multispectral') return 4;
  if (modality === 'sar-l1') return options.sarL1Power === 'prepend' ? 9 : 8;
  return 3;
}

/**
 * Normalises `region` of the selected bands into model units.
 * @returns CHW Float32Array of `channels × region.height × region.width` and provenance
 */
export function normaliseRegion(
  bands: SensorBands | IntegerSensorBands,
  modality: ModalityId,
  region: Region,
  options: RadiometryOptions,
): { data: Float32Array; channels: number; info: RegionRadiometry } {
  refuseSarL1Normalise(modality, options);
  const size = region.width * region.height;
  const stride = bands.width;
  if (modality === 'sar-l1') {
    const { out, info } = sarL1Of(bands, region, options);
    return { data: concat(out, size), channels: out.length, info: { sarL1: info } };
  }
  if (modality === 'optical') {
    const data = new Float32Array(3 * size);
    const stats = channelStatistics(options.normalise, 3, modality, { mean: IMAGENET_MEAN_255, std: IMAGENET_STD_255 });
    const planes = floatPlanes(bands);
    for (let c = 0; c < 3; c++) {
      const p = planes[c]!;
      const mean = stats.mean[c]!;
      const std = stats.std[c]!;
      for (let y = 0, dst = c * size; y < region.height; y++) {
        const row = (region.y + y) * stride + region.x;
        for (let x = 0; x < region.width; x++, dst++) {
          // Masked pixels are already 0 (sensor-bands zeroes them).
          const v = p[row + x]!;
          data[dst] = ((v < 0 ? 0 : v > 255 ? 255 : v) - mean) / std;
        }
      }
    }
    return { data, channels: 3, info: {} };
  }
  const { out, info } = stretchBands(bands, region, options.stretch);
  const { planes, channel, affine } = stretchedBeforeAffine(out, info, modality, options);
  return { data: applyAffine(planes, channel, affine, size), channels: channel.length, info: { stretch: info } };
}

/**
 * A region in the 8-bit domain, before the per-channel mean/std: what a resize resamples, because
 * resampling (weights summing to 1) and the affine `(v − mean) / std` commute, so the affine can be
 * applied once at the model's size instead of at the source's. `channel[c]` names the plane that
 * feeds model channel c (SAR-L2 feeds its one plane to three). SAR-L1 planes are final (no affine).
 */
export interface RegionBeforeAffine {
  /** Float planes, or 8-bit planes where the stretch of integer samples made them (same values). */
  planes: (Float32Array | Uint8Array)[];
  channel: number[];
  affine?: { mean: readonly number[]; std: readonly number[] };
  info: RegionRadiometry;
}

/**
 * The region of the selected bands in the 8-bit domain (optical clamped, multispectral / SAR-L2
 * stretched), or SAR-L1 scaled; {@link applyAffine} then gives what {@link normaliseRegion} gives.
 */
export function regionBeforeAffine(
  bands: SensorBands | IntegerSensorBands,
  modality: ModalityId,
  region: Region,
  options: RadiometryOptions,
): RegionBeforeAffine {
  refuseSarL1Normalise(modality, options);
  const stride = bands.width;
  if (modality === 'sar-l1') {
    const { out, info } = sarL1Of(bands, region, options);
    return { planes: out, channel: out.map((_, c) => c), info: { sarL1: info } };
  }
  if (modality === 'optical') {
    const size = region.width * region.height;
    const source = floatPlanes(bands);
    const planes = [0, 1, 2].map((c) => {
      const p = source[c]!;
      const out = new Float32Array(size);
      for (let y = 0, dst = 0; y < region.height; y++) {
        const row = (region.y + y) * stride + region.x;
        for (let x = 0; x < region.width; x++, dst++) {
          const v = p[row + x]!;
          out[dst] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      }
      return out;
    });
    return { planes, channel: [0, 1, 2], affine: opticalAffine(options), info: {} };
  }
  const { out, info } = stretchBands(bands, region, options.stretch);
  return stretchedBeforeAffine(out, info, modality, options);
}

/** The stretch of stretch.ts, by counting for integer bands (stretch-integer.ts: the same values). */
function stretchBands(
  bands: SensorBands | IntegerSensorBands,
  region: Region,
  method: StretchMethod,
): { out: (Float32Array | Uint8Array)[]; info: StretchInfo } {
  return 'integerPlanes' in bands
    ? stretchIntegerRegion(bands.integerPlanes, bands.width, region, bands.noDataMask, method)
    : stretchRegion(bands.planes, bands.width, region, bands.noDataMask, method);
}

/** SAR-L1's channels of a region (its bands are always float: complex samples). */
function sarL1Of(bands: SensorBands | IntegerSensorBands, region: Region, options: RadiometryOptions) {
  return sarL1Region(
    floatPlanes(bands),
    bands.width,
    region,
    bands.noDataMask,
    options.sarL1Scaling,
    options.sarL1Power,
  );
}

/** Float planes of optical and SAR-L1 bands (integer-bands.ts makes integer bands only for multispectral and SAR-L2). */
function floatPlanes(bands: SensorBands | IntegerSensorBands): Float32Array[] {
  if ('planes' in bands) return bands.planes;
  throw new EdgeError('E_INTERNAL', 'integer bands reached a radiometry that needs float planes');
}

/** Stretched multispectral or SAR-L2 planes with the channel map and mean/std of their modality. */
function stretchedBeforeAffine(
  out: (Float32Array | Uint8Array)[],
  info: StretchInfo,
  modality: ModalityId,
  options: Pick<RadiometryOptions, 'normalise'>,
): RegionBeforeAffine {
  const isSar = modality === 'sar-l2';
  const affine = channelStatistics(
    options.normalise,
    isSar ? 3 : 4,
    modality,
    isSar
      ? { mean: IMAGENET_MEAN_255, std: IMAGENET_STD_255 }
      : { mean: MULTISPECTRAL_MEAN_255, std: MULTISPECTRAL_STD_255 },
  );
  return {
    planes: isSar ? out.slice(0, 1) : out,
    channel: isSar ? [0, 0, 0] : [0, 1, 2, 3],
    affine,
    info: { stretch: info },
  };
}

/** Model channels in CHW order from planes of `size` pixels: `(v − mean) / std` where an affine is given. */
export function applyAffine(
  planes: (Float32Array | Uint8Array)[],
  channel: number[],
  affine: RegionBeforeAffine['affine'],
  size: number,
): Float32Array {
  const data = new Float32Array(channel.length * size);
  channel.forEach((p, c) => {
    const src = planes[p]!;
    if (!affine) return data.set(src, c * size);
    const m = affine.mean[c]!;
    const s = affine.std[c]!;
    for (let i = 0, dst = c * size; i < size; i++, dst++) data[dst] = (src[i]! - m) / s;
  });
  return data;
}

/** The affine of optical channels: the declared normalisation, else ImageNet's statistics. */
function opticalAffine(options: RadiometryOptions): { mean: readonly number[]; std: readonly number[] } {
  return channelStatistics(options.normalise, 3, 'optical', { mean: IMAGENET_MEAN_255, std: IMAGENET_STD_255 });
}

/**
 * An optical frame already at the input size, as {@link regionBeforeAffine} of the whole frame,
 * the resampling's copy and {@link applyAffine} give it, in one pass: each band clamped to 0–255,
 * −0 read as +0 (the copy), normalised. Undefined when a clamped sample is not finite (NaN): the
 * resampling filters those planes instead.
 */
export function opticalAtInputSize(bands: SensorBands, options: RadiometryOptions): Float32Array | undefined {
  const affine = opticalAffine(options);
  const size = bands.width * bands.height;
  const data = new Float32Array(3 * size);
  for (let c = 0; c < 3; c++) {
    const src = bands.planes[c]!;
    const m = affine.mean[c]!;
    const s = affine.std[c]!;
    for (let i = 0, dst = c * size; i < size; i++, dst++) {
      const v = src[i]!;
      const clamped = v < 0 ? 0 : v > 255 ? 255 : v;
      if (clamped - clamped !== 0) return undefined;
      data[dst] = (clamped + 0 - m) / s;
    }
  }
  return data;
}

/**
 * {@link applyAffine} of planes that resampling would copy whole (a frame already at the input
 * size): the copy's own work — −0 read as +0 — done while normalising, so the planes are not copied
 * first. Undefined when a sample is not finite: the resampling filters those planes instead.
 */
export function applyAffineToCopy(
  planes: (Float32Array | Uint8Array)[],
  channel: number[],
  affine: RegionBeforeAffine['affine'],
  size: number,
): Float32Array | undefined {
  const data = new Float32Array(channel.length * size);
  for (let c = 0; c < channel.length; c++) {
    const src = planes[channel[c]!]!;
    const m = affine ? affine.mean[c]! : 0;
    const s = affine ? affine.std[c]! : 1;
    for (let i = 0, dst = c * size; i < size; i++, dst++) {
      const v = src[i]!;
      if (v - v !== 0) return undefined; // NaN or ±∞
      data[dst] = affine ? (v + 0 - m) / s : v + 0;
    }
  }
  return data;
}

function refuseSarL1Normalise(modality: ModalityId, options: RadiometryOptions): void {
  if (modality === 'sar-l1' && options.normalise) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      'normalise does not apply to sar-l1 frames (their channels are scaled by sarL1Scaling)',
      { field: 'normalise' },
    );
  }
}

function concat(planes: Float32Array[], size: number): Float32Array {
  const out = new Float32Array(planes.length * size);
  planes.forEach((p, i) => out.set(p, i * size));
  return out;
}
