/**
 * Fidelity of a pruned package against its source on held-out frames: every kept entry runs on
 * the same frames in both packages and tools/fidelity compares the outputs.
 */
import { join } from 'node:path';
import type { ModalitySpec } from '../../sdk/core/modalities.js';
import type { EntryManifest, PackageManifest } from '../../sdk/core/package-manifest.js';
import type { HostTensor } from '../../sdk/runtime/backend.js';
import { OrtBackend } from '../../sdk/runtime/backends/ort.js';
import { compareSessions, type EntryFidelity, type FidelityOptions } from '../fidelity/report.js';
import type { Frame, FrameSize } from '../calibrate/frames.js';

/** Which frames a fidelity measurement used. */
export interface FrameSummary {
  count: number;
  source: 'real' | 'generated' | 'mixed';
  ids: string[];
}

/** Summary of a frame set for reports. */
export function summariseFrames(frames: Frame[]): FrameSummary {
  const kinds = new Set(frames.map((f) => f.source));
  return { count: frames.length, source: kinds.size > 1 ? 'mixed' : (frames[0]?.source ?? 'generated'), ids: frames.map((f) => f.id) };
}

/**
 * Feeds for `entry` built from `frames`, `batch` frames at a time: single-frame inputs take frame
 * i; a fusion entry gives each modality's input frame i preprocessed for that modality; change
 * entries pair frame i (t0) with frame i+1 (t1).
 */
export async function* entryBatches(entry: EntryManifest, modalities: ModalitySpec[], frames: Frame[], size: FrameSize, batch: number): AsyncGenerator<Record<string, HostTensor>> {
  for (let i = 0; i < frames.length; i += batch) {
    const n = Math.min(batch, frames.length - i);
    const feeds: Record<string, HostTensor> = {};
    for (const input of entry.inputs) {
      const spec = modalities.find((m) => m.id === input.modality)!;
      const per = spec.channels * size.height * size.width;
      const data = new Float32Array(n * per);
      const shift = input.role === 'image-t1' ? 1 : 0;
      for (let k = 0; k < n; k++) data.set(await frames[(i + k + shift) % frames.length]!.tensor(spec, size), k * per);
      feeds[input.name] = { dtype: 'float32', shape: [n, spec.channels, size.height, size.width], data };
    }
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
      out.push(await compareSessions(entry, ref, cand, entryBatches(entry, reference.manifest.modalities, frames, size, o.batch ?? 4), o.fidelity ?? {}));
    } finally {
      await ref.dispose();
      await cand.dispose();
    }
    o.onEntry?.(i + 1, candidate.manifest.entries.length, entry.name);
  }
  return out;
}
