/**
 * Calibration and held-out frames as the quantizer uses them: preprocessed model inputs grouped
 * by modality, each remembering where it came from (a real image file or a generated scene), and
 * the batches each entry of a package reads from them.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { ModalityId } from '../../sdk/internal.js';
import type { EntryManifest } from '../../sdk/internal.js';
import type { HostTensor } from '../../sdk/internal.js';
import type { FrameSet, PreparedFrame } from '../frames/frame-set.js';

/** Summary for lineage and reports. */
export interface FrameSetSummary {
  modality: ModalityId;
  input?: string;
  source: string;
  origin: 'real' | 'generated';
  frames: number;
}

export function summarise(sets: FrameSet[]): FrameSetSummary[] {
  return sets.map((s) => ({
    modality: s.modality,
    ...(s.input !== undefined ? { input: s.input } : {}),
    source: s.source,
    origin: s.origin,
    frames: s.frames.length,
  }));
}

/** What feeds an input: its modality, or `input:<name>` for an input that reads raw tensors. */
export function inputKey(input: { name: string; modality?: string | undefined }): string {
  return input.modality ?? `input:${input.name}`;
}

/** The key of a set, matching {@link inputKey}. */
export function setKey(s: FrameSet): string {
  return s.input !== undefined ? `input:${s.input}` : s.modality;
}

/** `real`, `generated` or `real+generated` for a list of sets. */
export function originOf(sets: FrameSet[]): string {
  const kinds = [...new Set(sets.map((s) => s.origin))].sort((a, b) => (a === 'real' ? -1 : b === 'real' ? 1 : 0));
  return kinds.join('+') || 'none';
}

/** All frames of a modality (or an input's raw tensors, by {@link inputKey}) across sets, in order. */
function framesOf(sets: FrameSet[], key: string): PreparedFrame[] {
  return sets.filter((s) => setKey(s) === key).flatMap((s) => s.frames);
}

/** True when a declared dimension is fixed (a number ≥ 1), not symbolic. */
function fixed(d: number | string | undefined): d is number {
  return typeof d === 'number' && d >= 1;
}

/**
 * Checks that every modality an entry reads has frames, and that frames fit its input.
 * @throws EdgeError E_CALIBRATION naming the entry, the modality and what is missing or wrong
 */
export function checkFramesFor(entry: EntryManifest, sets: FrameSet[], role: 'calibration' | 'held-out'): void {
  const field = role === 'calibration' ? 'calibration' : 'heldOut';
  for (const input of entry.inputs) {
    const key = inputKey(input);
    const frames = framesOf(sets, key);
    const have = [...new Set(sets.map(setKey))].join(', ') || 'none';
    if (frames.length === 0) {
      if (!input.modality) {
        throw new EdgeError(
          'E_CALIBRATION',
          `entry ${entry.name} input ${input.name} reads no sensor modality, and no ${role} tensors were given for it (have: ${have})`,
          {
            field,
            hint: `give ${input.name}=<file.npy> or ${input.name}=<file.npz>[:<array>] (first axis: samples), or import the model with option modality to feed it images`,
          },
        );
      }
      throw new EdgeError(
        'E_CALIBRATION',
        `entry ${entry.name} reads ${input.modality} frames but the ${role} frames are ${have}`,
        {
          field,
          hint: `add ${input.modality}=<frames>, or generated:${input.modality}:<count>, or limit the entries with option entries`,
        },
      );
    }
    const bad = frames.find((f) => !fits(input.shape, f));
    if (bad) {
      const got = bad.shape
        ? `[${bad.shape.join(', ')}] ${bad.dtype ?? 'float32'}`
        : `${bad.channels}×${bad.height}×${bad.width}`;
      throw new EdgeError(
        'E_CALIBRATION',
        `${role} ${bad.shape ? 'tensor' : 'frame'} ${bad.id} is ${got} but entry ${entry.name} input ${input.name} (${input.modality ?? 'raw tensor'}) needs [${input.shape.join(', ')}] ${input.dtype}`,
        { field },
      );
    }
    const dtype = frames[0]!.dtype ?? 'float32';
    if (dtype !== input.dtype)
      throw new EdgeError(
        'E_CALIBRATION',
        `${role} tensors for entry ${entry.name} input ${input.name} are ${dtype} but the input is ${input.dtype}`,
        { field },
      );
    if (
      frames.some(
        (f) =>
          (f.shape ?? []).join() !== (frames[0]!.shape ?? []).join() ||
          f.channels !== frames[0]!.channels ||
          f.height !== frames[0]!.height ||
          f.width !== frames[0]!.width,
      )
    ) {
      throw new EdgeError(
        'E_CALIBRATION',
        `${role} samples for entry ${entry.name} input ${input.name} differ in shape; give one size per input`,
        { field },
      );
    }
  }
}

