/**
 * A TIFF read below its full resolution, for a frame that will be resampled to one model input:
 * from the smallest overview (reduced-resolution directory, as `gdaladdo` writes them) that is still
 * at least the target size, or — without a usable overview — by averaging f×f blocks while the
 * image is read a band of rows at a time, so only one band of rows and the reduced raster are ever
 * in memory. Neither path is taken for complex or palette images (averaging indices or coherent
 * phases is not a resampling the SDK does).
 */
import type { GeoTIFF, GeoTIFFImage } from 'geotiff';
import { frameError, type FrameRef } from '../frame.js';
import { allocPlane, isFloatDType, type PlaneArray } from '../raster.js';
import { checkDecodedBytes, checkWorkingMemory, type DecodeLimits, type WorkingMemory } from './limits.js';
import type { Reduction, ReduceRequest } from './reduce.js';
import { readTiffHeader, ycbcrToRgb, type TiffHeader } from './tiff-header.js';
import type { TiffBlockLayout } from './tiff-structure.js';

/** Planes of a reduced read and how they map onto the source. */
export interface ReducedRead {
  planes: PlaneArray[];
  width: number;
  height: number;
  reduction: Reduction;
}

/** Most bytes one band of rows may take while a TIFF is averaged block by block. */
const ROW_BAND_BYTES = 32 * 1024 * 1024;

/**
 * Reads the smallest overview at least `reduce.target(...)` large, or undefined when the file has
 * none that fits (none at all, none large enough, or one whose samples differ from the main image).
 * @throws EdgeError E_FRAME_DECODE for unreadable overview data, E_FRAME_INVALID when even the
 *   overview is over the limits
 */
export async function readOverview(
  tiff: GeoTIFF,
  main: TiffHeader,
  directories: TiffBlockLayout[],
  reduce: ReduceRequest,
  memory: Omit<WorkingMemory, 'width' | 'height'>,
  ref: FrameRef,
  limits: DecodeLimits,
): Promise<ReducedRead | undefined> {
  const target = reduce.target(main.width, main.height);
  let best: number | undefined;
  directories.forEach((d, k) => {
    const overview = k > 0 && (d.subfileType & 1) === 1 && (d.subfileType & 4) === 0;
    const large = d.width >= Math.min(target.width, main.width) && d.height >= Math.min(target.height, main.height);
    if (overview && large && d.width < main.width && (best === undefined || d.width < directories[best]!.width))
      best = k;
  });
  if (best === undefined) return undefined;
  let image: GeoTIFFImage;
  try {
    image = await tiff.getImage(best);
  } catch (err) {
    throw frameError('E_FRAME_DECODE', ref, `TIFF overview ${best} is unreadable: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const h = await readTiffHeader(image, ref);
  if (h.spp !== main.spp || h.dtype !== main.dtype || h.photometric !== main.photometric) return undefined;
  checkDecodedBytes(ref, h.width * h.height * h.spp * h.sampleBytes, limits);
  checkWorkingMemory(ref, { ...memory, width: h.width, height: h.height }, limits);
  const planes = await readPlanes(image, undefined, h.width * h.height, main.spp, ref);
  if (h.ycbcr) ycbcrToRgb(planes);
  return {
    planes,
    width: h.width,
    height: h.height,
    reduction: {
      sourceWidth: main.width,
      sourceHeight: main.height,
      scaleX: main.width / h.width,
      scaleY: main.height / h.height,
      method: 'overview',
      overview: best,
    },
  };
}

/**
 * Reads the main image a band of rows at a time and averages f×f blocks (f the largest integer
 * factor that keeps the result at least the target size), leaving out samples equal to the no-data
 * value (a block with no valid sample keeps it). Integer types are rounded to stay integers.
 * Returns undefined when no factor of 2 or more fits.
 * @throws EdgeError E_FRAME_DECODE for unreadable data, E_FRAME_INVALID when even the reduced
 *   raster is over the limits
 */
export async function readBlockAverage(
  image: GeoTIFFImage,
  main: TiffHeader,
  layout: TiffBlockLayout,
  reduce: ReduceRequest,
  memory: Omit<WorkingMemory, 'width' | 'height'>,
  noData: number | undefined,
  ref: FrameRef,
  limits: DecodeLimits,
): Promise<ReducedRead | undefined> {
  const { width, height, spp } = main;
  const target = reduce.target(width, height);
  const f = Math.floor(Math.min(width / target.width, height / target.height));
  if (f < 2) return undefined;
  const dw = Math.ceil(width / f);
  const dh = Math.ceil(height / f);
  const rowBytes = width * spp * main.sampleBytes;
  // Whole blocks of rows per read; whole tile rows when they fit, so no tile is decoded twice.
  const tileRows = lcm(f, layout.blockHeight);
  const rows =
    tileRows * rowBytes <= ROW_BAND_BYTES ? tileRows : f * Math.max(1, Math.floor(ROW_BAND_BYTES / (rowBytes * f)));
  checkDecodedBytes(ref, dw * dh * spp * main.sampleBytes, limits);
  checkWorkingMemory(
    ref,
    { ...memory, width: dw, height: dh, encodedBytes: memory.encodedBytes + rows * rowBytes },
    limits,
  );
  const out = Array.from({ length: spp }, () => allocPlane(main.dtype, dw * dh));
  const round = !isFloatDType(main.dtype);
  const sum = new Float64Array(dw);
  const count = new Uint32Array(dw);
  const skip = noData !== undefined && !Number.isNaN(noData) ? noData : undefined;
  for (let y0 = 0; y0 < height; y0 += rows) {
    const y1 = Math.min(height, y0 + rows);
    const band = await readPlanes(image, [0, y0, width, y1], width * (y1 - y0), spp, ref);
    if (main.ycbcr) ycbcrToRgb(band);
    for (let b = 0; b < spp; b++) {
      const src = band[b]!;
      const dst = out[b]!;
      for (let by = y0; by < y1; by += f) {
        sum.fill(0);
        count.fill(0);
        for (let y = by; y < Math.min(y1, by + f); y++) {
          const row = (y - y0) * width;
          for (let x = 0; x < width; x++) {
            const v = src[row + x]!;
            if (v === skip || v !== v) continue; // no data, NaN
            const k = (x / f) | 0;
            sum[k]! += v;
            count[k]!++;
          }
        }
        const o = ((by / f) | 0) * dw;
        for (let k = 0; k < dw; k++) {
          const n = count[k]!;
          dst[o + k] = n === 0 ? (skip ?? NaN) : round ? Math.round(sum[k]! / n) : sum[k]! / n;
        }
      }
    }
  }
  return {
    planes: out,
    width: dw,
    height: dh,
    reduction: { sourceWidth: width, sourceHeight: height, scaleX: f, scaleY: f, method: 'block-average' },
  };
}

async function readPlanes(
  image: GeoTIFFImage,
  window: [number, number, number, number] | undefined,
  expected: number,
  spp: number,
  ref: FrameRef,
): Promise<PlaneArray[]> {
  let planes: PlaneArray[];
  try {
    const read = (await image.readRasters({
      interleave: false,
      ...(window ? { window } : {}),
    })) as unknown as PlaneArray[];
    planes = Array.from(read);
  } catch (err) {
    throw frameError('E_FRAME_DECODE', ref, `TIFF pixel data is corrupt or truncated: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (planes.length !== spp || planes.some((p) => p.length !== expected))
    throw frameError('E_FRAME_DECODE', ref, 'TIFF pixel data does not match its declared size');
  return planes;
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a / gcd(a, b)) * b;
}
