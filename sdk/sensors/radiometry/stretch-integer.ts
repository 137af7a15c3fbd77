/**
 * The stretches of stretch.ts for integer samples of at most 16 bits, by counting: one histogram per
 * band indexed by the sample value gives every statistic a stretch takes (the joint minimum and
 * maximum and the released script's 256-bin histograms, or exact percentiles), and from them one
 * table per band maps each value to its stretched value. The region is then read once more through
 * the tables. Nothing is sorted and no float copy of the samples is made; `released` and `none`
 * give 8-bit planes.
 *
 * The result equals stretchRegion's on the same samples converted to float32, value for value: the
 * samples are exact in float32, the statistics come from the same multiset of values, and each value
 * goes through the same arithmetic (minMaxScale and quantiseByte, the ⌊·⌋ map, the precise linear
 * map) once in its table entry instead of once per pixel.
 */
import type { IntegerPlane } from '../raster.js';
import { percentileRank, type Region } from './percentile.js';
import {
  histogramBounds,
  minMaxScale,
  quantiseByte,
  STRETCH_PERCENTILES,
  type BandStretch,
  type StretchInfo,
  type StretchMethod,
} from './stretch.js';

/** A band's histogram: `hist[v - base]` pixels hold value v. */
interface ValueCounts {
  hist: Uint32Array;
  base: number;
}

/** Tables (value − base → stretched value) and the parameters they came from. */
interface Tables {
  tables: (Uint8Array | Float32Array)[];
  bands: BandStretch[];
  min?: number;
  max?: number;
}

/**
 * Stretches integer `planes` (row stride `stride`) inside `region`, as stretchRegion does.
 * @returns region-sized planes (`released`, `none`: Uint8Array; `precise`: Float32Array) with
 *   values in [0, 255] (0 at masked pixels) and the parameters used
 * @example
 * const { out, info } = stretchIntegerRegion([blue, green, red, nir], width, { x: 0, y: 0, width, height }, undefined, 'released');
 */
export function stretchIntegerRegion(
  planes: IntegerPlane[],
  stride: number,
  region: Region,
  mask: Uint8Array | undefined,
  method: StretchMethod,
): { out: (Uint8Array | Float32Array)[]; info: StretchInfo } {
  const valid = validCount(stride, region, mask);
  const counts = planes.map((p) => countValues(p, stride, region, mask));
  const { tables, bands, min, max } =
    method === 'none'
      ? { tables: counts.map(clipTable), bands: planes.map(() => ({ low: 0, high: 255 })) }
      : method === 'released'
        ? releasedTables(counts, valid)
        : preciseTables(counts, valid);
  const out = planes.map((p, b) => throughTable(p, stride, region, mask, tables[b]!, counts[b]!.base));
  const joint = method === 'released' && valid > 0 ? { min: min!, max: max! } : {};
  return { out, info: { method, ...joint, bands, validPixels: valid } };
}

function validCount(stride: number, region: Region, mask: Uint8Array | undefined): number {
  if (!mask) return region.width * region.height;
  let valid = 0;
  for (let y = region.y; y < region.y + region.height; y++) {
    const row = y * stride + region.x;
    for (let x = 0; x < region.width; x++) valid += 1 - mask[row + x]!;
  }
  return valid;
}

/** The value range of a plane's type: 256 values from 0 or −128, or 65,536 from 0 or −32,768. */
function valueRange(p: IntegerPlane): { base: number; size: number } {
  if (p instanceof Uint8Array) return { base: 0, size: 256 };
  if (p instanceof Int8Array) return { base: -128, size: 256 };
  if (p instanceof Uint16Array) return { base: 0, size: 65536 };
  return { base: -32768, size: 65536 };
}

function countValues(p: IntegerPlane, stride: number, region: Region, mask: Uint8Array | undefined): ValueCounts {
  const { base, size } = valueRange(p);
  // Four interleaved histograms, summed at the end: neighbouring pixels often hold the same value,
  // and one counter incremented back to back waits on its own previous store.
  const h = new Int32Array(4 * size);
  for (let y = region.y; y < region.y + region.height; y++) {
    const start = y * stride + region.x;
    const end = start + region.width;
    if (mask) {
      for (let i = start; i < end; i++) if (!mask[i]) h[p[i]! - base]!++;
      continue;
    }
    let i = start;
    for (const last = end - 3; i < last; i += 4) {
      h[p[i]! - base]!++;
      h[size + p[i + 1]! - base]!++;
      h[2 * size + p[i + 2]! - base]!++;
      h[3 * size + p[i + 3]! - base]!++;
    }
    for (; i < end; i++) h[p[i]! - base]!++;
  }
  const hist = new Uint32Array(size);
  for (let k = 0; k < size; k++) hist[k] = h[k]! + h[size + k]! + h[2 * size + k]! + h[3 * size + k]!;
  return { hist, base };
}

