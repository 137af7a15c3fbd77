/**
 * Model outputs as task post-processing receives them: one tensor, or one per batch of a frame (in
 * batch order), checked against the contract and the frame's layout, converted to float32 (float16 bit
 * patterns included) or integer class ids.
 */
import { EdgeError } from '../core/errors.js';
import type { HostTensor } from '../core/host-tensor.js';
import type { FrameLayout } from '../sensors/geometry/layout.js';
import { halfToFloat } from '../core/float16.js';

/** One output of a frame: a tensor, or the tensors of its batches in order. */
export type TaskOutput = HostTensor | readonly HostTensor[];

/** What post-processing needs of a preprocessed frame (a `PreprocessedFrame` fits). */
export interface FrameContext {
  layout: FrameLayout;
  /** Source-resolution no-data mask (1 = no data). */
  noDataMask?: Uint8Array;
}

/** An output concatenated over batches. `data` may be the tensor's own array: read it, do not modify it. */
export interface StackedOutput {
  shape: number[];
  data: Float32Array;
}

function fail(name: string, why: string): EdgeError {
  return new EdgeError('E_MODEL_OUTPUT', `output ${name}: ${why}`, { field: name });
}

function asList(output: TaskOutput): readonly HostTensor[] {
  return Array.isArray(output) ? (output as readonly HostTensor[]) : [output as HostTensor];
}

/**
 * Concatenates an output over batches along N and checks its rank, trailing dims and total N.
 * @param rank expected rank including N
 * @param trailing expected sizes after N (undefined entries are free)
 * @param n expected total N (the frame's tile count)
 * @throws EdgeError E_MODEL_OUTPUT naming the output
 */
export function stackOutput(
  name: string,
  output: TaskOutput,
  rank: number,
  trailing: (number | undefined)[],
  n: number,
): StackedOutput {
  const list = asList(output);
  if (list.length === 0) throw fail(name, 'no tensor given');
  let shape: number[] | undefined;
  let total = 0;
  for (const [i, t] of list.entries()) {
    if (!t || !Array.isArray(t.shape) || !ArrayBuffer.isView(t.data))
      throw fail(name, `batch ${i} is not a tensor { dtype, shape, data }`);
    if (t.shape.length !== rank) throw fail(name, `has shape [${t.shape.join(', ')}], expected rank ${rank}`);
    const rest = t.shape.slice(1);
    for (let k = 0; k < trailing.length; k++) {
      const want = trailing[k];
      if (want !== undefined && rest[k] !== want)
        throw fail(name, `has shape [${t.shape.join(', ')}], expected dimension ${k + 1} to be ${want}`);
    }
    if (shape && rest.some((d, k) => d !== shape![k + 1]))
      throw fail(name, `batches disagree on shape: [${t.shape.join(', ')}] vs [${shape.join(', ')}]`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== count) throw fail(name, `has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    shape ??= [...t.shape];
    total += t.shape[0]!;
  }
  if (total !== n) throw fail(name, `covers ${total} item(s) but the frame has ${n} model input(s)`);
  // One float32 tensor (the usual case): its own array, not a copy.
  if (list.length === 1 && list[0]!.dtype !== 'float16' && list[0]!.data instanceof Float32Array)
    return { shape: shape!, data: list[0]!.data };
  const per = shape!.slice(1).reduce((a, b) => a * b, 1);
  const data = new Float32Array(total * per);
  let o = 0;
  for (const t of list) {
    const src = t.data;
    if (t.dtype === 'float16') for (let i = 0; i < src.length; i++) data[o + i] = halfToFloat(Number(src[i]));
    else if (src instanceof Float32Array) data.set(src, o);
    else for (let i = 0; i < src.length; i++) data[o + i] = Number(src[i]);
    o += src.length;
  }
  shape![0] = total;
  return { shape: shape!, data };
}

/**
 * Throws unless every value is finite (and within [lo, hi] when given, with a small tolerance).
 * @throws EdgeError E_MODEL_OUTPUT naming the output and the first bad value
 */
export function checkValues(name: string, data: Float32Array, lo = -Infinity, hi = Infinity, tolerance = 1e-3): void {
  let ok = true;
  if (lo === -Infinity && hi === Infinity) {
    // Only finiteness: v·0 is NaN for NaN and ±Infinity, so one sum tells (4 lanes for the JIT).
    let acc = 0;
    const n4 = data.length - (data.length % 4);
    for (let i = 0; i < n4; i += 4) acc += data[i]! * 0 + data[i + 1]! * 0 + data[i + 2]! * 0 + data[i + 3]! * 0;
    for (let i = n4; i < data.length; i++) acc += data[i]! * 0;
    ok = acc === 0;
  } else {
    // `v - v === 0` is false for NaN and ±Infinity; comparisons are false for NaN.
    const a = lo - tolerance;
    const b = hi + tolerance;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!(v - v === 0 && v >= a && v <= b)) {
        ok = false;
        break;
      }
    }
  }
  if (ok) return;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) throw fail(name, `value ${i} is ${v}; outputs must be finite`);
    if (v < lo - tolerance || v > hi + tolerance)
      throw fail(name, `value ${i} is ${v}, outside the documented range [${lo}, ${hi}]`);
  }
}

/** The label of class `id`: `labels[id]`, else `class_<id>`. */
export function labelOf(labels: readonly string[] | undefined, id: number): string {
  return labels?.[id] ?? `class_${id}`;
}

/**
 * Throws when labels are given and their count differs from the model's class count.
 * @throws EdgeError E_MODEL_OUTPUT
 */
export function checkLabels(name: string, labels: readonly string[] | undefined, classes: number): void {
  if (labels && labels.length !== classes)
    throw fail(name, `has ${classes} classes but ${labels.length} labels were given`);
}
