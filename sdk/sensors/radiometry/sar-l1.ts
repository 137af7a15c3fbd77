/**
 * SAR-L1 (complex quad-pol) model input: 8 channels (re, im of HH, HV, VH, VV) and the total power
 * P = |HH|² + |HV|² + |VH|² + |VV|² (the span).
 *
 * What the sources say: pre-training clipped P to ≤ 1 and min-max normalised it per tile, and applied
 * no mean/std to SAR-L1; the released loader fed the 8 channels unscaled, with P prepended as a ninth
 * channel, while the released patch embedding takes 8. Our channel scaling (`span-clip`, default) is
 * the one consistent with that clip: a pixel whose span exceeds 1 has its whole scattering vector
 * scaled by 1/√P so its span becomes exactly 1 — the polarimetric ratios and phases are kept and every
 * channel lies in [-1, 1]; pixels with P ≤ 1 (all of them in calibrated σ⁰ data except bright point
 * targets) pass unchanged, exactly as in pre-training. `raw` passes the calibrated values untouched.
 */
import type { Region } from './percentile.js';

/** How the 8 complex channels are scaled. */
export type SarL1ChannelScaling = 'span-clip' | 'raw';
/** Whether the normalised power P is prepended as channel 0 (9 channels, as the released loader did). */
export type SarL1Power = 'none' | 'prepend';

/** Provenance of one region's SAR-L1 scaling. */
export interface SarL1Info {
  scaling: SarL1ChannelScaling;
  /** Smallest and largest span of valid pixels before clipping. */
  spanMin: number;
  spanMax: number;
  /** Valid pixels whose span was above 1. */
  clippedPixels: number;
  validPixels: number;
}

/**
 * Builds the SAR-L1 channels of `region` from 8 planes (re/im pairs) of row stride `stride`.
 * @returns region-sized planes: 8 (or 9 with P first) and the scaling provenance
 */
export function sarL1Region(
  planes: Float32Array[],
  stride: number,
  region: Region,
  mask: Uint8Array | undefined,
  scaling: SarL1ChannelScaling,
  power: SarL1Power,
): { out: Float32Array[]; info: SarL1Info } {
  const size = region.width * region.height;
  const { x: rx, y: ry, width: rw, height: rh } = region;
  const chans = planes.map(() => new Float32Array(size));
  const span = new Float64Array(size);
  const validMask = new Uint8Array(size);
  // Channel-major passes: one plane at a time keeps the loops monomorphic and cache-friendly.
  for (let y = 0, d = 0; y < rh; y++) {
    const row = (ry + y) * stride + rx;
    for (let x = 0; x < rw; x++, d++) if (!(mask && mask[row + x])) validMask[d] = 1;
  }
  for (const p of planes) {
    for (let y = 0, d = 0; y < rh; y++) {
      const row = (ry + y) * stride + rx;
      for (let x = 0; x < rw; x++, d++) {
        const v = p[row + x]!;
        span[d]! += v * v;
      }
    }
  }
  let spanMin = Infinity;
  let spanMax = -Infinity;
  let clipped = 0;
  let valid = 0;
  const k = new Float32Array(size);
  for (let d = 0; d < size; d++) {
    if (!validMask[d]) continue;
    const p = span[d]!;
    valid++;
    if (p < spanMin) spanMin = p;
    if (p > spanMax) spanMax = p;
    if (p > 1) clipped++;
    k[d] = scaling === 'span-clip' && p > 1 ? 1 / Math.sqrt(p) : 1;
    span[d] = p > 1 ? 1 : p;
  }
  planes.forEach((p, c) => {
    const o = chans[c]!;
    for (let y = 0, d = 0; y < rh; y++) {
      const row = (ry + y) * stride + rx;
      for (let x = 0; x < rw; x++, d++) o[d] = p[row + x]! * k[d]!; // k is 0 at no-data pixels
    }
  });
  const info: SarL1Info = {
    scaling,
    spanMin: valid ? spanMin : 0,
    spanMax: valid ? spanMax : 0,
    clippedPixels: clipped,
    validPixels: valid,
  };
  if (power === 'none') return { out: chans, info };
  // P clipped to ≤ 1, then min-max normalised over the valid pixels of the region.
  const lo = Math.min(spanMin, 1);
  const hi = Math.min(spanMax, 1);
  const range = hi - lo;
  const normalised = new Float32Array(size);
  for (let i = 0; i < size; i++) normalised[i] = validMask[i] && range > 0 ? (span[i]! - lo) / range : 0;
  return { out: [normalised, ...chans], info };
}

/**
 * Total power (span) of 8 re/im planes, per pixel.
 * @example
 * const span = totalPower(eightPlanes);
 */
export function totalPower(planes: Float32Array[]): Float32Array {
  const n = planes[0]?.length ?? 0;
  const out = new Float32Array(n);
  for (const p of planes) for (let i = 0; i < n; i++) out[i]! += p[i]! * p[i]!;
  return out;
}
