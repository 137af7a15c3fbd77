/**
 * GENERATED (not measured) optical scenes with known objects, for detection demos and tests: no
 * object-box labels for remote-sensing imagery can be shipped. An 8-bit RGB nadir view of fields and
 * grass with a road, buildings (roof with a cast shadow) and vehicles on and beside the road; every
 * object's class and box is returned. Seeded and deterministic.
 */
import type { Raster } from '../raster.js';
import { createRng, type Rng } from './rng.js';

/** Classes of the generated objects, in label order. */
export const OBJECT_SCENE_LABELS = ['vehicle', 'building'] as const;

/** A generated object: class index into {@link OBJECT_SCENE_LABELS} and box [x1, y1, x2, y2] (pixel corners). */
export interface GeneratedObject {
  classId: number;
  label: (typeof OBJECT_SCENE_LABELS)[number];
  box: [number, number, number, number];
}

/** Options of {@link generateObjectScene}. */
export interface ObjectSceneOptions {
  width: number;
  height: number;
  seed: number;
  /** Buildings to place (default 6). */
  buildings?: number;
  /** Vehicles to place (default 10). */
  vehicles?: number;
}

/** A generated scene and its ground truth. */
export interface ObjectScene {
  /** uint8 RGB. */
  raster: Raster;
  objects: GeneratedObject[];
}

/**
 * Generates a seeded RGB scene with buildings and vehicles at known boxes.
 * @example
 * const { raster, objects } = generateObjectScene({ width: 384, height: 384, seed: 3 });
 */
export function generateObjectScene(options: ObjectSceneOptions): ObjectScene {
  const { width: w, height: h, seed } = options;
  const rng = createRng(seed);
  const rgb = [new Float32Array(w * h), new Float32Array(w * h), new Float32Array(w * h)];
  background(rgb, w, h, rng);
  const roadY = Math.round(h * rng.range(0.35, 0.65));
  const roadHalf = Math.max(4, Math.round(h * 0.03));
  fillRect(rgb, w, h, 0, roadY - roadHalf, w, roadY + roadHalf, [92, 92, 96], rng, 4);
  const objects: GeneratedObject[] = [];
  const taken: [number, number, number, number][] = [[0, roadY - roadHalf - 2, w, roadY + roadHalf + 2]];
  const free = (b: [number, number, number, number], pad: number) =>
    taken.every((t) => b[2] + pad <= t[0] || b[0] - pad >= t[2] || b[3] + pad <= t[1] || b[1] - pad >= t[3]);
  for (let k = 0, tries = 0; k < (options.buildings ?? 6) && tries < 500; tries++) {
    const bw = rng.int(14, 34),
      bh = rng.int(14, 34);
    const x = rng.int(2, w - bw - 8),
      y = rng.int(2, h - bh - 8);
    const box: [number, number, number, number] = [x, y, x + bw, y + bh];
    if (!free(box, 6)) continue;
    fillRect(rgb, w, h, x + 4, y + 4, x + bw + 4, y + bh + 4, [40, 44, 40], rng, 2); // shadow toward the lower right
    const roof = rng.next() < 0.5 ? [178, 84, 66] : [196, 196, 188];
    fillRect(rgb, w, h, x, y, x + bw, y + bh, roof, rng, 6);
    objects.push({ classId: 1, label: 'building', box });
    taken.push([x, y, x + bw + 4, y + bh + 4]);
    k++;
  }
  for (let k = 0, tries = 0; k < (options.vehicles ?? 10) && tries < 500; tries++) {
    const along = rng.next() < 0.5;
    const vw = along ? rng.int(8, 12) : rng.int(4, 6);
    const vh = along ? rng.int(4, 6) : rng.int(8, 12);
    const onRoad = rng.next() < 0.7;
    const x = rng.int(2, w - vw - 2);
    const y = onRoad ? roadY + (rng.next() < 0.5 ? -roadHalf + 1 : roadHalf - vh - 1) : rng.int(2, h - vh - 2);
    const box: [number, number, number, number] = [x, y, x + vw, y + vh];
    if (
      !free(box, 2) &&
      !(onRoad && objects.every((o) => o.classId !== 0 || box[2] + 2 <= o.box[0] || box[0] - 2 >= o.box[2]))
    )
      continue;
    const colour = [
      [220, 30, 30],
      [30, 60, 200],
      [235, 235, 235],
      [20, 20, 20],
      [230, 200, 40],
    ][rng.int(0, 4)]!;
    fillRect(rgb, w, h, x, y, x + vw, y + vh, colour, rng, 3);
    objects.push({ classId: 0, label: 'vehicle', box });
    if (!onRoad) taken.push(box);
    k++;
  }
  const planes = rgb.map((p) => Uint8Array.from(p, (v) => Math.max(0, Math.min(255, Math.round(v)))));
  return { raster: { width: w, height: h, dtype: 'uint8', complex: false, planes }, objects };
}

function background(rgb: Float32Array[], w: number, h: number, rng: Rng): void {
  // Field parcels on a coarse grid, each with its own crop colour, plus per-pixel texture.
  const cell = Math.max(24, Math.round(Math.min(w, h) / 6));
  const cols = Math.ceil(w / cell),
    rows = Math.ceil(h / cell);
  const palette = [
    [96, 128, 60],
    [140, 150, 80],
    [120, 100, 70],
    [80, 110, 50],
    [160, 150, 110],
  ];
  const parcel = Array.from({ length: cols * rows }, () => palette[rng.int(0, palette.length - 1)]!);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const c = parcel[Math.floor(y / cell) * cols + Math.floor(x / cell)]!;
      const tex = rng.normal() * 6;
      for (let k = 0; k < 3; k++) rgb[k]![y * w + x] = c[k]! + tex;
    }
  }
}

function fillRect(
  rgb: Float32Array[],
  w: number,
  h: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  colour: number[],
  rng: Rng,
  noise: number,
): void {
  for (let y = Math.max(0, y0); y < Math.min(h, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(w, x1); x++) {
      const t = rng.normal() * noise;
      for (let k = 0; k < 3; k++) rgb[k]![y * w + x] = colour[k]! + t;
    }
  }
}
