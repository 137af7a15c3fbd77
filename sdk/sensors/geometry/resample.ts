/**
 * Separable resampling of CHW float (or 8-bit) planes with an affine axis mapping, antialiased when shrinking
 * (the kernel widens by the scale factor, as in Pillow's resize). Works for any number of channels,
 * unlike libvips/sharp which is limited to a few bands.
 *
 * Axis mapping: output pixel u (corner coordinates) lies at source coordinate offset + u·scale; its
 * centre u + 0.5 at offset + (u + 0.5)·scale.
 */

/** Planes a resampler reads: float samples, or 8-bit ones (a stretch of integer samples makes these). */
export type ResampleSource = Float32Array | Uint8Array;

/** Interpolation kernels. */
export type Interpolation = 'nearest' | 'bilinear' | 'bicubic';

/** Mapping of one output axis onto the source axis. */
export interface AxisMap {
  /** Source pixels along the axis. */
  srcLen: number;
  /** Output pixels along the axis. */
  dstLen: number;
  /** Source coordinate of output coordinate 0. */
  offset: number;
  /** Source pixels per output pixel. */
  scale: number;
}

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  stride: number;
}

function kernel(kind: Interpolation): { support: number; fn: (x: number) => number } {
  if (kind === 'bicubic') {
    const a = -0.5;
    return {
      support: 2,
      fn: (x) => {
        const t = Math.abs(x);
        if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
        if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
        return 0;
      },
    };
  }
  return { support: 1, fn: (x) => Math.max(0, 1 - Math.abs(x)) };
}

/** Weights of every output pixel of one axis. */
export function axisTaps(map: AxisMap, kind: Interpolation): Taps {
  const { srcLen, dstLen, offset, scale } = map;
  if (kind === 'nearest') {
    const start = new Int32Array(dstLen);
    for (let u = 0; u < dstLen; u++)
      start[u] = Math.min(srcLen - 1, Math.max(0, Math.floor(offset + (u + 0.5) * scale)));
    return { start, count: new Int32Array(dstLen).fill(1), weights: new Float32Array(dstLen).fill(1), stride: 1 };
  }
  const k = kernel(kind);
  const fscale = Math.max(scale, 1);
  const support = k.support * fscale;
  const stride = Math.ceil(support) * 2 + 2;
  const start = new Int32Array(dstLen);
  const count = new Int32Array(dstLen);
  const weights = new Float32Array(dstLen * stride);
  for (let u = 0; u < dstLen; u++) {
    const centre = offset + (u + 0.5) * scale;
    let lo = Math.max(0, Math.floor(centre - support));
    let hi = Math.min(srcLen, Math.ceil(centre + support));
    if (hi - lo > stride) hi = lo + stride;
    let sum = 0;
    for (let j = lo; j < hi; j++) {
      const w = k.fn((j + 0.5 - centre) / fscale);
      weights[u * stride + (j - lo)] = w;
      sum += w;
    }
    if (sum === 0 || hi <= lo) {
      // Outside the source (can happen only at the extreme edges): nearest edge pixel.
      lo = Math.min(srcLen - 1, Math.max(0, Math.floor(centre)));
      hi = lo + 1;
      weights.fill(0, u * stride, (u + 1) * stride);
      weights[u * stride] = 1;
      sum = 1;
    }
    for (let j = 0; j < hi - lo; j++) weights[u * stride + j]! /= sum;
    start[u] = lo;
    count[u] = hi - lo;
  }
  return { start, count, weights, stride };
}

/**
 * Resamples `channels` CHW planes of `srcW × srcH` to `mapX.dstLen × mapY.dstLen`. When both axes
 * map output pixels one to one onto source pixels (a frame already at the input size, or a crop of
 * it at scale 1) the planes are copied instead of filtered: every kernel then puts weight 1 on one
 * source pixel and 0 on the others, so the copy gives the filter's result bit for bit (including
 * its +0 for a −0 sample); frames with non-finite samples, where 0 × ∞ would spread NaN, take the
 * filter.
 */
export function resamplePlanes(
  src: ResampleSource,
  channels: number,
  mapX: AxisMap,
  mapY: AxisMap,
  kind: Interpolation,
): Float32Array {
  if (copiesPlanes(mapX, mapY)) {
    const copy = copyPlanes(src, channels, mapX, mapY);
    if (copy) return copy;
  }
  return resampleSeparable(src, channels, mapX, mapY, kind);
}

/**
 * True when both axes put each output pixel on one source pixel (scale 1, a whole-pixel offset,
 * inside the source): {@link resamplePlanes} then copies instead of filtering.
 */
