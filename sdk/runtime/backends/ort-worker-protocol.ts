/**
 * Messages between an OrtWorkerBackend session and its worker thread, and how tensors cross: a
 * typed array that spans its whole ArrayBuffer is transferred (moved, no copy; the sender's array
 * is detached); a view of part of a buffer is copied once, so it never drags the whole buffer
 * along. Errors cross as reasons; the receiving side builds the EdgeError (ort-common.ts), so both
 * backends word them alike and stacks point at the caller.
 */
import { isShared, ownedCopy, type OrtSessionSettings, type GraphInput, type OrtOutput } from './ort-common.js';

/** A tensor as it crosses threads: onnxruntime's element type, dimensions and data. */
export interface WireTensor {
  type: string;
  dims: number[];
  data: ArrayBufferView;
}

/** Main → worker, as workerData: the session to create. */
export type WorkerSettings = OrtSessionSettings;

/** Main → worker. */
export type ToWorker =
  { type: 'run'; id: number; feeds: Record<string, WireTensor>; outputs?: string[] } | { type: 'release' };

/** Worker → main. */
export type FromWorker =
  | { type: 'ready'; inputs: GraphInput[]; outputNames: string[] }
  | { type: 'load-failed'; reason: string }
  | { type: 'result'; id: number; outputs: Record<string, OrtOutput> }
  | { type: 'run-failed'; id: number; reason: string }
  | { type: 'released' };

/**
 * Prepares tensors for posting without copying what can be moved: a buffer that some tensor's data
 * spans whole is moved (when `transfer` is on), and every view of it crosses with it; any other
 * view is copied once (just its bytes) and the copy moved. Views of a SharedArrayBuffer are copied
 * too (onnxruntime refuses shared memory). Returns the tensors to post and the distinct buffers to move (postMessage refuses a buffer
 * listed twice).
 */
export function wireTensors<T extends { data: ArrayBufferView }>(
  tensors: Record<string, T>,
  transfer: boolean,
): { tensors: Record<string, T>; transferList: ArrayBuffer[] } {
  const moves = new Set<ArrayBuffer>();
  if (transfer) {
    for (const t of Object.values(tensors)) {
      const v = t.data;
      if (!isShared(v) && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength)
        moves.add(v.buffer as ArrayBuffer);
    }
  }
  const out: Record<string, T> = {};
  const copies = new Map<ArrayBufferView, ArrayBufferView>();
  for (const [name, t] of Object.entries(tensors)) {
    const v = t.data;
    if (moves.has(v.buffer as ArrayBuffer)) {
      out[name] = t;
      continue;
    }
    let copy = copies.get(v);
    if (!copy) {
      // Shared memory is copied too: onnxruntime takes tensors only over an ArrayBuffer of their own.
      copy = ownedCopy(v);
      copies.set(v, copy);
    }
    out[name] = { ...t, data: copy };
  }
  for (const c of copies.values()) moves.add(c.buffer as ArrayBuffer);
  return { tensors: out, transferList: [...moves] };
}
