/**
 * The 0.1 % / 99.9 % percentile stretch to 8 bit that multispectral and SAR-L2 tiles went through
 * before RingMoE pre-training, in two forms:
 *
 * - `released` (default) reproduces the released cutting script step by step: all bands of the region
 *   are min-max scaled together to 0..255 and rounded (OpenCV NORM_MINMAX into 8 bit, round half to
 *   even); then per band a 256-bin histogram gives the first bins whose cumulative count exceeds 0.1 %
 *   and 99.9 % of the pixels; values are clipped to those bins and stretched with
 *   ⌊(q - low) · (255 / (high - low))⌋. A band whose two bins coincide becomes 0.
 * - `precise` is the stretch as described in words: per band exact 0.1 / 99.9 percentiles of the
 *   source values (linear interpolation), clip, linear map to 0..255 without quantisation.
 *
 * Both skip no-data pixels (the released script counted them; masking them out is deliberate).
 *
 * `none` applies no per-region statistics: the values (after the sensor's scale/offset) are taken as
 * 8-bit units and clipped to 0..255. A model trained on absolute radiometry (for example 8-bit
 * Landsat MSS digital numbers) needs this: a per-tile stretch would map every tile to the full
 * range and erase the brightness it learned from.
 */
import { percentilesInPlace, validSamples, type Region } from './percentile.js';

/** Which stretch to apply. */
export type StretchMethod = 'released' | 'precise' | 'none';

/** Every stretch method, for validation. */
export const STRETCH_METHODS: readonly StretchMethod[] = ['released', 'precise', 'none'];

/** Stretch parameters of one band, for provenance. */
export interface BandStretch {
  /** released: lower histogram bin (0..255 of the jointly scaled values); precise: lower percentile in source units; none: 0. */
  low: number;
  /** released: upper histogram bin; precise: upper percentile in source units; none: 255. */
  high: number;
}

/** Provenance of one region's stretch. */
export interface StretchInfo {
  method: StretchMethod;
  /** released: joint minimum and maximum of all bands (source units). */
  min?: number;
  max?: number;
  bands: BandStretch[];
  /** Valid pixels the statistics were computed from. */
  validPixels: number;
}

/** Lower and upper percentiles of the stretch. */
export const STRETCH_PERCENTILES: readonly [number, number] = [0.1, 99.9];

/**
 * Stretches `planes` (row stride `stride`) inside `region` to the 8-bit domain.
 * @returns region-sized planes with values in [0, 255] (0 at masked pixels) and the parameters used
 */
export function stretchRegion(
  planes: Float32Array[],
  stride: number,
  region: Region,
  mask: Uint8Array | undefined,
  method: StretchMethod,
): { out: Float32Array[]; info: StretchInfo } {
  if (method === 'none') return clipRegion(planes, stride, region, mask);
  return method === 'released'
    ? stretchReleased(planes, stride, region, mask)
    : stretchPrecise(planes, stride, region, mask);
}

/** `none`: values as 8-bit units, clipped to 0..255 (NaN → 0), no statistics. */
function clipRegion(
  planes: Float32Array[],
  stride: number,
  region: Region,
  mask: Uint8Array | undefined,
): { out: Float32Array[]; info: StretchInfo } {
  const size = region.width * region.height;
  let validPixels = 0;
  const out = planes.map((p, b) => {
    const o = new Float32Array(size);
    for (let y = 0, d = 0; y < region.height; y++) {
      const row = (region.y + y) * stride + region.x;
      for (let x = 0; x < region.width; x++, d++) {
        if (mask && mask[row + x]) continue;
        if (b === 0) validPixels++;
        const v = p[row + x]!;
        o[d] = v > 0 ? (v < 255 ? v : 255) : 0; // NaN fails v > 0 and becomes 0
      }
    }
    return o;
  });
  return { out, info: { method: 'none', bands: planes.map(() => ({ low: 0, high: 255 })), validPixels } };
}

