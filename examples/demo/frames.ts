/**
 * The demo's frames: real imagery from examples/data and generated SAR (no real SAR can be
 * shipped: see examples/data/README.md). Every frame owns its pixels.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { generateQuadPolScene, rasterToPixels, type Frame, type RasterPixels } from '../../sdk/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Path of a file under examples/data. */
export const data = (p: string): string => join(root, 'examples', 'data', p);

const sar = generateQuadPolScene({ width: 192, height: 192, seed: 11, ships: 4 });

/** Generated quad-pol SLC scene (complex HH, HV, VH, VV) with ships at known positions. */
export function sarL1(): Pick<Frame, 'pixels' | 'sensor' | 'georef'> {
  return { pixels: rasterToPixels(sar.raster), sensor: 'quadpol-slc', georef: sar.georef };
}

/** The detected amplitude |VV| of the same scene: what a SAR-L2 (GRD-like) product holds. */
export function sarL2(): Pick<Frame, 'pixels' | 'sensor' | 'georef'> {
  const n = sar.raster.width * sar.raster.height;
  const re = sar.raster.planes[6]! as Float32Array;
  const im = sar.raster.planes[7]! as Float32Array;
  const amp = new Float32Array(n);
  for (let i = 0; i < n; i++) amp[i] = Math.hypot(re[i]!, im[i]!);
  const pixels: RasterPixels = {
    data: amp,
    width: sar.raster.width,
    height: sar.raster.height,
    bands: 1,
    dtype: 'float32',
    layout: 'chw',
  };
  return { pixels, sensor: 'sar-l2-amplitude', georef: sar.georef };
}

/** aero1.jpg with a 160×120 patch painted over a block of houses: a co-registered "after" image. */
export async function paintedAero1(): Promise<Buffer> {
  return sharp(data('aerial/aero1.jpg'))
    .composite([
      {
        input: { create: { width: 160, height: 120, channels: 3, background: { r: 128, g: 96, b: 64 } } },
        left: 300,
        top: 200,
      },
    ])
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** A 192×192 crop of aero1.jpg, the size of the generated SAR scene (for the fusion entry). */
export async function aero1Crop(): Promise<Buffer> {
  return sharp(data('aerial/aero1.jpg')).extract({ left: 224, top: 144, width: 192, height: 192 }).png().toBuffer();
}

/** A stream of `count` frames cycling through the drone's sensors. */
export function droneFrames(count: number): Frame[] {
  const sources: (() => Omit<Frame, 'id' | 'timestamp'>)[] = [
    () => ({ modality: 'optical', pixels: data('aerial/aero1.jpg') }),
    () => ({ modality: 'multispectral', pixels: data('landsat7-olinda/L7_ETMs.tif'), sensor: 'landsat7-etm' }),
    () => ({ modality: 'optical', pixels: data('aerial/aero3.jpg') }),
    () => ({ modality: 'sar-l1', ...sarL1() }),
    () => ({ modality: 'optical', pixels: data('bluemarble/bluemarble_2700x1350.jpg') }),
  ];
  const t0 = Date.now();
  return Array.from(
    { length: count },
    (_, i) =>
      ({
        ...sources[i % sources.length]!(),
        id: `frame-${String(i).padStart(3, '0')}`,
        timestamp: t0 + i * 100,
      }) as Frame,
  );
}
