/**
 * Calibration of one entry: statistics of every float activation over the calibration frames,
 * then a threshold per tensor by the chosen method. The result is what Q/DQ scales, TensorRT
 * calibration caches and the lineage's statistics hash are made from.
 */
import { sha256 } from '../../sdk/internal.js';
import type { EntryManifest } from '../../sdk/internal.js';
import type { ModelProto } from '../onnx/proto.js';
import { collectStatistics } from './capture.js';
import type { FrameSet } from '../frames/frame-set.js';
import { entryBatches } from './frames.js';
import { chooseThreshold, type CalibrationMethod } from './thresholds.js';

/** One tensor's calibrated range. */
export interface TensorRange {
  /** Largest magnitude seen. */
  amax: number;
  /** Chosen clipping threshold (dynamic range). */
  threshold: number;
  /** threshold / 127, or 1/127 for a tensor that was always zero (any positive scale is exact then). */
  scale: number;
}

/** The calibration of one entry (saved as calibration/<entry>.ranges.json). */
export interface EntryCalibration {
  entry: string;
  method: CalibrationMethod;
  percentile?: number;
  frames: number;
  /** Ranges of every float activation, by tensor name, sorted by name. */
  tensors: Record<string, TensorRange>;
  /** Float tensors no calibration value reached (left out of caches; none of them gets Q/DQ). */
  unseen: string[];
}

export interface CalibrateOptions {
  method: CalibrationMethod;
  percentile?: number;
  batchSize?: number;
  bins?: number;
  onBatch?: (frames: number) => void;
}

/**
 * Calibrates `entry` (its graph `model`, external data relative to `packageDir`).
 * @throws EdgeError E_CALIBRATION when frames are missing, do not fit, or the graph fails on them
 */
export async function calibrateEntry(
  packageDir: string,
  entry: EntryManifest,
  model: ModelProto,
  sets: FrameSet[],
  o: CalibrateOptions,
): Promise<EntryCalibration> {
  return (
    await calibrateEntryMethods(
      packageDir,
      entry,
      model,
      sets,
      [{ method: o.method, ...(o.percentile !== undefined ? { percentile: o.percentile } : {}) }],
      o,
    )
  )[0]!;
}

/** One way of turning statistics into ranges. */
export interface MethodChoice {
  method: CalibrationMethod;
  percentile?: number;
}

/**
 * Calibrates `entry` once per method from one pass of statistics over the calibration frames (the
 * methods differ only in how they read the same histograms).
 * @throws EdgeError E_CALIBRATION when frames are missing, do not fit, or the graph fails on them
 */
export async function calibrateEntryMethods(
  packageDir: string,
  entry: EntryManifest,
  model: ModelProto,
  sets: FrameSet[],
  methods: readonly MethodChoice[],
  o: Omit<CalibrateOptions, 'method' | 'percentile'>,
): Promise<EntryCalibration[]> {
  let frames = 0;
  const stats = await collectStatistics({
    model,
    baseDir: packageDir,
    weightFiles: entry.weightFiles,
    clusters: entry.moe ?? [],
    batches: entryBatches(entry, sets, o.batchSize ?? 2),
    ...(o.bins !== undefined ? { bins: o.bins } : {}),
    onBatch: (n) => {
      frames = n;
      o.onBatch?.(n);
    },
  });
  return methods.map((m) => {
    const tensors: Record<string, TensorRange> = {};
    const unseen: string[] = [];
    for (const name of [...stats.keys()].sort()) {
      const s = stats.get(name)!;
      if (s.count === 0) {
        unseen.push(name);
        continue;
      }
      const threshold = chooseThreshold(
        s,
        m.method,
        m.percentile !== undefined ? { percentile: m.percentile } : {},
        name,
      );
      tensors[name] = { amax: s.amax, threshold, scale: threshold > 0 ? threshold / 127 : 1 / 127 };
    }
    return {
      entry: entry.name,
      method: m.method,
      ...(m.method === 'percentile' ? { percentile: m.percentile ?? 99.99 } : {}),
      frames,
      tensors,
      unseen,
    };
  });
}

/** sha256 over the calibrations of all entries (the lineage's `statsSha256`). */
export function calibrationHash(calibrations: EntryCalibration[]): string {
  const sorted = [...calibrations].sort((a, b) => a.entry.localeCompare(b.entry));
  return sha256(JSON.stringify(sorted));
}
