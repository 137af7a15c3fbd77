/**
 * `ringmoe-edge evaluate <package> --dataset statlog[=<csv>]`: runs a labelled dataset through a
 * classification package with the SDK runtime and reports accuracy, per-class precision and
 * recall, the confusion matrix and throughput.
 */
import type { Command } from 'commander';
import { expectInteger, expectOneOf, invalidOption } from '../../../sdk/internal.js';
import { resolveDataset } from '../../evaluate/datasets.js';
import { evaluateClassifier, type EvaluationReport } from '../../evaluate/evaluate.js';
import { readStatlogCsv } from '../../evaluate/statlog.js';
import type { CommandSpec } from '../command.js';
import { type CommandIO } from '../io.js';
import { table } from '../../format/table.js';

/** What `evaluate` returns (the `--json` output). */
export interface EvaluateSummary extends EvaluationReport {
  dataset: EvaluationReport['dataset'] & { file: string; split: string; limit?: number };
}

async function run([pkg]: string[], o: Record<string, unknown>, io: CommandIO): Promise<EvaluateSummary> {
  if (typeof o.dataset !== 'string')
    throw invalidOption('--dataset', 'a dataset such as statlog or statlog=<csv path>', o.dataset);
  const { name, file } = resolveDataset(o.dataset);
  const split = expectOneOf('--split', o.split ?? 'test', ['test', 'train', 'all'] as const);
  const limit = o.limit === undefined ? undefined : expectInteger('--limit', Number(o.limit), 1);
  const batch = expectInteger('--batch', Number(o.batch ?? 64), 1, 256);
  const backend = expectOneOf('--backend', o.backend ?? 'auto', ['auto', 'onnxruntime', 'tensorrt'] as const);
  const preprocess = {
    ...(o.stretch !== undefined
      ? { stretch: expectOneOf('--stretch', o.stretch, ['released', 'precise', 'none'] as const) }
      : {}),
    ...(o.interpolation !== undefined
      ? { interpolation: expectOneOf('--interpolation', o.interpolation, ['nearest', 'bilinear', 'bicubic'] as const) }
      : {}),
  };
  const ds = await readStatlogCsv(file, split);
  const samples = limit === undefined ? ds.samples : ds.samples.slice(0, limit);
  const progress = io.progress(`evaluating on ${name} ${split}`, samples.length, 'samples');
  let report: EvaluationReport;
  try {
    report = await evaluateClassifier(
      pkg!,
      { name, samples, patch: ds.patch },
      {
        backend,
        batch,
        ...(Object.keys(preprocess).length ? { preprocess } : {}),
        onProgress: (d, t) => {
          if (d % 50 === 0 || d === t) progress.update(d, t);
        },
      },
    );
  } finally {
    progress.stop();
  }
  return { ...report, dataset: { ...report.dataset, file, split, ...(limit !== undefined ? { limit } : {}) } };
}

const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);

function render(r: EvaluateSummary, io: CommandIO): void {
  for (const w of r.warnings) io.note(`warning: ${w}`);
  io.out(
    `${r.package.name}@${r.package.version} on ${r.backend}: ${r.dataset.name} ${r.dataset.split} split, ${r.dataset.samples} sample(s)${r.dataset.limit !== undefined ? ` (--limit ${r.dataset.limit})` : ''}`,
  );
  io.out(
    `preprocessing: ${
      Object.entries(r.preprocessing)
        .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`)
        .join(', ') || 'SDK defaults'
    }`,
  );
  io.out(
    `accuracy ${pct(r.metrics.accuracy)} (${r.metrics.correct} of ${r.metrics.total}); ${r.framesPerSecond.toFixed(1)} frames/s (${r.seconds.toFixed(2)} s)${r.failed ? `; ${r.failed} failed` : ''}`,
  );
  io.out('');
  io.out(
    table(
      ['class', 'support', 'predicted', 'precision', 'recall'],
      r.metrics.perClass.map((c) => [c.label, c.support, c.predicted, pct(c.precision), pct(c.recall)]),
    ),
  );
  io.out('');
  io.out('confusion matrix (rows: true class, columns: predicted, in the order above):');
  io.out(confusionTable(r.labels, r.confusion));
  for (const f of r.failures) io.out(`failed: row ${f.row} ${f.code}: ${f.message}`);
}

/** The confusion matrix as a table with numbered columns. */
export function confusionTable(labels: string[], confusion: number[][]): string {
  return table(
    ['true \\ predicted', ...labels.map((_, i) => String(i + 1))],
    confusion.map((row, i) => [`${i + 1} ${labels[i]}`, ...row]),
  );
}

/** The `evaluate` command for the CLI router. */
export const spec: CommandSpec<EvaluateSummary> = {
  name: 'evaluate',
  summary: 'accuracy, per-class precision/recall and confusion matrix of a classifier on a labelled dataset',
  configure(cmd: Command) {
    cmd
      .argument('<package>', 'model package directory (a classifier with a multispectral entry)')
      .option(
        '--dataset <name[=file]>',
        'labelled dataset: statlog (found under ../shared/data or $RINGMOE_SHARED_DATA) or statlog=<csv path> (required)',
      )
      .option('--split <split>', 'test (last 2,000 rows), train (first 4,435) or all', 'test')
      .option('--limit <n>', 'evaluate only the first n samples of the split')
      .option('--backend <name>', 'auto, onnxruntime or tensorrt', 'auto')
      .option('--batch <n>', 'most model inputs per engine call', '64')
      .option('--stretch <method>', "override the package's declared stretch: released, precise or none")
      .option(
        '--interpolation <kernel>',
        "override the package's declared interpolation: nearest, bilinear or bicubic",
      );
  },
  examples: [
    'ringmoe-edge evaluate models/ringmoe-statlog-ms/package --dataset statlog',
    'ringmoe-edge evaluate models/ringmoe-statlog-ms/package --dataset statlog=data/statlog_satellite.csv --split all --json',
  ],
  run,
  render,
};
