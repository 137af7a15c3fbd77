/**
 * Picks the first available backend in priority order and keeps each skipped backend's reason, so
 * a caller can say "using onnxruntime (tensorrt unavailable: ...)".
 */
import { EdgeError } from '../../core/errors.js';
import type { Backend, BackendName } from '../../core/backend.js';

/** The chosen backend and why the ones before it were skipped. */
export interface BackendSelection {
  backend: Backend;
  skipped: { name: BackendName; reason: string }[];
}

/**
 * @param backends in priority order, e.g. `[tensorRt, onnxRuntime]`
 * @throws EdgeError E_BACKEND_UNAVAILABLE listing every backend's reason when none is available
 * @example
 * const { backend, skipped } = await selectBackend([new TensorRtBackend(), ort]);
 */
export async function selectBackend(backends: readonly Backend[]): Promise<BackendSelection> {
  const skipped: BackendSelection['skipped'] = [];
  for (const backend of backends) {
    let reason: string;
    try {
      const a = await backend.availability();
      if (a.available) return { backend, skipped };
      reason = a.reason ?? `${backend.name} unavailable`;
    } catch (err) {
      reason = `${backend.name} unavailable: ${(err as Error).message}`;
    }
    skipped.push({ name: backend.name, reason });
  }
  throw new EdgeError(
    'E_BACKEND_UNAVAILABLE',
    `no inference backend is available: ${skipped.map((s) => s.reason).join('; ')}`,
  );
}