function stretchReleased(
  planes: Float32Array[],
  stride: number,
  region: Region,
  mask: Uint8Array | undefined,
): { out: Float32Array[]; info: StretchInfo } {
  const { x: rx, y: ry, width: rw, height: rh } = region;
  const size = rw * rh;
  // Valid pixels of the region as source indices, in region order (dst = position in region). A
  // whole-width region without a mask needs no index lists: pixel k is source pixel base + k.
  const contiguous = !mask && rx === 0 && rw === stride;
  const base = ry * stride;
  const src = contiguous ? new Int32Array(0) : new Int32Array(size);
  const dst = contiguous ? new Int32Array(0) : new Int32Array(size);
  let valid = contiguous ? size : 0;
  for (let y = 0, d = 0; y < rh && !contiguous; y++) {
    const row = (ry + y) * stride + rx;
    for (let x = 0; x < rw; x++, d++) {
      if (mask && mask[row + x]) continue;
      src[valid] = row + x;
      dst[valid] = d;
      valid++;
    }
  }
  const out = planes.map(() => new Float32Array(size));
  if (valid === 0)
    return { out, info: { method: 'released', bands: planes.map(() => ({ low: 0, high: 0 })), validPixels: 0 } };
  let min = Infinity;
  let max = -Infinity;
  for (const p of planes) {
    for (let k = 0; k < valid; k++) {
      const v = p[contiguous ? base + k : src[k]!]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const { scale, shift } = minMaxScale(min, max);
  const q = new Uint8Array(valid);
  const hist = new Uint32Array(256);
  const bands: BandStretch[] = [];
  for (let b = 0; b < planes.length; b++) {
    const p = planes[b]!;
    hist.fill(0);
    for (let k = 0; k < valid; k++) {
      const v = quantiseByte(p[contiguous ? base + k : src[k]!]! * scale + shift);
      q[k] = v;
      hist[v]!++;
    }
    const { low, high } = histogramBounds(hist, valid);
    bands.push({ low, high });
    if (high === low) continue; // the released script leaves such a band at 0
    const ratio = 255.0 / (high - low);
    const o = out[b]!;
    for (let k = 0; k < valid; k++) {
      const v = q[k]!;
      o[contiguous ? k : dst[k]!] = Math.trunc(((v < low ? low : v > high ? high : v) - low) * ratio);
    }
  }
  return { out, info: { method: 'released', min, max, bands, validPixels: valid } };
}

/**
 * cv2.normalize(NORM_MINMAX, CV_8U) of values in [min, max]: dst = saturate(src·scale + shift) with
 * scale = 255·(1/(max − min)), 0 for a flat region.
 */
export function minMaxScale(min: number, max: number): { scale: number; shift: number } {
  const scale = max - min > Number.EPSILON ? 255 * (1 / (max - min)) : 0;
  return { scale, shift: -min * scale };
}

/**
 * cv2.normalize's conversion of one scaled value to 8 bit: round half to even (cvRound), then
 * saturate to 0..255.
 */
export function quantiseByte(x: number): number {
  let r = Math.round(x);
  if (r - x === 0.5 && (r & 1) !== 0) r -= 1;
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/** The first bins whose cumulative count exceeds 0.1 % and 99.9 % of `valid` pixels. */
export function histogramBounds(hist: Uint32Array, valid: number): { low: number; high: number } {
  const smallCum = 0.001 * valid;
  const highCum = valid - smallCum;
  let cum = 0;
  let low = -1;
  let high = -1;
  for (let i = 0; i < 256; i++) {
    cum += hist[i]!;
    if (low < 0 && cum > smallCum) low = i;
    if (high < 0 && cum > highCum) {
      high = i;
      break;
    }
  }
  return { low, high: high < 0 ? 255 : high };
}

function stretchPrecise(
  planes: Float32Array[],
  stride: number,
  region: Region,
  mask: Uint8Array | undefined,
): { out: Float32Array[]; info: StretchInfo } {
  const size = region.width * region.height;
  const bands: BandStretch[] = [];
  let validPixels = 0;
  const out = planes.map((p) => {
    const values = validSamples(p, stride, region, mask);
    validPixels = values.length;
    const [low, high] = percentilesInPlace(values, STRETCH_PERCENTILES) as [number, number];
    bands.push({ low, high });
    const o = new Float32Array(size);
    if (!(high > low)) return o;
    const k = 255 / (high - low);
    for (let y = 0, d = 0; y < region.height; y++) {
      const row = (region.y + y) * stride + region.x;
      for (let x = 0; x < region.width; x++, d++) {
        if (mask && mask[row + x]) continue;
        const v = (p[row + x]! - low) * k;
        o[d] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
    return o;
  });
  return { out, info: { method: 'precise', bands, validPixels } };
}