/** Whether a frame (or raw sample) fits a declared input shape: fixed dimensions equal, symbolic ones anything. */
function fits(shape: readonly (number | string)[], f: PreparedFrame): boolean {
  const sample = f.shape ?? [f.channels, f.height, f.width];
  const batched = shape.length === sample.length + 1;
  if (!batched && shape.length !== sample.length) return false;
  const dims = batched ? shape.slice(1) : shape;
  return dims.every((d, i) => !fixed(d) || d === sample[i]);
}

/**
 * The batches an entry reads: input k of a single-frame or fusion entry gets frame i of its
 * modality; a change entry's second date gets the next frame of the same modality (so the two
 * dates differ). The count is the smallest frame count among the entry's modalities.
 */
export function* entryBatches(
  entry: EntryManifest,
  sets: FrameSet[],
  batchSize: number,
): Generator<Record<string, HostTensor>> {
  const lists = entry.inputs.map((input) => framesOf(sets, inputKey(input)));
  const count = Math.min(...lists.map((l) => l.length));
  const isChange = entry.kind === 'change';
  // An input without a batch axis (a scalar sample rate, a recurrent state) takes one sample per run.
  const unbatched = entry.inputs.some((input, k) => input.shape.length === (lists[k]![0]?.shape ?? [0, 0, 0]).length);
  const step = unbatched ? 1 : batchSize;
  for (let start = 0; start < count; start += step) {
    const n = Math.min(step, count - start);
    const feeds: Record<string, HostTensor> = {};
    entry.inputs.forEach((input, k) => {
      const list = lists[k]!;
      const first = list[0]!;
      const sample = first.shape ?? [first.channels, first.height, first.width];
      const per = sample.reduce((a, b) => a * b, 1);
      const int64 = first.dtype === 'int64';
      const data = int64 ? new BigInt64Array(n * per) : new Float32Array(n * per);
      for (let j = 0; j < n; j++) {
        const i = start + j;
        const f = isChange && k === 1 ? list[(i + 1) % list.length]! : list[i]!;
        (data as Float32Array).set(f.data as Float32Array, j * per);
      }
      const shape = input.shape.length === sample.length ? sample : [n, ...sample];
      feeds[input.name] = int64
        ? { dtype: 'int64', shape, data: data as BigInt64Array }
        : { dtype: 'float32', shape, data: data as Float32Array };
    });
    yield feeds;
  }
}

/**
 * Refuses held-out frames that are also calibration frames (a fidelity figure measured on the
 * frames the ranges were fitted to would flatter the result).
 * @throws EdgeError E_CALIBRATION naming the first shared frame
 */
export function checkDisjoint(calibration: FrameSet[], heldOut: FrameSet[]): void {
  const ids = new Set(calibration.flatMap((s) => s.frames.map((f) => f.id)));
  const shared = heldOut.flatMap((s) => s.frames).find((f) => ids.has(f.id));
  if (shared) {
    throw new EdgeError(
      'E_CALIBRATION',
      `held-out frame ${shared.id} is also a calibration frame; fidelity must be measured on frames calibration did not see`,
      {
        field: 'heldOut',
        hint: 'name other frames with option heldOut, or leave it out to hold back part of the calibration frames',
      },
    );
  }
}

/**
 * Splits each set: the last `fraction` of its frames (at least one when the set has two or more)
 * becomes held-out, the rest calibration.
 */
export function splitHeldOut(sets: FrameSet[], fraction = 0.25): { calibration: FrameSet[]; heldOut: FrameSet[] } {
  const calibration: FrameSet[] = [];
  const heldOut: FrameSet[] = [];
  for (const s of sets) {
    const k = s.frames.length >= 2 ? Math.max(1, Math.floor(s.frames.length * fraction)) : 0;
    calibration.push({ ...s, frames: s.frames.slice(0, s.frames.length - k) });
    if (k > 0) heldOut.push({ ...s, source: `${s.source} (held back)`, frames: s.frames.slice(s.frames.length - k) });
  }
  return { calibration, heldOut };
}
