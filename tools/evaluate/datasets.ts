/**
 * Labelled datasets `ringmoe-edge evaluate` knows, by name, and where their files are found:
 * `statlog` reads `labels/mlbench_statlog_landsat/statlog_satellite.csv` under the shared data
 * folder ($RINGMOE_SHARED_DATA, else ../shared/data from the working directory); `statlog=<path>`
 * reads that file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';

/** Datasets by name: the file under the shared data folder. */
export const DATASETS = { statlog: 'labels/mlbench_statlog_landsat/statlog_satellite.csv' } as const;

/** A dataset name known here. */
export type DatasetName = keyof typeof DATASETS;

/**
 * The dataset and file a `--dataset` value names.
 * @param env environment (injectable for tests)
 * @param cwdExists file existence check (injectable for tests)
 * @throws EdgeError E_INVALID_ARGUMENT (unknown name), E_FILE_NOT_FOUND (no file given and none in
 *   the shared data folder)
 * @example
 * resolveDataset('statlog=data/statlog_satellite.csv'); // { name: 'statlog', file: 'data/statlog_satellite.csv' }
 */
export function resolveDataset(
  spec: string,
  env: NodeJS.ProcessEnv = process.env,
  exists: (p: string) => boolean = existsSync,
): { name: DatasetName; file: string } {
  const eq = spec.indexOf('=');
  const name = (eq < 0 ? spec : spec.slice(0, eq)).trim();
  if (!(name in DATASETS)) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `unknown dataset ${JSON.stringify(name)}; known: ${Object.keys(DATASETS).join(', ')}`,
      { field: '--dataset', hint: 'e.g. --dataset statlog or --dataset statlog=path/to/statlog_satellite.csv' },
    );
  }
  const known = name as DatasetName;
  if (eq >= 0) {
    const file = spec.slice(eq + 1).trim();
    if (!file)
      throw new EdgeError('E_INVALID_ARGUMENT', `--dataset ${name}= needs a file path after "="`, {
        field: '--dataset',
      });
    return { name: known, file };
  }
  const file = join(env.RINGMOE_SHARED_DATA ?? join('..', 'shared', 'data'), DATASETS[known]);
  if (!exists(file)) {
    throw new EdgeError('E_FILE_NOT_FOUND', `the ${name} dataset is not at ${file}`, {
      field: '--dataset',
      hint: `give its CSV: --dataset ${name}=<path of ${DATASETS[known].split('/').pop()}>, or set RINGMOE_SHARED_DATA`,
    });
  }
  return { name: known, file };
}
