/**
 * The Statlog Landsat satellite dataset as a labelled set of raw multispectral patches: the CSV of
 * the R package mlbench (`x1 … x36,class`), each row a 3×3 neighbourhood of Landsat MSS pixels in
 * 4 bands (green, red, NIR, NIR) as 8-bit digital numbers, pixel-major (row, column, band), and the
 * class of the centre pixel by name. The published split: the first 4,435 rows train, the last
 * 2,000 test.
 */
import { readFile } from 'node:fs/promises';
import { EdgeError } from '../../sdk/internal.js';

/** Which rows of the file. */
export type StatlogSplit = 'train' | 'test' | 'all';

/** Rows of the published file and of its split. */
export const STATLOG_ROWS = { total: 6435, train: 4435, test: 2000 } as const;
/** Patch geometry: 3×3 pixels × 4 MSS bands. */
export const STATLOG_PATCH = { width: 3, height: 3, bands: 4 } as const;
/** The MSS bands in the order of the values. */
export const STATLOG_BANDS = ['green', 'red', 'nir-0.7', 'nir-0.8'] as const;

/** One labelled raw frame. */
export interface LabelledSample {
  /** Row in the file, 0-based over the data rows (the header is not a row). */
  row: number;
  /** 1-based line in the file, for messages. */
  line: number;
  /** Class name as the dataset spells it. */
  label: string;
  /** height × width × bands samples (HWC), 8-bit DN. */
  pixels: Uint8Array;
}

/** A labelled dataset read from a file. */
export interface LabelledDataset {
  name: string;
  file: string;
  split: StatlogSplit;
  /** Class names present in the selected rows, in the order they first appear. */
  classes: string[];
  samples: LabelledSample[];
  /** Patch geometry of every sample. */
  patch: { width: number; height: number; bands: number };
}

const VALUES = STATLOG_PATCH.width * STATLOG_PATCH.height * STATLOG_PATCH.bands;

/**
 * Reads and checks the Statlog CSV.
 * @param file path of `statlog_satellite.csv`
 * @param split `test` (default; the last 2,000 rows), `train` (the first 4,435) or `all`
 * @throws EdgeError E_FILE_NOT_FOUND, E_DATASET naming the file and line of the first malformed row
 *   (wrong column count, a value that is not an integer in 0..255, an empty class), or a file
 *   without the published row count when a split is asked for
 * @example
 * const ds = await readStatlogCsv('data/statlog_satellite.csv', 'test');
 * ds.samples[0].pixels.length; // 36
 */
export async function readStatlogCsv(file: string, split: StatlogSplit = 'test'): Promise<LabelledDataset> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'E_FILE_NOT_FOUND' : 'E_IO';
    throw new EdgeError(code, `cannot read the Statlog CSV: ${(err as Error).message}`, { file, cause: err });
  }
  return parseStatlogCsv(text, file, split);
}

/**
 * Parses the Statlog CSV text (see {@link readStatlogCsv}).
 * @throws EdgeError E_DATASET naming `file` and the line
 */
export function parseStatlogCsv(text: string, file: string, split: StatlogSplit = 'test'): LabelledDataset {
  const bad = (line: number, why: string, field?: string) =>
    new EdgeError('E_DATASET', `line ${line}: ${why}`, { file, ...(field ? { field } : {}) });
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw bad(1, 'the file is empty; expected a header x1,…,x36,class and data rows');
  const header = lines[0]!.split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
  const expected = [...Array.from({ length: VALUES }, (_, i) => `x${i + 1}`), 'class'];
  if (header.length !== expected.length || header.some((h, i) => h !== expected[i])) {
    throw bad(
      1,
      `the header must be x1,…,x36,class (36 values = 9 pixels × 4 bands, then the class name); got ${header.length} column(s) starting ${JSON.stringify(header.slice(0, 3).join(','))}`,
    );
  }
  const samples: LabelledSample[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const cols = lines[i]!.split(',');
    if (cols.length !== VALUES + 1)
      throw bad(line, `has ${cols.length} column(s), expected ${VALUES + 1} (36 values and the class)`);
    const pixels = new Uint8Array(VALUES);
    for (let k = 0; k < VALUES; k++) {
      const raw = cols[k]!.trim();
      const v = /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
      if (!(v <= 255))
        throw bad(
          line,
          `x${k + 1} must be an integer 0..255 (an 8-bit MSS value), got ${JSON.stringify(raw)}`,
          `x${k + 1}`,
        );
      pixels[k] = v;
    }
    const label = cols[VALUES]!.trim().replace(/^"(.*)"$/, '$1');
    if (label.length === 0) throw bad(line, 'the class is empty', 'class');
    samples.push({ row: i - 1, line, label, pixels });
  }
  if (samples.length === 0) throw bad(2, 'the file has a header but no data rows');
  let selected = samples;
  if (split !== 'all') {
    if (samples.length !== STATLOG_ROWS.total) {
      throw new EdgeError(
        'E_DATASET',
        `has ${samples.length} data row(s); the ${split} split is defined on the ${STATLOG_ROWS.total} rows of the published file (first ${STATLOG_ROWS.train} train, last ${STATLOG_ROWS.test} test)`,
        {
          file,
          field: 'split',
          hint: 'use split "all" for another file',
        },
      );
    }
    selected = split === 'train' ? samples.slice(0, STATLOG_ROWS.train) : samples.slice(STATLOG_ROWS.train);
  }
  const classes = [...new Set(selected.map((s) => s.label))];
  return { name: 'statlog', file, split, classes, samples: selected, patch: { ...STATLOG_PATCH } };
}
