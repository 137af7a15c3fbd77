/**
 * Fidelity of a pruned package against its source on held-out frames: every kept entry runs on
 * the same frames in both packages and tools/fidelity compares the outputs.
 */
import { join } from 'node:path';
import type { ModalitySpec } from '../../sdk/internal.js';
import type { EntryManifest, PackageManifest } from '../../sdk/internal.js';
import type { HostTensor } from '../../sdk/internal.js';
import { OrtBackend } from '../../sdk/internal.js';
import { compareSessions, type EntryFidelity, type FidelityOptions } from '../fidelity/report.js';
import { expandInputs, type Frame, type FrameSize } from '../frames/frame.js';

/** Which frames a fidelity measurement used. */
export interface FrameSummary {
  count: number;
  source: 'real' | 'generated' | 'mixed';
  ids: string[];
}

/** Summary of a frame set for reports. */
export function summariseFrames(frames: Frame[]): FrameSummary {
  const kinds = new Set(frames.map((f) => f.source));
  return {
    count: frames.length,
    source: kinds.size > 1 ? 'mixed' : (frames[0]?.source ?? 'generated'),
    ids: frames.map((f) => f.id),
  };
}

/**
 * Feeds for `entry` built from `frames`, `batch` model inputs at a time. Each frame gives one or
 * more inputs per modality (tiles); input i of a single-modality entry is the i-th input; a fusion
 * entry gives each modality's input i preprocessed for that modality (as many as the modality with
 * fewest); change entries pair input i (t0) with input i+1 (t1).
 */
export async function* entryBatches(
  entry: EntryManifest,
  modalities: ModalitySpec[],
  frames: Frame[],
  size: FrameSize,
  batch: number,
): AsyncGenerator<Record<string, HostTensor>> {
  const specs = entry.inputs.map((input) => modalities.find((m) => m.id === input.modality)!);
  const lists = new Map<string, Float32Array[]>();
  for (const spec of specs)
    if (!lists.has(spec.id))
      lists.set(
        spec.id,
        (await expandInputs(frames, spec, size)).map((x) => x.tensor),
      );
  const count = Math.min(...[...lists.values()].map((l) => l.length));
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    const feeds: Record<string, HostTensor> = {};
    entry.inputs.forEach((input, j) => {
      const spec = specs[j]!;
      const list = lists.get(spec.id)!;
      const per = spec.channels * size.height * size.width;
      const data = new Float32Array(n * per);
      const shift = input.role === 'image-t1' ? 1 : 0;
      for (let k = 0; k < n; k++) data.set(list[(i + k + shift) % count]!, k * per);
      feeds[input.name] = { dtype: 'float32', shape: [n, spec.channels, size.height, size.width], data };
    });
    yield feeds;
  }
}

/**
 * Compares every entry of `candidate` with the same-named entry of `reference`.
 * @param onEntry progress callback after each entry
 */
export async function packageFidelity(
  reference: { dir: string; manifest: PackageManifest },
  candidate: { dir: string; manifest: PackageManifest },
  frames: Frame[],
  o: { batch?: number; fidelity?: FidelityOptions; onEntry?: (done: number, total: number, name: string) => void } = {},
): Promise<EntryFidelity[]> {
  const size = reference.manifest.model.inputSize!;
  const backend = new OrtBackend();
  const out: EntryFidelity[] = [];
  for (const [i, entry] of candidate.manifest.entries.entries()) {
    const refEntry = reference.manifest.entries.find((e) => e.name === entry.name)!;
    const ref = await backend.load({ graphPath: join(reference.dir, refEntry.graph) });
    const cand = await backend.load({ graphPath: join(candidate.dir, entry.graph) });
    try {
      out.push(
        await compareSessions(
          entry,
          ref,
          cand,
          entryBatches(entry, reference.manifest.modalities, frames, size, o.batch ?? 4),
          o.fidelity ?? {},
        ),
      );
    } finally {
      await ref.dispose();
      await cand.dispose();
    }
    o.onEntry?.(i + 1, candidate.manifest.entries.length, entry.name);
  }
  return out;
}
