/**
 * GENERATED (not measured) optical harbour scenes with rotated objects, for oriented-detection demos
 * and tests: no oriented-box labels for remote-sensing imagery can be shipped. An 8-bit RGB nadir
 * view of water with ships and barges moored at any angle; every object's class and oriented box
 * (centre, size, angle in radians, convention le90: see sdk/tasks/oriented-box.ts) is returned.
 * Objects never overlap. Seeded and deterministic.
 */
import { boxCorners, normalizeBox, type OrientedBox } from '../../core/geometry/oriented-box.js';
import { intersectionArea, polygonBounds } from '../../core/geometry/polygon.js';
import type { Raster } from '../raster.js';
import { createRng } from './rng.js';

/** Classes of the generated objects, in label order. */
export const HARBOUR_SCENE_LABELS = ['ship', 'barge'] as const;

/** A generated object: class index into {@link HARBOUR_SCENE_LABELS} and its oriented box in pixel-corner coordinates. */
export interface GeneratedOrientedObject {
  classId: number;
  label: (typeof HARBOUR_SCENE_LABELS)[number];
  obox: OrientedBox;
}

/** Options of {@link generateHarbourScene}. */
export interface HarbourSceneOptions {
  width: number;
  height: number;
  seed: number;
  /** Ships to place (default 8), hulls 28–48 × 8–14 pixels. */
  ships?: number;
  /** Barges to place (default 4), 14–24 × 10–16 pixels. */
  barges?: number;
  /** Paint exactly these objects (their class colours) instead of placing ships and barges at random. */
  objects?: { classId: number; obox: OrientedBox }[];
  /** Standard deviation of the water and hull texture in digital numbers (default 3 and 4; 0: flat colours). */
  noise?: number;
}

/** A generated scene and its ground truth. */
export interface HarbourScene {
  /** uint8 RGB. */
  raster: Raster;
  objects: GeneratedOrientedObject[];
}

/**
 * Generates a seeded RGB harbour scene with ships and barges at known oriented boxes.
 * @example
 * const { raster, objects } = generateHarbourScene({ width: 256, height: 256, seed: 4 });
 */
export function generateHarbourScene(options: HarbourSceneOptions): HarbourScene {
  const { width: w, height: h, seed } = options;
  const rng = createRng(seed);
  const rgb = [new Float32Array(w * h), new Float32Array(w * h), new Float32Array(w * h)];
  const noise = options.noise;
  for (let i = 0; i < w * h; i++) {
    const t = rng.normal() * (noise ?? 3);
    rgb[0]![i] = 24 + t;
    rgb[1]![i] = 58 + t;
    rgb[2]![i] = 92 + t;
  }
  const objects: GeneratedOrientedObject[] = [];
  const place = (count: number, classId: number, len: [number, number], wid: [number, number], colours: number[][]) => {
    for (let k = 0, tries = 0; k < count && tries < 1000; tries++) {
      const bw = rng.range(len[0], len[1]);
      const bh = rng.range(wid[0], wid[1]);
      const obox = normalizeBox({
        cx: rng.range(bw / 2, w - bw / 2),
        cy: rng.range(bw / 2, h - bw / 2),
        w: bw,
        h: bh,
        angle: rng.range(-Math.PI, Math.PI),
      });
      const padded = boxCorners({ ...obox, w: obox.w + 6, h: obox.h + 6 });
      if (objects.some((o) => intersectionArea(padded, boxCorners(o.obox)) > 0)) continue;
      fillPolygon(rgb, w, h, obox, colours[rng.int(0, colours.length - 1)]!, () => rng.normal() * (noise ?? 4));
      objects.push({ classId, label: HARBOUR_SCENE_LABELS[classId]!, obox });
      k++;
    }
  };
  if (options.objects) {
    for (const o of options.objects) {
      const obox = normalizeBox(o.obox);
      fillPolygon(
        rgb,
        w,
        h,
        obox,
        o.classId === 0 ? [210, 210, 205] : [150, 110, 70],
        () => rng.normal() * (noise ?? 4),
      );
      objects.push({ classId: o.classId, label: HARBOUR_SCENE_LABELS[o.classId]!, obox });
    }
  } else {
    place(
      options.ships ?? 8,
      0,
      [28, 48],
      [8, 14],
      [
        [210, 210, 205],
        [180, 60, 50],
        [60, 60, 64],
      ],
    );
    place(
      options.barges ?? 4,
      1,
      [14, 24],
      [10, 16],
      [
        [150, 110, 70],
        [120, 120, 110],
      ],
    );
  }
  const planes = rgb.map((p) => Uint8Array.from(p, (v) => Math.max(0, Math.min(255, Math.round(v)))));
  return { raster: { width: w, height: h, dtype: 'uint8', complex: false, planes }, objects };
}

/** Paints every pixel whose centre lies inside the box. */
function fillPolygon(
  rgb: Float32Array[],
  w: number,
  h: number,
  b: OrientedBox,
  colour: number[],
  noise: () => number,
): void {
  const [x0, y0, x1, y1] = polygonBounds(boxCorners(b));
  const c = Math.cos(b.angle),
    s = Math.sin(b.angle);
  for (let y = Math.max(0, Math.floor(y0)); y < Math.min(h, Math.ceil(y1)); y++) {
    for (let x = Math.max(0, Math.floor(x0)); x < Math.min(w, Math.ceil(x1)); x++) {
      const dx = x + 0.5 - b.cx,
        dy = y + 0.5 - b.cy;
      if (Math.abs(dx * c + dy * s) > b.w / 2 || Math.abs(-dx * s + dy * c) > b.h / 2) continue;
      const t = noise();
      for (let k = 0; k < 3; k++) rgb[k]![y * w + x] = colour[k]! + t;
    }
  }
}
