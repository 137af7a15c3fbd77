/**
 * Running the model inputs of several preprocessed frames through one entry in batches of at most
 * `maxBatch`, then splitting the outputs back per frame (N = that frame's model inputs, in order).
 */
import { EdgeError } from '../core/errors.js';
import type { EntryManifest } from '../package/package-manifest.js';
import type { PreprocessedFrame } from '../sensors/geometry/layout.js';
import type { HostTensor, TypedArray } from '../core/host-tensor.js';

type Ctor = { new (n: number): TypedArray };

function ctorOf(data: TypedArray): Ctor {
  return data.constructor as Ctor;
}

/** The model inputs of a frame, one view of C·H·W floats each, in tile order. */
export function frameInputs(frame: PreprocessedFrame): Float32Array[] {
  const out: Float32Array[] = [];
  for (const b of frame.batches) {
    const per = b.shape[1] * b.shape[2] * b.shape[3];
    for (let i = 0; i < b.shape[0]; i++) out.push(b.data.subarray(i * per, (i + 1) * per));
  }
  return out;
}

/** Concatenates per-item slices of one output into a tensor with N = slices.length. */
function stack(parts: { data: TypedArray; rest: number[]; dtype: HostTensor['dtype'] }[]): HostTensor {
  const first = parts[0]!;
  if (parts.length === 1) return { dtype: first.dtype, shape: [1, ...first.rest], data: first.data };
  const per = first.data.length;
  const data = new (ctorOf(first.data))(per * parts.length);
  parts.forEach((p, i) => (data as Float32Array).set(p.data as Float32Array, i * per));
  return { dtype: first.dtype, shape: [parts.length, ...first.rest], data };
}

/**
 * Runs single-input frames through `entry`.
 * @param run runs one batch: feeds → outputs
 * @returns per frame, each requested output stacked over the frame's inputs
 * @throws EdgeError E_FRAME_INVALID when a frame's inputs do not have the entry's shape
 */
export async function runFrames(
  entry: EntryManifest,
  frames: PreprocessedFrame[],
  maxBatch: number,
  run: (feeds: Record<string, HostTensor>) => Promise<Record<string, HostTensor>>,
): Promise<Record<string, HostTensor>[]> {
  const input = entry.inputs[0]!;
  // Symbolic dimensions (an imported dynamic model) take the size the frames were preprocessed to.
  const at = frames[0]?.layout.input;
  const [c, h, w] = input.shape
    .slice(1)
    .map((d, k) => (typeof d === 'number' && d >= 1 ? d : at ? [at.channels, at.height, at.width][k]! : 0)) as [
    number,
    number,
    number,
  ];
  const per = c * h * w;
  const items: { frame: number; data: Float32Array }[] = [];
  frames.forEach((f, i) => {
    for (const t of frameInputs(f)) {
      if (t.length !== per) {
        throw new EdgeError(
          'E_FRAME_INVALID',
          `frame ${JSON.stringify(f.layout.frameId)}: model input has ${t.length} values but entry ${entry.name} takes ${c}×${h}×${w}`,
          { field: 'frame.modality' },
        );
      }
      items.push({ frame: i, data: t });
    }
  });
  const perFrame: Map<string, { data: TypedArray; rest: number[]; dtype: HostTensor['dtype'] }[]>[] = frames.map(
    () => new Map(),
  );
  for (let start = 0; start < items.length; start += maxBatch) {
    const chunk = items.slice(start, start + maxBatch);
    let data: Float32Array;
    if (chunk.length === 1) data = chunk[0]!.data;
    else {
      data = new Float32Array(per * chunk.length);
      chunk.forEach((it, k) => data.set(it.data, k * per));
    }
    const outputs = await run({ [input.name]: { dtype: 'float32', shape: [chunk.length, c, h, w], data } });
    for (const [name, t] of Object.entries(outputs)) {
      const rest = t.shape.slice(1);
      const size = rest.reduce((a, b) => a * b, 1);
      chunk.forEach((it, k) => {
        const list = perFrame[it.frame]!.get(name) ?? [];
        list.push({ data: t.data.subarray(k * size, (k + 1) * size) as TypedArray, rest, dtype: t.dtype });
        perFrame[it.frame]!.set(name, list);
      });
    }
  }
  return perFrame.map((m) => Object.fromEntries([...m].map(([name, parts]) => [name, stack(parts)])));
}
