/**
 * Calibration and held-out frames as the quantizer uses them: preprocessed model inputs grouped
 * by modality, each remembering where it came from (a real image file or a generated scene), and
 * the batches each entry of a package reads from them.
 */
import { EdgeError } from '../../sdk/core/errors.js';
import type { ModalityId } from '../../sdk/core/modalities.js';
import type { EntryManifest } from '../../sdk/core/package-manifest.js';
import type { HostTensor } from '../../sdk/runtime/backend.js';

/** One preprocessed model input, [channels, height, width]. */
export interface PreparedFrame {
  /** Stable id: `<source>#<tile>` (used to keep held-out frames apart from calibration frames). */
  id: string;
  modality: ModalityId;
  origin: 'real' | 'generated';
  channels: number;
  height: number;
  width: number;
  data: Float32Array;
}

/** The frames of one modality from one source (a file, a directory, or a generator). */
export interface FrameSet {
  modality: ModalityId;
  /** What the user named (`optical=frames/`, `generated:sar-l1:16:7`). */
  source: string;
  origin: 'real' | 'generated';
  frames: PreparedFrame[];
}

/** Summary for lineage and reports. */
export interface FrameSetSummary {
  modality: ModalityId;
  source: string;
  origin: 'real' | 'generated';
  frames: number;
}

export function summarise(sets: FrameSet[]): FrameSetSummary[] {
  return sets.map((s) => ({ modality: s.modality, source: s.source, origin: s.origin, frames: s.frames.length }));
}

/** `real`, `generated` or `real+generated` for a list of sets. */
export function originOf(sets: FrameSet[]): string {
  const kinds = [...new Set(sets.map((s) => s.origin))].sort((a, b) => (a === 'real' ? -1 : b === 'real' ? 1 : 0));
  return kinds.join('+') || 'none';
}

/** All frames of a modality across sets, in order. */
function framesOf(sets: FrameSet[], modality: ModalityId): PreparedFrame[] {
  return sets.filter((s) => s.modality === modality).flatMap((s) => s.frames);
}

/**
 * Checks that every modality an entry reads has frames, and that frames fit its input.
 * @throws EdgeError E_CALIBRATION naming the entry, the modality and what is missing or wrong
 */
export function checkFramesFor(entry: EntryManifest, sets: FrameSet[], role: 'calibration' | 'held-out'): void {
  for (const input of entry.inputs) {
    if (!input.modality) throw new EdgeError('E_CALIBRATION', `entry ${entry.name} input ${input.name} declares no modality, so no ${role} frames can be chosen for it`, { field: `entries.${entry.name}` });
    const frames = framesOf(sets, input.modality);
    const have = [...new Set(sets.map((s) => s.modality))].join(', ') || 'none';
    if (frames.length === 0) {
      throw new EdgeError('E_CALIBRATION', `entry ${entry.name} reads ${input.modality} frames but the ${role} frames are ${have}`, {
        field: role === 'calibration' ? '--calibration' : '--held-out',
        hint: `add ${input.modality}=<frames>, or generated:${input.modality}:<count>, or limit the entries with --entries`,
      });
    }
    const [, c, h, w] = input.shape;
    const bad = frames.find((f) => f.channels !== c || f.height !== h || f.width !== w);
    if (bad) {
      throw new EdgeError('E_CALIBRATION', `${role} frame ${bad.id} is ${bad.channels}×${bad.height}×${bad.width} but entry ${entry.name} input ${input.name} (${input.modality}) needs ${c}×${h}×${w}`, {
        field: role === 'calibration' ? '--calibration' : '--held-out',
      });
    }
  }
}

/**
 * The batches an entry reads: input k of a single-frame or fusion entry gets frame i of its
 * modality; a change entry's second date gets the next frame of the same modality (so the two
 * dates differ). The count is the smallest frame count among the entry's modalities.
 */
export function* entryBatches(entry: EntryManifest, sets: FrameSet[], batchSize: number): Generator<Record<string, HostTensor>> {
  const lists = entry.inputs.map((input) => framesOf(sets, input.modality!));
  const count = Math.min(...lists.map((l) => l.length));
  const isChange = entry.kind === 'change';
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const feeds: Record<string, HostTensor> = {};
    entry.inputs.forEach((input, k) => {
      const list = lists[k]!;
      const first = list[0]!;
      const per = first.channels * first.height * first.width;
      const data = new Float32Array(n * per);
      for (let j = 0; j < n; j++) {
        const i = start + j;
        const f = isChange && k === 1 ? list[(i + 1) % list.length]! : list[i]!;
        data.set(f.data, j * per);
      }
      feeds[input.name] = { dtype: 'float32', shape: [n, first.channels, first.height, first.width], data };
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
    throw new EdgeError('E_CALIBRATION', `held-out frame ${shared.id} is also a calibration frame; fidelity must be measured on frames calibration did not see`, {
      field: '--held-out',
      hint: 'name other frames with --held-out, or leave it out to hold back part of the calibration frames',
    });
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
