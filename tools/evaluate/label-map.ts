/**
 * Maps a dataset's class names onto a package's classification labels by name. Names are compared
 * case-insensitively with runs of spaces, dashes and underscores taken as one space, so
 * `damp grey soil`, `damp_grey_soil` and `Damp-Grey-Soil` are one class.
 */
import { EdgeError } from '../../sdk/internal.js';

/** The form names are compared in. */
export function labelKey(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');
}

/**
 * Index in `packageLabels` of every dataset class.
 * @throws EdgeError E_LABELS_MISMATCH listing the dataset classes the package has no label for (or
 *   that the package has no classification labels at all)
 * @example
 * mapLabels(['red soil'], ['cotton_crop', 'red_soil'], 'pkg'); // Map { 'red soil' => 1 }
 */
export function mapLabels(
  datasetClasses: readonly string[],
  packageLabels: readonly string[] | undefined,
  pkg: string,
): Map<string, number> {
  if (!packageLabels || packageLabels.length === 0) {
    throw new EdgeError(
      'E_LABELS_MISMATCH',
      "the package has no classification labels (labels.classification), so its outputs cannot be matched to the dataset's classes",
      { file: pkg, field: 'labels.classification' },
    );
  }
  const index = new Map<string, number>();
  packageLabels.forEach((l, i) => {
    if (!index.has(labelKey(l))) index.set(labelKey(l), i);
  });
  const out = new Map<string, number>();
  const missing: string[] = [];
  for (const c of datasetClasses) {
    const i = index.get(labelKey(c));
    if (i === undefined) missing.push(c);
    else out.set(c, i);
  }
  if (missing.length) {
    throw new EdgeError(
      'E_LABELS_MISMATCH',
      `the package's classification labels do not cover the dataset class(es) ${missing.map((m) => JSON.stringify(m)).join(', ')}; it has ${packageLabels.map((l) => JSON.stringify(l)).join(', ')}`,
      {
        file: pkg,
        field: 'labels.classification',
        hint: "evaluate a model trained on this dataset's classes",
      },
    );
  }
  return out;
}
