/**
 * The Statlog CSV reader: the real file (when ../shared is present) against its NPZ twin's facts,
 * the published split, and coded errors naming file and line for malformed rows.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EdgeError } from '../../../sdk/core/errors.js';
import { resolveDataset } from '../../../tools/evaluate/datasets.js';
import { mapLabels } from '../../../tools/evaluate/label-map.js';
import { metricsOf } from '../../../tools/evaluate/metrics.js';
import { parseStatlogCsv, readStatlogCsv } from '../../../tools/evaluate/statlog.js';
import { HAS_SHARED_DATA, sharedDataOrSkip, testIf } from '../../helpers/shared-data.js';

const CSV = 'labels/mlbench_statlog_landsat/statlog_satellite.csv';
const HEADER = [...Array.from({ length: 36 }, (_, i) => `x${i + 1}`), 'class'].join(',');
const row = (values: (number | string)[], label = 'grey soil') => [...values, label].join(',');
const ok = Array.from({ length: 36 }, (_, i) => 50 + i);

testIf(HAS_SHARED_DATA, test)(
  'the real Statlog CSV: 6,435 rows, split 4,435 / 2,000, pixel-major 3×3×4 patches, six classes',
  async (t) => {
    const file = sharedDataOrSkip(t, CSV);
    if (!file) return;
    const all = await readStatlogCsv(file, 'all');
    t.is(all.samples.length, 6435);
    t.deepEqual([...all.classes].sort(), [
      'cotton crop',
      'damp grey soil',
      'grey soil',
      'red soil',
      'vegetation stubble',
      'very damp grey soil',
    ]);
    // Line 2 of the file: 92,115,120,94, 84,102,106,79, … — pixel (0, 0) bands 1-4, then pixel (0, 1).
    t.deepEqual(Array.from(all.samples[0]!.pixels.subarray(0, 8)), [92, 115, 120, 94, 84, 102, 106, 79]);
    t.is(all.samples[0]!.label, 'grey soil');
    t.is(all.samples[0]!.line, 2);
    let min = 255;
    let max = 0;
    for (const s of all.samples) for (const v of s.pixels) ((min = Math.min(min, v)), (max = Math.max(max, v)));
    t.deepEqual([min, max], [27, 157]); // the MSS DN range of the dataset (NPZ X.min(), X.max())
    const train = await readStatlogCsv(file, 'train');
    const testSplit = await readStatlogCsv(file, 'test');
    t.is(train.samples.length, 4435);
    t.is(testSplit.samples.length, 2000);
    t.is(testSplit.samples[0]!.row, 4435);
    t.is(testSplit.samples[0]!.line, 4437);
    t.deepEqual(testSplit.samples[1999]!.pixels, all.samples[6434]!.pixels);
    const count = (l: string) => testSplit.samples.filter((s) => s.label === l).length;
    t.deepEqual(
      [
        count('red soil'),
        count('cotton crop'),
        count('grey soil'),
        count('damp grey soil'),
        count('vegetation stubble'),
        count('very damp grey soil'),
      ],
      [461, 224, 397, 211, 237, 470],
    );
  },
);

test('malformed CSVs are refused with E_DATASET naming the file and line', (t) => {
  const cases: [string, RegExp, string?][] = [
    ['', /line 1: the file is empty/],
    ['a,b,c\n', /line 1: the header must be x1,…,x36,class/],
    [`${HEADER}\n`, /line 2: the file has a header but no data rows/],
    [`${HEADER}\n${row(ok)}\n${row(ok.slice(1))}\n`, /line 3: has 36 column\(s\), expected 37/],
    [
      `${HEADER}\n${row(ok.map((v, i) => (i === 4 ? 256 : v)))}\n`,
      /line 2: x5 must be an integer 0\.\.255.*"256"/,
      'x5',
    ],
    [`${HEADER}\n${row(ok.map((v, i) => (i === 0 ? -3 : v)))}\n`, /line 2: x1 must be an integer 0\.\.255.*"-3"/, 'x1'],
    [`${HEADER}\n${row(ok.map((v, i) => (i === 35 ? 'NA' : v)))}\n`, /line 2: x36 must be an integer/, 'x36'],
    [`${HEADER}\n${row(ok.map((v, i) => (i === 7 ? '' : v)))}\n`, /line 2: x8 must be an integer/, 'x8'],
    [`${HEADER}\n${row(ok, ' ')}\n`, /line 2: the class is empty/, 'class'],
  ];
  for (const [text, why, field] of cases) {
    const err = t.throws<EdgeError>(() => parseStatlogCsv(text, 'bad.csv', 'all'), undefined, String(why));
    t.is(err?.code, 'E_DATASET');
    t.is(err?.file, 'bad.csv');
    t.regex(err?.message ?? '', /^bad\.csv/);
    t.regex(err?.message ?? '', why);
    if (field) t.is(err?.field, field);
  }
  // A well-formed file that is not the published one has no train/test split.
  const small = `${HEADER}\r\n${row(ok)}\r\n${row(ok, 'red soil')}\r\n\r\n`;
  t.is(parseStatlogCsv(small, 'small.csv', 'all').samples.length, 2);
  t.deepEqual(parseStatlogCsv(small, 'small.csv', 'all').classes, ['grey soil', 'red soil']);
  const err = t.throws<EdgeError>(() => parseStatlogCsv(small, 'small.csv', 'test'));
  t.is(err?.code, 'E_DATASET');
  t.regex(err?.message ?? '', /has 2 data row\(s\); the test split is defined on the 6435 rows/);
});

test('reading a missing file gives E_FILE_NOT_FOUND; --dataset values resolve or fail with coded errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'statlog-'));
  const err = await t.throwsAsync<EdgeError>(readStatlogCsv(join(dir, 'absent.csv')));
  t.is(err?.code, 'E_FILE_NOT_FOUND');
  const file = join(dir, 'one.csv');
  writeFileSync(file, `${HEADER}\n${row(ok)}\n`);
  t.is((await readStatlogCsv(file, 'all')).samples.length, 1);
  t.deepEqual(resolveDataset(`statlog=${file}`), { name: 'statlog', file });
  t.deepEqual(
    resolveDataset('statlog', { RINGMOE_SHARED_DATA: 'data' }, () => true),
    { name: 'statlog', file: join('data', 'labels/mlbench_statlog_landsat/statlog_satellite.csv') },
  );
  t.is(t.throws<EdgeError>(() => resolveDataset('statlog', { RINGMOE_SHARED_DATA: dir }))?.code, 'E_FILE_NOT_FOUND');
  t.is(t.throws<EdgeError>(() => resolveDataset('eurosat'))?.code, 'E_INVALID_ARGUMENT');
  t.is(t.throws<EdgeError>(() => resolveDataset('statlog='))?.field, '--dataset');
});

test('labels map by name (case, spaces, dashes and underscores alike); uncovered classes are refused', (t) => {
  const m = mapLabels(['red soil', 'damp grey soil'], ['Damp_Grey_Soil', 'cotton crop', 'red-soil'], 'pkg');
  t.deepEqual(
    [...m],
    [
      ['red soil', 2],
      ['damp grey soil', 0],
    ],
  );
  const err = t.throws<EdgeError>(() =>
    mapLabels(['red soil', 'cotton crop', 'very damp grey soil'], ['red soil'], 'pkg'),
  );
  t.is(err?.code, 'E_LABELS_MISMATCH');
  t.is(err?.field, 'labels.classification');
  t.regex(err?.message ?? '', /"cotton crop", "very damp grey soil"/);
  t.is(t.throws<EdgeError>(() => mapLabels(['red soil'], undefined, 'pkg'))?.code, 'E_LABELS_MISMATCH');
});

test('metrics of a confusion matrix: accuracy, precision and recall per class, null where nothing was measured', (t) => {
  const m = metricsOf(
    [
      [3, 1, 0],
      [0, 4, 0],
      [0, 0, 0],
    ],
    ['a', 'b', 'c'],
  );
  t.is(m.total, 8);
  t.is(m.correct, 7);
  t.is(m.accuracy, 7 / 8);
  t.deepEqual(m.perClass[0], { label: 'a', support: 4, predicted: 3, precision: 1, recall: 0.75 });
  t.deepEqual(m.perClass[1], { label: 'b', support: 4, predicted: 5, precision: 0.8, recall: 1 });
  t.deepEqual(m.perClass[2], { label: 'c', support: 0, predicted: 0, precision: null, recall: null });
});
