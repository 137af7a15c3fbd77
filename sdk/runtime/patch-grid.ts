/**
 * The grid of whole patches that {@link patchLandCover} slides over a scene: the region it covers,
 * which patches hold data, and each patch as a raw multispectral frame of the selected bands.
 */
import { expectInteger, invalidOption, is } from '../core/validate.js';
import type { SensorBands } from '../sensors/bands/sensor-bands.js';
import type { Frame } from '../sensors/frame.js';

/** A rectangle of source pixels. */
export interface PixelRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Whole patches over a region of a scene, row-major (patch `k` is column `k % width`, row `k / width`). */
export interface PatchGrid {
  region: PixelRegion;
  /** Source pixels per patch side. */
  patch: number;
  /** Patches across and down. */
  width: number;
  height: number;
}

/**
 * The patch grid over the region option of a scene (default: the whole scene); remainder columns
 * and rows are left out.
 * @throws EdgeError E_INVALID_ARGUMENT (a malformed region, or one smaller than a patch)
 */
export function patchGrid(region: unknown, patch: number, width: number, height: number): PatchGrid {
  const checked = checkRegion(region, width, height);
  const w = Math.floor(checked.width / patch);
  const h = Math.floor(checked.height / patch);
  if (w === 0 || h === 0)
    throw invalidOption('options.region', `a region of at least ${patch}×${patch} pixels`, region ?? { width, height });
  return { region: checked, patch, width: w, height: h };
}

/** The region option, checked against the frame (default: the whole frame). */
function checkRegion(region: unknown, width: number, height: number): PixelRegion {
  if (region === undefined) return { x: 0, y: 0, width, height };
  if (!is.object(region))
    throw invalidOption('options.region', 'an object { x, y, width, height } in source pixels', region);
  const x = expectInteger('options.region.x', region.x, 0, width - 1);
  const y = expectInteger('options.region.y', region.y, 0, height - 1);
  return {
    x,
    y,
    width: expectInteger('options.region.width', region.width, 1, width - x),
    height: expectInteger('options.region.height', region.height, 1, height - y),
  };
}

/** Indices of the patches without a no-data pixel, in row-major order. */
export function patchesWithData(bands: SensorBands, grid: PatchGrid): number[] {
  const { region, patch, width: w, height: h } = grid;
  const stride = bands.width;
  const mask = bands.noDataMask;
  const jobs: number[] = [];
  for (let v = 0; v < h; v++) {
    for (let u = 0; u < w; u++) {
      let missing = false;
      for (let y = 0; y < patch && mask && !missing; y++)
        for (let x = 0; x < patch; x++)
          if (mask[(region.y + v * patch + y) * stride + region.x + u * patch + x]) missing = true;
      if (!missing) jobs.push(v * w + u);
    }
  }
  return jobs;
}

/**
 * The patches `jobs` of the grid as raw float32 CHW frames named by their patch index.
 * @param timestamp of the scene, given to every patch frame
 */
export function* patchFrames(
  bands: SensorBands,
  grid: PatchGrid,
  jobs: number[],
  timestamp: Frame['timestamp'],
): Generator<Frame> {
  const { region, patch, width: w } = grid;
  const stride = bands.width;
  const n = bands.planes.length;
  // Patch frames carry the selected bands already: an identity sensor keeps the package's own from applying twice.
  const identity = {
    id: `${bands.sensorId}:patch`,
    modality: 'multispectral' as const,
    bands: Array.from({ length: n }, (_, i) => i + 1),
    bandNames: bands.bandNames,
  };
  for (const k of jobs) {
    const x0 = region.x + (k % w) * patch;
    const y0 = region.y + Math.floor(k / w) * patch;
    const data = new Float32Array(n * patch * patch);
    for (let c = 0, o = 0; c < n; c++)
      for (let y = 0; y < patch; y++)
        for (let x = 0; x < patch; x++) data[o++] = bands.planes[c]![(y0 + y) * stride + x0 + x]!;
    yield {
      id: String(k),
      modality: 'multispectral',
      timestamp,
      sensor: identity,
      pixels: { data, width: patch, height: patch, bands: n, dtype: 'float32', layout: 'chw' },
    };
  }
}
