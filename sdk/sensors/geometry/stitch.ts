/**
 * Dense model outputs (segmentation logits, change probability, depth) back onto the source frame:
 * - tile mode: a mosaic at source resolution, either `blend` (a weighted average over overlaps, the
 *   weight ramping down toward tile edges that face a neighbour) or `center` (each pixel from the tile
 *   whose core holds it: no averaging, sharp class boundaries);
 * - resize modes: the single output resampled (bilinear) to the source pixels it covers; pixels the
 *   centre crop cut off are marked uncovered.
 * Accumulation is in float64, so identical overlapping values stitch back exactly.
 */
import { EdgeError } from '../../core/errors.js';
import type { FrameLayout } from './layout.js';
import type { TilePlacement } from './tiling.js';

/** How overlapping tile outputs are combined. */
export type StitchMode = 'blend' | 'center';

/** A mosaic at source resolution. */
export interface Mosaic {
  width: number;
  height: number;
  channels: number;
  /** CHW, `channels × height × width`. */
  data: Float32Array;
  /** 1 where some model output covers the pixel (0 only outside a centre crop). */
  covered: Uint8Array;
}

/**
 * Stitches per-tile dense outputs into a source-resolution mosaic.
 * @param outputs all tiles' outputs concatenated in layout tile order, each `channels × outH × outW`
 * @param outH,outW spatial size of one output (normally the model input size)
 * @throws EdgeError E_MODEL_OUTPUT when the array length does not match the layout
 * @example
 * const mosaic = stitchDense(pre.layout, depthOutputs, 1, 192, 192, 'blend');
 */
export function stitchDense(
  layout: FrameLayout,
  outputs: Float32Array,
  channels: number,
  outH: number,
  outW: number,
  mode: StitchMode = 'blend',
): Mosaic {
  const n = layout.tiles.length;
  const per = channels * outH * outW;
  if (outputs.length !== n * per) {
    throw new EdgeError(
      'E_MODEL_OUTPUT',
      `dense output has ${outputs.length} values; ${n} tile(s) × ${channels} × ${outH} × ${outW} = ${n * per} expected`,
    );
  }
  const { width, height } = layout.source;
  if (layout.fit !== 'tile') return resampleBack(layout, outputs, channels, outH, outW);
  const data = new Float32Array(channels * width * height);
  const covered = new Uint8Array(width * height).fill(1);
  const plane = width * height;
  if (mode === 'center') {
    for (const t of layout.tiles) {
      const [x0, y0, x1, y1] = t.core;
      for (let c = 0; c < channels; c++) {
        for (let y = y0; y < y1; y++) {
          for (let x = x0; x < x1; x++)
            data[c * plane + y * width + x] = sampleTile(outputs, t, c, channels, outH, outW, layout, x, y);
        }
      }
    }
    return { width, height, channels, data, covered };
  }
  const acc = new Float64Array(channels * plane);
  const wsum = new Float64Array(plane);
  for (const t of layout.tiles) {
    const wx = rampWeights(t.x, t.width, width, layout.overlap);
    const wy = rampWeights(t.y, t.height, height, layout.overlap);
    for (let v = 0; v < t.height; v++) {
      const y = t.y + v;
      for (let u = 0; u < t.width; u++) {
        const x = t.x + u;
        const w = wx[u]! * wy[v]!;
        wsum[y * width + x]! += w;
        for (let c = 0; c < channels; c++)
          acc[c * plane + y * width + x]! += w * sampleTile(outputs, t, c, channels, outH, outW, layout, x, y);
      }
    }
  }
  for (let c = 0; c < channels; c++)
    for (let i = 0; i < plane; i++) data[c * plane + i] = acc[c * plane + i]! / wsum[i]!;
  return { width, height, channels, data, covered };
}

/**
 * Blend weight along one axis of a tile: 1 in the interior, ramping linearly to ~0 over `overlap`
 * pixels toward an edge that faces a neighbour (edges on the scene border keep weight 1).
 */
export function rampWeights(origin: number, extent: number, sceneLen: number, overlap: number): Float64Array {
  const w = new Float64Array(extent);
  const r = Math.max(1, overlap);
  const leftInner = origin > 0;
  const rightInner = origin + extent < sceneLen;
  for (let i = 0; i < extent; i++) {
    const dl = leftInner ? (i + 0.5) / r : 1;
    const dr = rightInner ? (extent - i - 0.5) / r : 1;
    w[i] = Math.min(1, dl, dr);
  }
  return w;
}

/** Output value of tile `t`, channel `c` at source pixel (x, y) (tile mode: outputs share the tile grid). */
function sampleTile(
  outputs: Float32Array,
  t: TilePlacement,
  c: number,
  channels: number,
  outH: number,
  outW: number,
  layout: FrameLayout,
  x: number,
  y: number,
): number {
  const base = t.index * channels * outH * outW + c * outH * outW;
  const { width: inW, height: inH } = layout.input;
  if (outW === inW && outH === inH) return outputs[base + (y - t.y) * outW + (x - t.x)]!;
  return bilinear(
    outputs,
    base,
    outW,
    outH,
    ((x - t.x + 0.5) * outW) / inW - 0.5,
    ((y - t.y + 0.5) * outH) / inH - 0.5,
  );
}

/** Bilinear sample of one plane at (u, v) in pixel-centre coordinates, clamped at the edges. */
export function bilinear(src: Float32Array, base: number, w: number, h: number, u: number, v: number): number {
  const uc = Math.min(w - 1, Math.max(0, u));
  const vc = Math.min(h - 1, Math.max(0, v));
  const u0 = Math.floor(uc);
  const v0 = Math.floor(vc);
  const u1 = Math.min(w - 1, u0 + 1);
  const v1 = Math.min(h - 1, v0 + 1);
  const fu = uc - u0;
  const fv = vc - v0;
  const a = src[base + v0 * w + u0]!;
  const b = src[base + v0 * w + u1]!;
  const c = src[base + v1 * w + u0]!;
  const d = src[base + v1 * w + u1]!;
  return (a * (1 - fu) + b * fu) * (1 - fv) + (c * (1 - fu) + d * fu) * fv;
}

/** Model-output coordinates (pixel centres) of source pixel (x, y) in a resize layout. */
export function sourceToOutput(
  layout: FrameLayout,
  outW: number,
  outH: number,
  x: number,
  y: number,
): [number, number] {
  const u = (x + 0.5 - layout.offsetX) / layout.scaleX; // input-grid corner coordinates
  const v = (y + 0.5 - layout.offsetY) / layout.scaleY;
  return [(u * outW) / layout.input.width - 0.5, (v * outH) / layout.input.height - 0.5];
}

function resampleBack(
  layout: FrameLayout,
  outputs: Float32Array,
  channels: number,
  outH: number,
  outW: number,
): Mosaic {
  const { width, height } = layout.source;
  const plane = width * height;
  const data = new Float32Array(channels * plane);
  const covered = new Uint8Array(plane);
  const [x0, y0, x1, y1] = layout.tiles[0]!.core;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const [u, v] = sourceToOutput(layout, outW, outH, x, y);
      covered[y * width + x] = 1;
      for (let c = 0; c < channels; c++)
        data[c * plane + y * width + x] = bilinear(outputs, c * outH * outW, outW, outH, u, v);
    }
  }
  return { width, height, channels, data, covered };
}
