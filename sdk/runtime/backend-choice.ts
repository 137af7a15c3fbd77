/**
 * Resolving `backend: 'auto' | 'onnxruntime' | 'tensorrt'` to a backend, keeping the reasons of
 * the backends skipped on the way (shown in metrics: `onnxruntime (tensorrt unavailable: ...)`).
 */
import { EdgeError } from '../core/errors.js';
import type { Backend, BackendName } from '../core/backend.js';
import { OrtBackend } from './backends/ort.js';
import { OrtWorkerBackend } from './backends/ort-worker.js';
import { selectBackend, type BackendSelection } from './backends/select.js';
import { TensorRtBackend } from './backends/trt.js';

/** A backend by name, or `auto`: TensorRT where it can run, else onnxruntime. */
export type BackendChoice = 'auto' | BackendName;

/** Which thread runs onnxruntime sessions: a worker thread per session (default) or the calling thread. */
export type OrtSessionThread = 'worker' | 'main';

/**
 * @param choice `auto` tries TensorRT first, then onnxruntime
 * @param backends override the implementations (tests, custom backends)
 * @param ort `sessionThread`: the built-in onnxruntime backend's sessions run in worker threads
 *   (`worker`, default: the event loop stays free while a model runs) or on the calling thread (`main`)
 * @throws EdgeError E_BACKEND_UNAVAILABLE with the reason when an explicitly named backend cannot run
 * @example
 * const { backend, skipped } = await chooseBackend('auto', undefined, { sessionThread: 'worker' });
 */
export async function chooseBackend(
  choice: BackendChoice,
  backends?: { tensorrt?: Backend; onnxruntime?: Backend },
  ort: { sessionThread?: OrtSessionThread } = {},
): Promise<BackendSelection> {
  const trt = backends?.tensorrt ?? new TensorRtBackend();
  const onnx = backends?.onnxruntime ?? (ort.sessionThread === 'main' ? new OrtBackend() : new OrtWorkerBackend());
  if (choice === 'auto') return selectBackend([trt, onnx]);
  const backend = choice === 'tensorrt' ? trt : onnx;
  const a = await backend.availability();
  if (!a.available)
    throw new EdgeError('E_BACKEND_UNAVAILABLE', a.reason ?? `${choice} unavailable`, {
      field: 'backend',
      hint: "use backend: 'auto' to fall back",
    });
  return { backend, skipped: [] };
}
