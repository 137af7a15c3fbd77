/**
 * Resolving `backend: 'auto' | 'onnxruntime' | 'tensorrt'` to a backend, keeping the reasons of
 * the backends skipped on the way (shown in metrics: `onnxruntime (tensorrt unavailable: ...)`).
 */
import { EdgeError } from '../core/errors.js';
import type { Backend, BackendName } from './backend.js';
import { OrtBackend } from './backends/ort.js';
import { selectBackend, type BackendSelection } from './backends/select.js';
import { TensorRtBackend } from './backends/trt.js';

export type BackendChoice = 'auto' | BackendName;

/**
 * @param choice `auto` tries TensorRT first, then onnxruntime
 * @param backends override the implementations (tests, custom backends)
 * @throws EdgeError E_BACKEND_UNAVAILABLE with the reason when an explicitly named backend cannot run
 */
export async function chooseBackend(choice: BackendChoice, backends?: { tensorrt?: Backend; onnxruntime?: Backend }): Promise<BackendSelection> {
  const trt = backends?.tensorrt ?? new TensorRtBackend();
  const ort = backends?.onnxruntime ?? new OrtBackend();
  if (choice === 'auto') return selectBackend([trt, ort]);
  const backend = choice === 'tensorrt' ? trt : ort;
  const a = await backend.availability();
  if (!a.available) throw new EdgeError('E_BACKEND_UNAVAILABLE', a.reason ?? `${choice} unavailable`, { field: 'backend', hint: "use backend: 'auto' to fall back" });
  return { backend, skipped: [] };
}
