/**
 * Which frames a quantization uses when the user names some, or none: calibration sources as
 * given, else generated frames of every modality the entries read; held-out sources as given,
 * else the last quarter of the user's calibration frames, else generated frames with other seeds.
 */
import type { EntryManifest, PackageManifest } from '../../sdk/core/package-manifest.js';
import { splitHeldOut, type FrameSet } from './frames.js';
import { loadFrameSources, type FrameSourceOptions } from './load-frames.js';

export interface FramePlanOptions {
  manifest: PackageManifest;
  entries: EntryManifest[];
  precision: 'int8' | 'fp16';
  calibration?: readonly string[];
  heldOut?: readonly string[];
  /** Most frames per source. Default 32 (calibration), 8 (held-out). */
  maxFrames?: number;
  /** Generated frames per modality when none are named. Default 16 calibration, 4 held-out. */
  generatedCount?: number;
  /** The sensor of real frames per modality (the CLI's --sensor/--bands/--scale flags). */
  sensorFor?: FrameSourceOptions['sensorFor'];
}

/** Seed offset that keeps default held-out scenes apart from default calibration scenes. */
const HELD_OUT_SEED = 1001;

/** Loads the calibration and held-out frame sets for a quantization. */
export async function planFrames(o: FramePlanOptions): Promise<{ calibration: FrameSet[]; heldOut: FrameSet[] }> {
  const size = o.manifest.model.inputSize ?? { height: 0, width: 0 };
  const modalities = [...new Set(o.entries.flatMap((e) => e.inputs.map((i) => i.modality).filter((m): m is string => m !== undefined)))];
  const common = { inputSize: size, modalities, ...(o.sensorFor ? { sensorFor: o.sensorFor } : {}) };
  const count = o.generatedCount;
  let calibration: FrameSet[] = [];
  let heldOut: FrameSet[] = [];
  const userCalibration = (o.calibration?.length ?? 0) > 0;
  if (o.precision === 'int8') {
    const sources = userCalibration ? o.calibration! : modalities.map((m) => `generated:${m}:${count ?? 16}:1`);
    calibration = await loadFrameSources(sources, { ...common, maxFrames: o.maxFrames ?? 32, field: '--calibration' });
  }
  if ((o.heldOut?.length ?? 0) > 0) heldOut = await loadFrameSources(o.heldOut!, { ...common, maxFrames: o.maxFrames ?? 8, field: '--held-out' });
  else if (userCalibration && o.precision === 'int8') ({ calibration, heldOut } = splitHeldOut(calibration));
  else heldOut = await loadFrameSources(modalities.map((m) => `generated:${m}:${Math.max(1, Math.round((count ?? 16) / 4))}:${HELD_OUT_SEED}`), { ...common, maxFrames: o.maxFrames ?? 8, field: '--held-out' });
  return { calibration, heldOut };
}
