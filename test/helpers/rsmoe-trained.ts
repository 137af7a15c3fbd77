/**
 * The committed trained tiny RS-MoE (models/rsmoe-statlog-tiny): where it is, its PyTorch golden
 * record (held-out scene 0) and that scene as an SDK frame.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from '../../sdk/sensors/frame.js';
import { REPO_ROOT } from './shared-data.js';

export const TRAINED_RSMOE = join(REPO_ROOT, 'models', 'rsmoe-statlog-tiny');

/** What the recipe wrote for the golden scene (training/ringmoe_torch/recipes/rsmoe.py). */
export interface RsMoeGolden {
  instruction: string;
  rows: number[][];
  image_hwc_uint8: number[];
  input: { shape: number[]; data: number[] };
  visual_tokens: { shape: number[]; data: number[] };
  experts: Record<string, { prompt_ids: number[]; first_logits: number[]; tokens: number[]; text: string }>;
}

export const rsmoeGolden = JSON.parse(readFileSync(join(TRAINED_RSMOE, 'golden.json'), 'utf8')) as RsMoeGolden;

/** The golden scene (48×48 RGB, HWC bytes) as an optical frame. */
export function rsmoeGoldenFrame(): Frame {
  return {
    id: 'golden',
    modality: 'optical',
    timestamp: 0,
    pixels: {
      data: Uint8Array.from(rsmoeGolden.image_hwc_uint8),
      width: 48,
      height: 48,
      bands: 3,
      dtype: 'uint8',
      layout: 'hwc',
    },
  };
}
