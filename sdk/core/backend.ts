/**
 * The one inference-backend interface. onnxruntime-node and the TensorRT addon implement it;
 * everything above (sessions, pipeline, tools) speaks only these types.
 */
import type { HostTensor } from './host-tensor.js';

export type BackendName = 'onnxruntime' | 'tensorrt';

/** Whether a backend can run here, and why not. */
export interface BackendAvailability {
  available: boolean;
  /** Human reason when unavailable, e.g. `tensorrt unavailable: libnvinfer.so.10 not found`. */
  reason?: string;
  /** Devices or providers the backend found (e.g. `cpu`, `cuda:0`, `sm_87`). */
  devices?: string[];
  version?: string;
}

export interface BackendLoadOptions {
  /** Absolute path of the ONNX graph (external data resolves relative to it). */
  graphPath: string;
  /** Preferred precision; backends that cannot honour it say so in `BackendSession.info`. */
  precision?: 'fp32' | 'fp16' | 'int8';
  /** Intra-op threads for CPU backends. */
  threads?: number;
  /** Largest batch the caller will send. */
  maxBatch?: number;
  /** Backend-specific extras (engine cache dir, DLA core, ...). */
  extra?: Record<string, unknown>;
}

/** A loaded model on one backend. */
export interface BackendSession {
  readonly backend: BackendName;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** What the backend actually does (provider, precision, engine file, fallbacks with reasons). */
  readonly info: Record<string, unknown>;
  /** Runs one batch. Never blocks the event loop for the duration of the inference. */
  run(feeds: Record<string, HostTensor>, outputs?: readonly string[]): Promise<Record<string, HostTensor>>;
  /** Frees the model. Idempotent. */
  dispose(): Promise<void>;
}

export interface Backend {
  readonly name: BackendName;
  availability(): Promise<BackendAvailability>;
  load(options: BackendLoadOptions): Promise<BackendSession>;
}
