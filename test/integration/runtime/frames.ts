/**
 * Real frames for the runtime tests: the aerial JPEG and its pixels cut into many small raw RGB
 * frames (cheap to preprocess, so stream tests exercise the pipeline rather than the decoder), the
 * Landsat-7 GeoTIFF, and generated SAR scenes (no real SAR-L1 is published).
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import type { Frame, RasterPixels } from '../../../sdk/sensors/frame.js';
import { rasterToPixels } from '../../../sdk/sensors/raster.js';
import { generateQuadPolScene } from '../../../sdk/sensors/synthetic/sar-quadpol.js';
import { REAL } from '../../fixtures/frames/index.js';

/** The aerial JPEG's bytes (640×480). */
export const AERO1 = readFileSync(REAL.aero1);

let aeroRaw: Promise<{ data: Buffer; width: number; height: number }> | undefined;

/** aero1.jpg decoded to interleaved RGB. */
export function aeroPixels(): Promise<{ data: Buffer; width: number; height: number }> {
  aeroRaw ??= sharp(AERO1)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .then(({ data, info }) => ({ data, width: info.width, height: info.height }));
  return aeroRaw;
}

/**
 * `count` distinct optical frames: `size`×`size` windows of aero1 (raw interleaved RGB), stepping
 * across the photo, ids `<prefix>-<i>`, timestamps 1 ms apart.
 */
export async function aeroWindows(count: number, size = 64, prefix = 'w'): Promise<Frame[]> {
  const img = await aeroPixels();
  const cols = Math.floor((img.width - size) / 7) + 1;
  return Array.from({ length: count }, (_, i) => {
    const x0 = ((i % cols) * 7) % (img.width - size);
    const y0 = (Math.floor(i / cols) * 11) % (img.height - size);
    const data = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++)
      data.set(
        img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + size) * 3),
        y * size * 3,
      );
    const pixels: RasterPixels = { data, width: size, height: size, bands: 3, dtype: 'uint8', layout: 'hwc' };
    return { id: `${prefix}-${i}`, modality: 'optical', pixels, timestamp: 1_700_000_000_000 + i };
  });
}

/** A generated complex quad-pol SAR-L1 frame (with its georeference). */
export function sarL1Frame(id: string, seed: number, size = 96): Frame {
  const scene = generateQuadPolScene({ width: size, height: size, seed, ships: 3 });
  return {
    id,
    modality: 'sar-l1',
    pixels: rasterToPixels(scene.raster),
    timestamp: 1_700_000_000_000,
    georef: scene.georef,
    sensor: 'quadpol-slc',
  };
}

/** A SAR-L2 amplitude frame (|VV| of a generated quad-pol scene) on a `width × height` grid. */
export function sarL2Frame(id: string, seed: number, width: number, height: number): Frame {
  const scene = generateQuadPolScene({ width, height, seed, ships: 4 });
  const re = scene.raster.planes[6] as Float32Array;
  const im = scene.raster.planes[7] as Float32Array;
  const amp = new Float32Array(width * height);
  for (let i = 0; i < amp.length; i++) amp[i] = Math.hypot(re[i]!, im[i]!);
  return {
    id,
    modality: 'sar-l2',
    pixels: { data: amp, width, height, bands: 1, dtype: 'float32', layout: 'chw' },
    timestamp: 1_700_000_000_000,
    sensor: 'sar-l2-amplitude',
  };
}

/** aero1 with a bright 160×120 block painted at (300, 200): a co-registered "after" image. */
export async function aeroWithNewBuilding(): Promise<Buffer> {
  const block = await sharp({
    create: { width: 160, height: 120, channels: 3, background: { r: 235, g: 235, b: 240 } },
  })
    .png()
    .toBuffer();
  return sharp(AERO1)
    .composite([{ input: block, left: 300, top: 200 }])
    .jpeg({ quality: 92 })
    .toBuffer();
}
