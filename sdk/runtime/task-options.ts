/**
 * Checks the runtime's per-task post-processing options once, when the runtime is created, so a
 * misspelt or out-of-range option fails the call that set it instead of every frame later.
 */
import { expectInteger, expectNumber, expectOneOf, invalidOption, is, rejectUnknownKeys } from '../core/validate.js';
import { resolveTrackingOptions } from '../tracking/tracking-options.js';
import type { TaskOptions } from '../pipeline/results.js';

type Check = (name: string, value: unknown) => void;

const bool: Check = (name, v) => {
  if (typeof v !== 'boolean') throw invalidOption(name, 'a boolean', v);
};
const unit: Check = (name, v) => void expectNumber(name, v, 0, 1);
const stitch: Check = (name, v) => void expectOneOf(name, v, ['blend', 'center'] as const);

const SCHEMA: Record<Exclude<keyof TaskOptions, 'features' | 'tracking'>, Record<string, Check>> = {
  classification: { topK: (n, v) => void expectInteger(n, v, 1) },
  segmentation: { stitch, includeRasters: bool },
  detection: {
    scoreThreshold: unit,
    iouThreshold: unit,
    crossTileIos: unit,
    maxDetections: (n, v) => void expectInteger(n, v, 1),
    classAgnostic: bool,
    geometry: (n, v) => void expectOneOf(n, v, ['axis', 'oriented'] as const),
  },
  depth: {
    percentiles: (n, v) => {
      if (!Array.isArray(v) || v.length === 0 || !v.every((p) => is.number(p) && p >= 0 && p <= 100))
        throw invalidOption(n, 'a non-empty array of percentiles between 0 and 100', v);
    },
    stitch,
    includeRasters: bool,
  },
  change: { threshold: unit, stitch, includeRasters: bool },
  raw: { maxValues: (n, v) => void expectInteger(n, v, 0), includeRasters: bool },
};

/**
 * Checks `options.tasks`: each task is `false` or an object of its known options (labels come from
 * the package and cannot be set here); `features` is a boolean; `tracking` a boolean or tracker options.
 * @throws EdgeError E_INVALID_ARGUMENT naming the option, e.g. `options.tasks.detection.scoreThreshold`
 * @example
 * checkTaskOptions({ detection: { scoreThreshold: 0.4 }, depth: false });
 */
export function checkTaskOptions(tasks: Record<string, unknown>): TaskOptions {
  rejectUnknownKeys('options.tasks', tasks, ['features', 'tracking', ...Object.keys(SCHEMA)]);
  for (const [task, value] of Object.entries(tasks)) {
    const name = `options.tasks.${task}`;
    if (value === undefined) continue;
    if (task === 'features') {
      bool(name, value);
      continue;
    }
    if (task === 'tracking') {
      if (typeof value !== 'boolean') resolveTrackingOptions(value, name);
      if (value !== false && tasks.detection === false)
        throw invalidOption(name, 'false while options.tasks.detection is false (tracking follows detections)', value);
      continue;
    }
    if (value === false) continue;
    if (!is.object(value)) throw invalidOption(name, 'false (off) or an options object', value);
    const schema = SCHEMA[task as keyof typeof SCHEMA];
    rejectUnknownKeys(name, value, Object.keys(schema));
    for (const [key, v] of Object.entries(value)) if (v !== undefined) schema[key]!(`${name}.${key}`, v);
  }
  return tasks as TaskOptions;
}
