/**
 * Frames for the pipeline benchmarks, from the real imagery in examples/data: raw RGB rasters at
 * the model's input size (preprocessing cheap enough to hide behind inference) and 640×480 JPEGs
 * (aerial photos and views of the Blue Marble: decoding and resizing cost what they cost).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Frame } from '../../sdk/sensors/frame.js';
import { REPO_ROOT } from '../helpers/shared-data.js';

const DATA = join(REPO_ROOT, 'examples', 'data');

/** `count` raw interleaved RGB frames of `size`×`size`: windows of the aerial photos, resized. */
export async function rawRgbFrames(count: number, size: number): Promise<Frame[]> {
  const photos = [join(DATA, 'aerial', 'aero1.jpg'), join(DATA, 'aerial', 'aero3.jpg')];
  const frames: Frame[] = [];
  for (let i = 0; i < count; i++) {
    const { data } = await sharp(photos[i % 2]!)
      .extract({ left: (i * 37) % 320, top: (i * 23) % 160, width: 320, height: 320 })
      .resize(size, size)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    frames.push({
      id: `raw-${i}`,
      modality: 'optical',
      timestamp: i,
      pixels: { data: new Uint8Array(data), width: size, height: size, bands: 3, dtype: 'uint8', layout: 'hwc' },
    });
  }
  return frames;
}

/** `count` 640×480 JPEG frames: the two aerial photos and views sliding over the Blue Marble. */
export async function jpegFrames(count: number): Promise<Frame[]> {
  const photos = [readFileSync(join(DATA, 'aerial', 'aero1.jpg')), readFileSync(join(DATA, 'aerial', 'aero3.jpg'))];
  const earth = sharp(join(DATA, 'bluemarble', 'bluemarble_2700x1350.jpg'));
  const frames: Frame[] = [];
  for (let i = 0; i < count; i++) {
    const pixels =
      i % 2 === 0
        ? photos[(i / 2) % 2]!
        : await earth
            .clone()
            .extract({ left: (i * 211) % 2060, top: (i * 97) % 870, width: 640, height: 480 })
            .jpeg({ quality: 90 })
            .toBuffer();
    frames.push({ id: `jpeg-${i}`, modality: 'optical', timestamp: i, pixels: new Uint8Array(pixels) });
  }
  return frames;
}