/** `none`: each value clipped to 0..255. */
function clipTable({ hist, base }: ValueCounts): Uint8Array {
  const table = new Uint8Array(hist.length);
  for (let k = 0; k < table.length; k++) {
    const v = base + k;
    table[k] = v > 0 ? (v < 255 ? v : 255) : 0;
  }
  return table;
}

/** `released`: joint min-max quantisation, per-band 256-bin bounds, clip and ⌊stretch⌋. */
function releasedTables(counts: ValueCounts[], valid: number): Tables {
  if (valid === 0)
    return { tables: counts.map((c) => new Uint8Array(c.hist.length)), bands: counts.map(() => ({ low: 0, high: 0 })) };
  let min = Infinity;
  let max = -Infinity;
  for (const { hist, base } of counts) {
    min = Math.min(min, base + firstNonZero(hist));
    max = Math.max(max, base + lastNonZero(hist));
  }
  const { scale, shift } = minMaxScale(min, max);
  const quantised = new Uint8Array(max - min + 1);
  for (let v = min; v <= max; v++) quantised[v - min] = quantiseByte(v * scale + shift);
  const bins = new Uint32Array(256);
  const bands: BandStretch[] = [];
  const tables = counts.map(({ hist, base }) => {
    bins.fill(0);
    for (let v = min; v <= max; v++) bins[quantised[v - min]!]! += hist[v - base]!;
    const { low, high } = histogramBounds(bins, valid);
    bands.push({ low, high });
    const table = new Uint8Array(hist.length);
    if (high === low) return table; // the released script leaves such a band at 0
    const ratio = 255.0 / (high - low);
    for (let v = min; v <= max; v++) {
      const q = quantised[v - min]!;
      table[v - base] = Math.trunc(((q < low ? low : q > high ? high : q) - low) * ratio);
    }
    return table;
  });
  return { tables, bands, min, max };
}

/** `precise`: per band exact percentiles (linear interpolation between ranks), clip, linear map. */
function preciseTables(counts: ValueCounts[], valid: number): Tables {
  const bands: BandStretch[] = [];
  const tables = counts.map(({ hist, base }) => {
    const [low, high] = STRETCH_PERCENTILES.map((p) => percentileOfCounts(hist, base, valid, p)) as [number, number];
    bands.push({ low, high });
    const table = new Float32Array(hist.length);
    if (!(high > low)) return table;
    const k = 255 / (high - low);
    for (let i = 0; i < table.length; i++) {
      const v = (base + i - low) * k;
      table[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    return table;
  });
  return { tables, bands };
}

/** percentilesInPlace's value for the multiset the histogram counts (NaN when it is empty). */
function percentileOfCounts(hist: Uint32Array, base: number, n: number, p: number): number {
  if (n === 0) return NaN;
  const { lo, frac } = percentileRank(p, n);
  const vlo = valueAtRank(hist, base, lo);
  if (frac === 0 || lo + 1 >= n) return vlo;
  return vlo + frac * (valueAtRank(hist, base, lo + 1) - vlo);
}

/** The value of rank r (0-based) among the counted values. */
function valueAtRank(hist: Uint32Array, base: number, r: number): number {
  let cum = 0;
  for (let k = 0; k < hist.length; k++) {
    cum += hist[k]!;
    if (cum > r) return base + k;
  }
  return base + hist.length - 1; // not reached for r < the count
}

function firstNonZero(hist: Uint32Array): number {
  let k = 0;
  while (k < hist.length - 1 && hist[k] === 0) k++;
  return k;
}

function lastNonZero(hist: Uint32Array): number {
  let k = hist.length - 1;
  while (k > 0 && hist[k] === 0) k--;
  return k;
}

function throughTable<T extends Uint8Array | Float32Array>(
  p: IntegerPlane,
  stride: number,
  region: Region,
  mask: Uint8Array | undefined,
  table: T,
  base: number,
): T {
  const out = new (table.constructor as new (n: number) => T)(region.width * region.height);
  if (!mask && region.x === 0 && region.width === stride) {
    // Whole rows: one run of pixels.
    for (let d = 0, i = region.y * stride; d < out.length; d++, i++) out[d] = table[p[i]! - base]!;
    return out;
  }
  for (let y = 0, d = 0; y < region.height; y++) {
    const row = (region.y + y) * stride + region.x;
    if (mask) {
      for (let x = 0; x < region.width; x++, d++) if (!mask[row + x]) out[d] = table[p[row + x]! - base]!;
    } else {
      for (let x = 0; x < region.width; x++, d++) out[d] = table[p[row + x]! - base]!;
    }
  }
  return out;
}
