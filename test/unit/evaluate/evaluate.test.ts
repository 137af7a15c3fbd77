/**
 * evaluateClassifier end to end on the seeded Statlog-shaped package: every sample runs through the
 * SDK runtime; predictions equal the entry run directly on the same preprocessed patch; counts and
 * the confusion matrix add up (accuracy of seeded weights is chance-level and not asserted).
 */
import test from 'ava';
import type { EdgeError } from '../../../sdk/core/errors.js';
import { preprocessFrame } from '../../../sdk/sensors/preprocess/preprocess.js';
import { runCli } from '../../../tools/cli/cli.js';
import type { EvaluateSummary } from '../../../tools/cli/commands/evaluate.js';
import type { CommandIO } from '../../../tools/cli/io.js';
import { evaluateClassifier } from '../../../tools/evaluate/evaluate.js';
import {
  parseStatlogCsv,
  readStatlogCsv,
  STATLOG_PATCH,
  type LabelledSample,
} from '../../../tools/evaluate/statlog.js';
import { runEntry } from '../../helpers/packages.js';
import { HAS_SHARED_DATA, sharedDataOrSkip, testIf } from '../../helpers/shared-data.js';
import { STATLOG_LABELS, statlogLikePackage } from '../../helpers/statlog-package.js';

const CSV = 'labels/mlbench_statlog_landsat/statlog_satellite.csv';
const HEADER = [...Array.from({ length: 36 }, (_, i) => `x${i + 1}`), 'class'].join(',');

/** Generated rows (for the checks that must run without ../shared): every class, distinct values. */
function generatedSamples(n: number): LabelledSample[] {
  const rows = Array.from({ length: n }, (_, r) =>
    [...Array.from({ length: 36 }, (_, i) => 30 + ((r * 31 + i * 7) % 120)), STATLOG_LABELS[r % 6]].join(','),
  );
  return parseStatlogCsv(`${HEADER}\n${rows.join('\n')}\n`, 'generated.csv', 'all').samples;
}

/** Predicted class of each sample by the entry run directly (the oracle). */
async function directPredictions(dir: string, samples: LabelledSample[]): Promise<number[]> {
  const { manifest } = await statlogLikePackage();
  const entry = manifest.entries[0]!;
  const out: number[] = [];
  for (const s of samples) {
    const pre = await preprocessFrame(
      {
        id: 's',
        modality: 'multispectral',
        timestamp: 0,
        pixels: { data: s.pixels, width: 3, height: 3, bands: 4, dtype: 'uint8', layout: 'hwc' },
      },
      { inputSize: 24, stretch: 'none', interpolation: 'nearest' },
    );
    const logits = (
      await runEntry(dir, entry, {
        [entry.inputs[0]!.name]: { dtype: 'float32', shape: pre.batches[0]!.shape, data: pre.batches[0]!.data },
      })
    ).cls_logits!.data as Float32Array;
    out.push(logits.indexOf(Math.max(...logits)));
  }
  return out;
}

test('predictions equal the entry run directly on the declared preprocessing; the matrix counts every sample once', async (t) => {
  const { dir } = await statlogLikePackage();
  const samples = generatedSamples(30);
  let progress = 0;
  const r = await evaluateClassifier(
    dir,
    { name: 'generated', samples, patch: STATLOG_PATCH },
    { backend: 'onnxruntime', batch: 8, verify: 'size', threads: 1, onProgress: (d) => (progress = d) },
  );
  t.is(progress, 30);
  t.deepEqual(r.labels, STATLOG_LABELS);
  t.deepEqual(r.preprocessing, { stretch: 'none', interpolation: 'nearest', fit: 'resize' });
  t.deepEqual(r.warnings, []);
  t.is(r.failed, 0);
  const want = STATLOG_LABELS.map(() => new Array<number>(6).fill(0));
  (await directPredictions(dir, samples)).forEach((p, i) => want[STATLOG_LABELS.indexOf(samples[i]!.label)]![p]!++);
  t.deepEqual(r.confusion, want);
  t.is(r.metrics.total, 30);
  t.is(
    r.metrics.correct,
    want.reduce((a, row, i) => a + row[i]!, 0),
  );
  t.deepEqual(
    r.metrics.perClass.map((c) => c.support),
    [5, 5, 5, 5, 5, 5],
  );
  t.true(r.framesPerSecond > 0);
});

test('a package whose labels do not cover the dataset is refused; one without declared preprocessing gets a warning', async (t) => {
  const other = await statlogLikePackage({
    labels: ['red soil', 'cotton crop', 'grey soil', 'damp grey soil', 'vegetation stubble', 'water'],
  });
  const err = await t.throwsAsync<EdgeError>(
    evaluateClassifier(
      other.dir,
      { name: 'generated', samples: generatedSamples(6), patch: STATLOG_PATCH },
      { backend: 'onnxruntime', verify: 'size' },
    ),
  );
  t.is(err?.code, 'E_LABELS_MISMATCH');
  t.regex(err?.message ?? '', /"very damp grey soil"/);
  const bare = await statlogLikePackage({ preprocessing: null });
  const r = await evaluateClassifier(
    bare.dir,
    { name: 'generated', samples: generatedSamples(6), patch: STATLOG_PATCH },
    { backend: 'onnxruntime', verify: 'size', threads: 1, preprocess: { stretch: 'none' } },
  );
  t.is(r.warnings.length, 1);
  t.regex(r.warnings[0]!, /declares no multispectral preprocessing/);
  t.deepEqual(r.preprocessing, { stretch: 'none' });
  const empty = await t.throwsAsync<EdgeError>(
    evaluateClassifier(bare.dir, { name: 'generated', samples: [], patch: STATLOG_PATCH }),
  );
  t.is(empty?.code, 'E_INVALID_ARGUMENT');
});

testIf(HAS_SHARED_DATA, test)(
  'ringmoe-edge evaluate --dataset statlog=<csv> --split test --limit 200 --json on the real file',
  async (t) => {
    const file = sharedDataOrSkip(t, CSV);
    if (!file) return;
    const { dir } = await statlogLikePackage();
    const quiet: CommandIO = { json: true, out() {}, note() {}, progress: () => ({ update() {}, stop() {} }) };
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    let r: EvaluateSummary;
    try {
      r = (
        await runCli(
          [
            'evaluate',
            dir,
            '--dataset',
            `statlog=${file}`,
            '--split',
            'test',
            '--limit',
            '200',
            '--backend',
            'onnxruntime',
            '--json',
          ],
          () => quiet,
        )
      ).result as EvaluateSummary;
    } finally {
      process.stdout.write = write;
    }
    t.is(r.dataset.samples, 200);
    t.is(r.dataset.split, 'test');
    t.is(r.failed, 0);
    t.is(
      r.confusion.flat().reduce((a, b) => a + b, 0),
      200,
    );
    const test2000 = await readStatlogCsv(file, 'test');
    const first = test2000.samples.slice(0, 200);
    t.deepEqual(
      r.confusion.map((row) => row.reduce((a, b) => a + b, 0)),
      STATLOG_LABELS.map((l) => first.filter((s) => s.label === l).length),
    );
    t.is(r.metrics.total, 200);
  },
);
