/**
 * Held-out scenes of the trained tiny RS-MoE: 4×4 mosaics of real Statlog Landsat MSS patches
 * (mlbench's `statlog_satellite.csv`, 36 DN values = 3×3 pixels × 4 bands per row, then the class
 * name), rendered exactly as the training recipe renders them (training/ringmoe_torch/rsmoe/scenes.py):
 * false colour R = band 4 (near infrared), G = band 2 (red), B = band 1 (green), each DN v as
 * clip(2v − 54, 0, 255), every patch pixel repeated 4×4 (a 12×12 cell, a 48×48 scene).
 *
 * The held-out file (written by the recipe) lists per scene the Statlog row of every cell, the cell
 * labels, the reference caption (and each expert's part) and the question/answer pairs, all
 * generated from the labels by templates; plus the template baselines.
 */
import { readFile } from 'node:fs/promises';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import type { RasterPixels } from '../../sdk/internal.js';

export const GRID = 4;
export const CELL_PX = 12;
export const SCENE_PX = GRID * CELL_PX;
/** Band indices (0-based) shown as R, G, B. */
export const FALSE_COLOUR_BANDS = [3, 1, 0] as const;

export interface StatlogTable {
  /** Row-major DN: row r, pixel p (0..8, row-major in the 3×3 patch), band b at r·36 + p·4 + b. */
  dn: Uint8Array;
  labels: string[];
}

/**
 * Parses `statlog_satellite.csv`.
 * @throws EdgeError E_IO (unreadable), E_DATASET (a row without 36 DN values 0..255 and a class)
 */
export async function loadStatlogCsv(file: string): Promise<StatlogTable> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new EdgeError('E_IO', `cannot read the Statlog table: ${messageOf(err)}`, { file, cause: err });
  });
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const body = lines.slice(1);
  const dn = new Uint8Array(body.length * 36);
  const labels: string[] = [];
  body.forEach((line, r) => {
    const cells = line.split(',');
    if (cells.length !== 37)
      throw new EdgeError('E_DATASET', `row ${r + 1} has ${cells.length} columns, not 36 DN values and a class`, {
        file,
        field: `row ${r + 1}`,
      });
    for (let k = 0; k < 36; k++) {
      const v = Number(cells[k]);
      if (!Number.isInteger(v) || v < 0 || v > 255)
        throw new EdgeError(
          'E_DATASET',
          `row ${r + 1}, column ${k + 1}: ${JSON.stringify(cells[k])} is not a DN 0..255`,
          { file, field: `row ${r + 1}` },
        );
      dn[r * 36 + k] = v;
    }
    labels.push(cells[36]!.replace(/^"|"$/g, ''));
  });
  return { dn, labels };
}

/**
 * The RGB scene (uint8, pixel-interleaved) for a 4×4 grid of Statlog row numbers.
 * @throws EdgeError E_DATASET for a grid that is not 4×4 or a row outside the table
 */
export function renderScene(table: StatlogTable, rows: readonly (readonly number[])[]): RasterPixels {
  if (rows.length !== GRID || rows.some((r) => r.length !== GRID))
    throw new EdgeError('E_DATASET', `a scene is a ${GRID}×${GRID} grid of row numbers`, { field: 'rows' });
  const img = new Uint8Array(SCENE_PX * SCENE_PX * 3);
  const k = CELL_PX / 3;
  for (let i = 0; i < GRID; i++) {
    for (let j = 0; j < GRID; j++) {
      const row = rows[i]![j]!;
      if (!Number.isSafeInteger(row) || row < 0 || row >= table.labels.length)
        throw new EdgeError('E_DATASET', `row ${row} is not in the Statlog table (${table.labels.length} rows)`, {
          field: `rows[${i}][${j}]`,
        });
      for (let y = 0; y < CELL_PX; y++) {
        for (let x = 0; x < CELL_PX; x++) {
          const p = Math.floor(y / k) * 3 + Math.floor(x / k);
          const o = ((i * CELL_PX + y) * SCENE_PX + j * CELL_PX + x) * 3;
          FALSE_COLOUR_BANDS.forEach((b, c) => {
            img[o + c] = Math.min(255, Math.max(0, 2 * table.dn[row * 36 + p * 4 + b]! - 54));
          });
        }
      }
    }
  }
  return { data: img, width: SCENE_PX, height: SCENE_PX, bands: 3, dtype: 'uint8', layout: 'hwc' };
}

export interface HeldOutScene {
  rows: number[][];
  labels: string[][];
  caption: string;
  parts: Record<string, string>;
  qa: { type: string; question: string; answer: string }[];
}

export interface HeldOutSet {
  seed: number;
  baseline: { caption: string; answers: Record<string, string> };
  scenes: HeldOutScene[];
}

/**
 * Reads the recipe's held-out file and, when a table is given, checks every cell's label against it.
 * @throws EdgeError E_IO, E_DATASET naming the scene and field
 */
export async function loadHeldOut(file: string, table?: StatlogTable): Promise<HeldOutSet> {
  let v: HeldOutSet;
  try {
    v = JSON.parse(await readFile(file, 'utf8')) as HeldOutSet;
  } catch (err) {
    throw new EdgeError(
      err instanceof SyntaxError ? 'E_DATASET' : 'E_IO',
      `cannot read the held-out scenes: ${messageOf(err)}`,
      { file, cause: err },
    );
  }
  if (
    typeof v?.baseline?.caption !== 'string' ||
    typeof v.baseline.answers !== 'object' ||
    !Array.isArray(v.scenes) ||
    v.scenes.length === 0
  ) {
    throw new EdgeError(
      'E_DATASET',
      'the held-out file needs baseline.caption, baseline.answers and a non-empty scenes array',
      { file, field: 'scenes' },
    );
  }
  v.scenes.forEach((s, n) => {
    if (
      !Array.isArray(s?.rows) ||
      !Array.isArray(s.labels) ||
      typeof s.caption !== 'string' ||
      typeof s.parts !== 'object' ||
      !Array.isArray(s.qa)
    ) {
      throw new EdgeError('E_DATASET', `scene ${n} needs rows, labels, caption, parts and qa`, {
        file,
        field: `scenes[${n}]`,
      });
    }
    if (table) {
      for (let i = 0; i < GRID; i++) {
        for (let j = 0; j < GRID; j++) {
          const row = s.rows[i]?.[j];
          if (row === undefined || table.labels[row] !== s.labels[i]?.[j]) {
            throw new EdgeError(
              'E_DATASET',
              `scene ${n}, cell (${i}, ${j}): row ${row} is labelled ${JSON.stringify(row === undefined ? undefined : table.labels[row])} in the Statlog table, not ${JSON.stringify(s.labels[i]?.[j])}`,
              { file, field: `scenes[${n}].rows` },
            );
          }
        }
      }
    }
  });
  return v;
}
