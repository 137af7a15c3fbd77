/**
 * Entries with several image inputs (change detection `image_t0`/`image_t1`, fusion
 * `image_optical`/`image_sar_l2`): the k-th model input of every frame feeds one call, in batches of
 * at most `maxBatch`, and the outputs of the batches are concatenated again.
 */
import { EdgeError } from '../core/errors.js';
import type { EntryManifest } from '../package/package-manifest.js';
import type { PreprocessedFrame } from '../sensors/geometry/layout.js';
import type { HostTensor, TypedArray } from '../core/host-tensor.js';
import { frameInputs } from './batch-run.js';

/**
 * Runs co-registered frames through a multi-input entry.
 * @param frames one preprocessed frame per name in `inputNames`, in that order
 * @param run runs one batch: feeds → outputs
 * @throws EdgeError E_FRAME_INVALID when the frames were fitted to different tile layouts or do not
 *   have the entry's input shape
 */
export async function runMultiInput(
  entry: EntryManifest,
  frames: PreprocessedFrame[],
  inputNames: string[],
  maxBatch: number,
  run: (feeds: Record<string, HostTensor>) => Promise<Record<string, HostTensor>>,
): Promise<Record<string, HostTensor>> {
  const tiles = frames.map(frameInputs);
  const n = tiles[0]!.length;
  if (tiles.some((t) => t.length !== n))
    throw new EdgeError(
      'E_FRAME_INVALID',
      'the frames were fitted to different tile layouts; give co-registered frames of equal size',
    );
  const parts: Record<string, HostTensor>[] = [];
  for (let start = 0; start < n; start += maxBatch) {
    const count = Math.min(maxBatch, n - start);
    const feeds: Record<string, HostTensor> = {};
    inputNames.forEach((name, k) => {
      const spec = entry.inputs.find((i) => i.name === name)!;
      const [c, h, w] = spec.shape.slice(1) as number[];
      const per = c! * h! * w!;
      const data = new Float32Array(per * count);
      for (let i = 0; i < count; i++) {
        const t = tiles[k]![start + i]!;
        if (t.length !== per) {
          throw new EdgeError(
            'E_FRAME_INVALID',
            `frame ${JSON.stringify(frames[k]!.layout.frameId)}: input ${name} of entry ${entry.name} takes ${c}×${h}×${w} values per model input, got ${t.length}`,
            { field: 'frame.modality' },
          );
        }
        data.set(t, i * per);
      }
      feeds[name] = { dtype: 'float32', shape: [count, c!, h!, w!], data };
    });
    parts.push(await run(feeds));
  }
  return concatBatches(parts);
}

/** Concatenates the outputs of consecutive batches along N. */
export function concatBatches(parts: Record<string, HostTensor>[]): Record<string, HostTensor> {
  if (parts.length === 1) return parts[0]!;
  return Object.fromEntries(
    Object.keys(parts[0]!).map((k) => {
      const list = parts.map((p) => p[k]!);
      const total = list.reduce((s, t) => s + t.shape[0]!, 0);
      const size = list.reduce((s, t) => s + t.data.length, 0);
      const data = new (list[0]!.data.constructor as { new (n: number): TypedArray })(size);
      let at = 0;
      for (const t of list) {
        (data as Float32Array).set(t.data as Float32Array, at);
        at += t.data.length;
      }
      return [k, { dtype: list[0]!.dtype, shape: [total, ...list[0]!.shape.slice(1)], data }];
    }),
  );
}