export function copiesPlanes(mapX: AxisMap, mapY: AxisMap): boolean {
  const oneToOne = (m: AxisMap) =>
    m.scale === 1 && Number.isInteger(m.offset) && m.offset >= 0 && m.offset + m.dstLen <= m.srcLen;
  return oneToOne(mapX) && oneToOne(mapY);
}

/** The window of the planes the maps select, or undefined when a sample is not finite. */
function copyPlanes(src: ResampleSource, channels: number, mapX: AxisMap, mapY: AxisMap): Float32Array | undefined {
  const srcW = mapX.srcLen;
  const srcH = mapY.srcLen;
  const dstW = mapX.dstLen;
  const dstH = mapY.dstLen;
  const out = new Float32Array(channels * dstW * dstH);
  let o = 0;
  for (let c = 0; c < channels; c++) {
    for (let v = 0; v < dstH; v++) {
      const row = c * srcW * srcH + (mapY.offset + v) * srcW + mapX.offset;
      for (let u = 0; u < dstW; u++) {
        const x = src[row + u]!;
        if (x - x !== 0) return undefined; // NaN or ±∞
        out[o++] = x + 0; // −0 → +0, as the filter's sums starting at +0 give
      }
    }
  }
  return out;
}

/**
 * The separable filter itself, whatever the maps (resamplePlanes short-cuts one-to-one maps).
 */
export function resampleSeparable(
  src: ResampleSource,
  channels: number,
  mapX: AxisMap,
  mapY: AxisMap,
  kind: Interpolation,
): Float32Array {
  const srcW = mapX.srcLen;
  const srcH = mapY.srcLen;
  const dstW = mapX.dstLen;
  const dstH = mapY.dstLen;
  const tx = axisTaps(mapX, kind);
  const ty = axisTaps(mapY, kind);
  // Only source rows some output row reads need the horizontal pass.
  let rowLo = srcH;
  let rowHi = 0;
  for (let v = 0; v < dstH; v++) {
    rowLo = Math.min(rowLo, ty.start[v]!);
    rowHi = Math.max(rowHi, ty.start[v]! + ty.count[v]!);
  }
  const rows = Math.max(0, rowHi - rowLo);
  const tmp = new Float32Array(rows * dstW);
  const out = new Float32Array(channels * dstW * dstH);
  const acc = new Float64Array(dstW); // one output row, accumulated in double precision
  // Locals, not property loads, in the hot loops.
  const xs = tx.start,
    xn = tx.count,
    xw = tx.weights,
    xstride = tx.stride;
  const ys = ty.start,
    yn = ty.count,
    yw = ty.weights,
    ystride = ty.stride;
  // Each source row is first copied into one float row (a native conversion for 8-bit planes), so
  // the tap loop reads one array type whatever the source's.
  const line = new Float32Array(srcW);
  for (let c = 0; c < channels; c++) {
    const base = c * srcW * srcH;
    for (let r = 0; r < rows; r++) {
      const srow = base + (rowLo + r) * srcW;
      line.set(src.subarray(srow, srow + srcW));
      const trow = r * dstW;
      for (let u = 0; u < dstW; u++) {
        const s = xs[u]!;
        const n = xn[u]!;
        const w = u * xstride;
        let acc = 0;
        for (let j = 0; j < n; j++) acc += xw[w + j]! * line[s + j]!;
        tmp[trow + u] = acc;
      }
    }
    const obase = c * dstW * dstH;
    for (let v = 0; v < dstH; v++) {
      const s = (ys[v]! - rowLo) * dstW;
      const n = yn[v]!;
      const w = v * ystride;
      const orow = obase + v * dstW;
      acc.fill(0);
      for (let j = 0; j < n; j++) {
        const k = yw[w + j]!;
        const t = s + j * dstW;
        for (let u = 0; u < dstW; u++) acc[u]! += k * tmp[t + u]!;
      }
      out.set(acc, orow);
    }
  }
  return out;
}

/** Nearest-neighbour resampling of a 0/1 mask (or any small-integer plane). */
export function resampleMask(mask: Uint8Array, mapX: AxisMap, mapY: AxisMap): Uint8Array {
  const tx = axisTaps(mapX, 'nearest');
  const ty = axisTaps(mapY, 'nearest');
  const out = new Uint8Array(mapX.dstLen * mapY.dstLen);
  for (let v = 0; v < mapY.dstLen; v++) {
    const srow = ty.start[v]! * mapX.srcLen;
    for (let u = 0; u < mapX.dstLen; u++) out[v * mapX.dstLen + u] = mask[srow + tx.start[u]!]!;
  }
  return out;
}
