/**
 * Tiling of a scene larger than the model input: tiles of the input size with at least `overlap`
 * pixels shared between neighbours, spread evenly so the first and last tiles touch the scene edges,
 * and a scene smaller than a tile padded (edge pixels repeated) to one tile.
 *
 * Every tile also gets a *core*: the cores partition the scene (each scene pixel belongs to exactly
 * one core, the one of the tile whose centre region it is in — the boundary between two neighbours is
 * the middle of their overlap). Centre-crop stitching takes each pixel from its core tile, and
 * detections are kept only by the tile whose core holds the box centre.
 */

/** One tile of a tiled frame. Plain JSON. */
export interface TilePlacement {
  /** Position in the frame's tile list (row-major). */
  index: number;
  /** Scene pixel of the tile's top-left corner. */
  x: number;
  y: number;
  /** Scene pixels the tile covers (smaller than the input size only where the scene is). */
  width: number;
  height: number;
  /** Core region in scene pixels: [x0, y0, x1, y1), the cores partition the scene. */
  core: [number, number, number, number];
}

/**
 * Tile origins along one axis: the fewest tiles whose spacing leaves at least `overlap` shared pixels,
 * spread evenly from 0 to `length - tile` (so the overlap is as uniform as the integer grid allows).
 */
export function axisOrigins(length: number, tile: number, overlap: number): number[] {
  if (length <= tile) return [0];
  const span = length - tile;
  const n = Math.ceil(span / (tile - overlap)) + 1;
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(Math.round((k * span) / (n - 1)));
  return out;
}

/** Core boundaries along one axis for origins `origins` (length + 1 values, first 0, last `length`). */
export function axisCores(length: number, tile: number, origins: number[]): number[] {
  const bounds = [0];
  for (let k = 0; k + 1 < origins.length; k++) {
    const overlapStart = origins[k + 1]!;
    const overlapEnd = Math.min(origins[k]! + tile, length);
    bounds.push(Math.floor((overlapStart + overlapEnd) / 2));
  }
  bounds.push(length);
  return bounds;
}

/**
 * Tiles covering a `width × height` scene with tiles of `tileW × tileH` and at least `overlap`
 * shared pixels (overlap must be smaller than the tile).
 * @example
 * const tiles = planTiles(349, 352, 192, 192, 48); // 9 tiles
 */
export function planTiles(
  width: number,
  height: number,
  tileW: number,
  tileH: number,
  overlap: number,
): TilePlacement[] {
  const xs = axisOrigins(width, tileW, Math.min(overlap, tileW - 1));
  const ys = axisOrigins(height, tileH, Math.min(overlap, tileH - 1));
  const cx = axisCores(width, tileW, xs);
  const cy = axisCores(height, tileH, ys);
  const tiles: TilePlacement[] = [];
  ys.forEach((y, j) => {
    xs.forEach((x, i) => {
      tiles.push({
        index: tiles.length,
        x,
        y,
        width: Math.min(tileW, width - x),
        height: Math.min(tileH, height - y),
        core: [cx[i]!, cy[j]!, cx[i + 1]!, cy[j + 1]!],
      });
    });
  });
  return tiles;
}

/**
 * Copies a tile out of CHW `src` (`srcW × srcH`) into a `tileW × tileH` CHW block at `dst`/`dstOffset`,
 * repeating edge pixels where the tile reaches past the scene.
 */
export function cutTile(
  src: Float32Array,
  channels: number,
  srcW: number,
  srcH: number,
  tile: TilePlacement,
  tileW: number,
  tileH: number,
  dst: Float32Array,
  dstOffset: number,
): void {
  for (let c = 0; c < channels; c++) {
    const sBase = c * srcW * srcH;
    const dBase = dstOffset + c * tileW * tileH;
    for (let v = 0; v < tileH; v++) {
      const sy = Math.min(tile.y + v, srcH - 1);
      const sRow = sBase + sy * srcW;
      const dRow = dBase + v * tileW;
      const n = Math.min(tileW, srcW - tile.x);
      dst.set(src.subarray(sRow + tile.x, sRow + tile.x + n), dRow);
      if (n < tileW) dst.fill(src[sRow + srcW - 1]!, dRow + n, dRow + tileW);
    }
  }
}
