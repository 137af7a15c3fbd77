/**
 * Which frames a quantization uses when the user names some, or none: calibration sources as
 * given, else generated frames of every modality the entries read; held-out sources as given,
 * else the last quarter of the user's calibration frames, else generated frames with other seeds.
 * Inputs that read no modality (imported models) take raw tensors (tensor-sources.ts): named
 * `.npy`/`.npz` files, else — for held-out frames only — generated standard-normal samples.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { EntryManifest, InputSpec, PackageManifest } from '../../sdk/internal.js';
import type { FrameSet } from '../frames/frame-set.js';
import { splitHeldOut } from './frames.js';
import { loadFrameSources, type FrameSourceOptions } from '../frames/load-sets.js';
import { generatedSamples, isTensorSource, loadTensorSources } from './tensor-sources.js';

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
  /** The sensor of real frames per modality (options sensor, bands, scale of a command). */
  sensorFor?: FrameSourceOptions['sensorFor'];
  /** Model input size for packages without one (imported models with symbolic height and width). */
  inputSize?: { height: number; width: number };
}

/** Seed offset that keeps default held-out scenes apart from default calibration scenes. */
const HELD_OUT_SEED = 1001;

/** Loads the calibration and held-out frame sets for a quantization. */
export async function planFrames(o: FramePlanOptions): Promise<{ calibration: FrameSet[]; heldOut: FrameSet[] }> {
  const size = o.inputSize ?? o.manifest.model.inputSize ?? { height: 0, width: 0 };
  const modalities = [
    ...new Set(o.entries.flatMap((e) => e.inputs.map((i) => i.modality).filter((m): m is string => m !== undefined))),
  ];
  const raw: InputSpec[] = [];
  for (const e of o.entries)
    for (const i of e.inputs) if (i.modality === undefined && !raw.some((r) => r.name === i.name)) raw.push(i);
  const common = { inputSize: size, modalities, ...(o.sensorFor ? { sensorFor: o.sensorFor } : {}) };
  const count = o.generatedCount;
  const load = async (texts: readonly string[], field: string, maxFrames: number): Promise<FrameSet[]> => {
    const images = texts.filter((t) => !isTensorSource(t));
    if (images.length && modalities.length === 0) {
      throw new EdgeError(
        'E_CALIBRATION',
        `${images[0]} is an image source but no kept entry reads a sensor modality; give raw tensors (<input>=<file.npy|.npz>) or import the model with option modality`,
        { field },
      );
    }
    if (images.length && (size.height < 1 || size.width < 1)) {
      throw new EdgeError(
        'E_CALIBRATION',
        `the package has no fixed input size to cut image frames to; give option inputSize (<h>x<w>)`,
        { field: 'inputSize' },
      );
    }
    return [
      ...(images.length ? await loadFrameSources(images, { ...common, maxFrames, field }) : []),
      ...(await loadTensorSources(texts.filter(isTensorSource), {
        inputs: raw,
        maxFrames,
        field,
        ...(o.inputSize ? { inputSize: o.inputSize } : {}),
      })),
    ];
  };
  const generated = async (seed: number, n: number, field: string): Promise<FrameSet[]> => [
    ...(modalities.length
      ? await loadFrameSources(
          modalities.map((m) => `generated:${m}:${n}:${seed}`),
          { ...common, maxFrames: o.maxFrames ?? (field === 'heldOut' ? 8 : 32), field },
        )
      : []),
    ...(field === 'heldOut'
      ? raw.map((i) =>
          generatedSamples(i, n, seed, { inputs: raw, field, ...(o.inputSize ? { inputSize: o.inputSize } : {}) }),
        )
      : []),
  ];
  let calibration: FrameSet[] = [];
  let heldOut: FrameSet[];
  const userCalibration = (o.calibration?.length ?? 0) > 0;
  if (o.precision === 'int8')
    calibration = userCalibration
      ? await load(o.calibration!, 'calibration', o.maxFrames ?? 32)
      : await generated(1, count ?? 16, 'calibration');
  if ((o.heldOut?.length ?? 0) > 0) heldOut = await load(o.heldOut!, 'heldOut', o.maxFrames ?? 8);
  else if (userCalibration && o.precision === 'int8') ({ calibration, heldOut } = splitHeldOut(calibration));
  else heldOut = await generated(HELD_OUT_SEED, Math.max(1, Math.round((count ?? 16) / 4)), 'heldOut');
  return { calibration, heldOut };
}
