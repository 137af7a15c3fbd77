/**
 * Messages between the preprocessing pool and its workers, and how errors and buffers cross the
 * thread boundary: EdgeErrors keep their code, file, field and hint; result buffers are transferred,
 * never copied.
 */
import { EdgeError, type ErrorCode, ERROR_CODES } from '../../core/errors.js';
import type { Frame } from '../frame.js';
import type { PreprocessedFrame } from '../geometry/layout.js';
import type { PreprocessOptions } from './preprocess-options.js';

/** Main thread → worker. */
export interface JobMessage {
  id: number;
  frame: Frame;
  options: PreprocessOptions;
}

/** An error as it crosses threads. */
export interface WireError {
  code?: ErrorCode;
  message: string;
  file?: string;
  field?: string;
  hint?: string;
}

/** Worker → main thread. */
export type ResultMessage =
  { id: number; ok: true; result: PreprocessedFrame } | { id: number; ok: false; error: WireError };

/** Worker settings passed as workerData. */
export interface WorkerSettings {
  vipsThreads: number;
}

/** An error in wire form. */
export function toWire(err: unknown): WireError {
  if (err instanceof EdgeError) {
    return {
      code: err.code,
      message: err.message,
      ...(err.file !== undefined ? { file: err.file } : {}),
      ...(err.field !== undefined ? { field: err.field } : {}),
      ...(err.hint !== undefined ? { hint: err.hint } : {}),
    };
  }
  return { message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}

/**
 * The EdgeError for a wire error. Errors that were not EdgeErrors in the worker are bugs there:
 * they come back as E_INTERNAL naming the frame.
 */
export function fromWire(w: WireError, frameId: string): EdgeError {
  if (w.code && w.code in ERROR_CODES) {
    const err = new EdgeError(w.code, 'x');
    // The message already carries the file/field prefix: restore it verbatim.
    Object.defineProperty(err, 'message', { value: w.message, enumerable: false, writable: true, configurable: true });
    const m = err as { -readonly [K in 'file' | 'field' | 'hint']?: string };
    if (w.file !== undefined) m.file = w.file;
    if (w.field !== undefined) m.field = w.field;
    if (w.hint !== undefined) m.hint = w.hint;
    return err;
  }
  return new EdgeError(
    'E_INTERNAL',
    `preprocessing frame ${JSON.stringify(frameId)} failed unexpectedly in a worker: ${w.message}`,
  );
}

/** Distinct ArrayBuffers of a result, for the transfer list. */
export function resultTransferList(r: PreprocessedFrame): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const b of r.batches) set.add(b.data.buffer as ArrayBuffer);
  if (r.noDataMask) set.add(r.noDataMask.buffer as ArrayBuffer);
  return [...set].filter((b) => !(b instanceof SharedArrayBuffer));
}

/**
 * Prepares a frame's pixels for posting: a view covering its whole ArrayBuffer is transferred (the
 * caller's array is detached) when `transfer` is true; otherwise the view's bytes are copied once, so
 * a small view of a large buffer never drags the whole buffer along.
 */
export function framePayload(frame: Frame, transfer: boolean): { frame: Frame; transferList: ArrayBuffer[] } {
  const px = frame.pixels;
  const view =
    px instanceof Uint8Array
      ? px
      : typeof px === 'object' && px !== null && ArrayBuffer.isView((px as { data?: unknown }).data)
        ? (px as { data: ArrayBufferView }).data
        : undefined;
  if (!view) return { frame, transferList: [] };
  const whole =
    view.byteOffset === 0 && view.byteLength === view.buffer.byteLength && !(view.buffer instanceof SharedArrayBuffer);
  if (transfer && whole) return { frame, transferList: [view.buffer as ArrayBuffer] };
  const copy = new (view.constructor as new (b: ArrayBuffer) => ArrayBufferView)(
    view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength) as ArrayBuffer,
  );
  const pixels = px instanceof Uint8Array ? new Uint8Array(copy.buffer) : { ...(px as object), data: copy };
  return { frame: { ...frame, pixels: pixels as Frame['pixels'] }, transferList: [copy.buffer as ArrayBuffer] };
}
