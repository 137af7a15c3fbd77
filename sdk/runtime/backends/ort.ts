/**
 * The onnxruntime-node backend: CPU everywhere, CUDA where the user's onnxruntime install has it.
 */
import { EdgeError, messageOf } from '../../core/errors.js';
import type { DType } from '../../core/package-manifest.js';
import type { Backend, BackendAvailability, BackendLoadOptions, BackendSession, HostTensor, TypedArray } from '../backend.js';

type Ort = typeof import('onnxruntime-node');
let ortModule: Promise<Ort> | undefined;

/** onnxruntime-node, imported on first use. */
export function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

const ORT_TYPES: Record<DType, string> = { float32: 'float32', float16: 'float16', int64: 'int64', int32: 'int32', int8: 'int8', uint8: 'uint8', bool: 'bool' };

function toHost(t: { type: string; dims: readonly number[]; data: unknown }, name: string): HostTensor {
  const dtype = (Object.keys(ORT_TYPES) as DType[]).find((k) => ORT_TYPES[k] === t.type);
  if (!dtype) throw new EdgeError('E_INFERENCE', `output ${name} has element type ${t.type}, which the SDK does not handle`);
  return { dtype, shape: [...t.dims], data: t.data as TypedArray };
}

class OrtSession implements BackendSession {
  readonly backend = 'onnxruntime' as const;
  private disposed = false;

  constructor(
    private readonly ort: Ort,
    private readonly session: import('onnxruntime-node').InferenceSession,
    readonly info: Record<string, unknown>,
  ) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Record<string, HostTensor>, outputs?: readonly string[]): Promise<Record<string, HostTensor>> {
    if (this.disposed) throw new EdgeError('E_CLOSED', 'session was disposed');
    const ortFeeds: Record<string, import('onnxruntime-node').Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      ortFeeds[name] = new this.ort.Tensor(ORT_TYPES[t.dtype] as 'float32', t.data as Float32Array, t.shape);
    }
    let result: Record<string, { type: string; dims: readonly number[]; data: unknown }>;
    try {
      result = outputs ? await this.session.run(ortFeeds, outputs as string[]) : await this.session.run(ortFeeds);
    } catch (err) {
      throw new EdgeError('E_INFERENCE', `onnxruntime failed: ${messageOf(err)}`, { cause: err });
    }
    const out: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(result)) out[name] = toHost(t, name);
    return out;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.session.release();
  }
}

/** The onnxruntime-node backend. */
export class OrtBackend implements Backend {
  readonly name = 'onnxruntime' as const;

  async availability(): Promise<BackendAvailability> {
    try {
      const ort = await loadOrt();
      const providers = (ort as unknown as { listSupportedBackends?: () => { name: string }[] }).listSupportedBackends?.().map((b) => b.name) ?? ['cpu'];
      return { available: true, devices: providers, version: ort.env.versions?.node ?? 'unknown' };
    } catch (err) {
      return { available: false, reason: `onnxruntime-node cannot load: ${messageOf(err)}` };
    }
  }

  /**
   * Loads a graph. With `extra.executionProviders` (e.g. `['cuda', 'cpu']`) a user's GPU build is used.
   * @throws EdgeError E_BACKEND_INIT naming the graph and onnxruntime's reason
   */
  async load(o: BackendLoadOptions): Promise<BackendSession> {
    const ort = await loadOrt();
    const providers = (o.extra?.executionProviders as string[] | undefined) ?? ['cpu'];
    try {
      const session = await ort.InferenceSession.create(o.graphPath, {
        executionProviders: providers,
        graphOptimizationLevel: 'all',
        ...(o.threads !== undefined ? { intraOpNumThreads: o.threads } : {}),
        logSeverityLevel: 3,
      });
      return new OrtSession(ort, session, { provider: providers[0], precision: o.precision ?? 'fp32', graph: o.graphPath });
    } catch (err) {
      throw new EdgeError('E_BACKEND_INIT', `onnxruntime cannot load the graph: ${messageOf(err)}`, { file: o.graphPath, cause: err });
    }
  }
}
