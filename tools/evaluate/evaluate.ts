/**
 * Evaluates a classification package on labelled raw multispectral patches through the SDK
 * runtime, exactly as a device would run them: each sample becomes a raw frame, preprocessed with
 * the package's declared preprocessing (or the caller's overrides), batched by the runtime.
 */
import { EdgeError } from '../../sdk/internal.js';
import { openPackage } from '../../sdk/internal.js';
import type { BackendChoice } from '../../sdk/internal.js';
import { effectivePreprocess, type PackagePreprocessOptions } from '../../sdk/internal.js';
import { createRuntime } from '../../sdk/internal.js';
import type { Frame } from '../../sdk/internal.js';
import { mapLabels } from './label-map.js';
import { metricsOf, type ClassificationMetrics } from './metrics.js';
import type { LabelledSample } from './statlog.js';

/** The samples to evaluate on and their geometry. */
export interface EvaluationSet {
  /** Name for reports, e.g. `statlog`. */
  name: string;
  samples: LabelledSample[];
  /** Geometry of every sample's HWC pixels. */
  patch: { width: number; height: number; bands: number };
}

/** Options of {@link evaluateClassifier}. */
export interface EvaluateOptions {
  backend?: BackendChoice;
  /** Most model inputs per engine call (default 64). */
  batch?: number;
  /** Preprocessing over the package's declared preprocessing. */
  preprocess?: PackagePreprocessOptions;
  /** Intra-op threads of CPU backends. */
  threads?: number;
  /** Package verification at load (default `full`). */
  verify?: 'full' | 'size';
  /** Called as samples finish. */
  onProgress?: (done: number, total: number) => void;
}

/** What {@link evaluateClassifier} measured. Plain JSON. */
export interface EvaluationReport {
  package: { dir: string; name: string; version: string };
  dataset: { name: string; samples: number };
  backend: string;
  /** The model's classes, in output order: rows (truth) and columns (prediction) of `confusion`. */
  labels: string[];
  /** confusion[truth][predicted] over `labels`. */
  confusion: number[][];
  metrics: ClassificationMetrics;
  /** Preprocessing the frames went through (declared, then overridden). */
  preprocessing: PackagePreprocessOptions;
  /** Samples whose frame failed (not in the matrix), with the first few reasons. */
  failed: number;
  failures: { row: number; code: string; message: string }[];
  seconds: number;
  framesPerSecond: number;
  warnings: string[];
}

const MAX_FAILURES = 20;

/**
 * Runs every sample through the package and compares the top class with the label.
 * @param pkg package directory (a classification package with a multispectral entry)
 * @throws EdgeError E_PACKAGE_* (package), E_INVALID_ARGUMENT (no multispectral classification
 *   entry, empty set, bad options), E_LABELS_MISMATCH (labels do not cover the dataset's classes)
 * @example
 * const ds = await readStatlogCsv(csv, 'test');
 * const r = await evaluateClassifier('models/ringmoe-statlog-ms/package', ds);
 * console.log(r.metrics.accuracy);
 */
export async function evaluateClassifier(
  pkg: string,
  set: EvaluationSet,
  options: EvaluateOptions = {},
): Promise<EvaluationReport> {
  if (set.samples.length === 0)
    throw new EdgeError('E_INVALID_ARGUMENT', `the ${set.name} set selected has no samples`, { field: 'samples' });
  const opened = await openPackage(pkg, { verify: 'size' });
  const manifest = opened.manifest;
  const entry = manifest.entries.find(
    (e) =>
      e.modalities.length === 1 &&
      e.modalities[0] === 'multispectral' &&
      e.outputs.some((o) => o.name === 'cls_logits'),
  );
  if (!entry) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `package ${manifest.name} has no multispectral entry with a classification output (entries: ${manifest.entries.map((e) => `${e.name} [${e.tasks.join(', ')}]`).join('; ')})`,
      { file: pkg, field: 'entries' },
    );
  }
  const labels = manifest.labels?.classification ?? [];
  const classes = [...new Set(set.samples.map((s) => s.label))];
  const toIndex = mapLabels(classes, labels, pkg);
  const warnings: string[] = [];
  if (!manifest.model.preprocessing?.multispectral) {
    warnings.push(
      `package ${manifest.name} declares no multispectral preprocessing (model.preprocessing); frames get the SDK defaults (per-tile percentile stretch, bilinear) unless overridden`,
    );
  }
  const preprocessing = effectivePreprocess(manifest, 'multispectral', options.preprocess ?? {});
  const runtime = await createRuntime({
    package: pkg,
    backend: options.backend ?? 'auto',
    entries: [entry.name],
    verify: options.verify ?? 'full',
    // Patches are tiny: preprocessing them on the runtime's thread beats handing them to workers.
    workers: 0,
    batch: { max: options.batch ?? 64, deadlineMs: 0 },
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.preprocess ? { preprocess: options.preprocess } : {}),
    tasks: { classification: { topK: 1 }, segmentation: false, detection: false, depth: false, change: false },
  });
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const failures: EvaluationReport['failures'] = [];
  let failed = 0;
  let done = 0;
  const total = set.samples.length;
  const { width, height, bands } = set.patch;
  function* frames(): Generator<Frame> {
    for (const s of set.samples)
      yield {
        id: String(s.row),
        modality: 'multispectral',
        timestamp: 0,
        pixels: { data: s.pixels, width, height, bands, dtype: 'uint8', layout: 'hwc' },
      };
  }
  const byRow = new Map(set.samples.map((s) => [String(s.row), s]));
  const model = runtime.model;
  const backend = runtime.backend;
  const t0 = performance.now();
  try {
    for await (const out of runtime.run(frames(), { policy: 'block' })) {
      done++;
      const s = byRow.get(out.frameId)!;
      const predicted = out.ok ? out.tasks.classification?.top[0]?.classId : undefined;
      if (predicted === undefined) {
        failed++;
        if (failures.length < MAX_FAILURES) {
          failures.push(
            out.ok
              ? { row: s.row, code: 'E_MODEL_OUTPUT', message: 'no classification result' }
              : { row: s.row, code: out.error.code, message: out.error.message },
          );
        }
      } else confusion[toIndex.get(s.label)!]![predicted]!++;
      options.onProgress?.(done, total);
    }
  } finally {
    await runtime.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    package: { dir: model.dir, name: model.name, version: model.version },
    dataset: { name: set.name, samples: total },
    backend,
    labels: [...labels],
    confusion,
    metrics: metricsOf(confusion, labels),
    preprocessing,
    failed,
    failures,
    seconds,
    framesPerSecond: total / seconds,
    warnings,
  };
}
