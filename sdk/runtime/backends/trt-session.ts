/**
 * A loaded TensorRT engine as a {@link BackendSession}: checks feeds against the engine's I/O
 * description before they cross into native code, and turns results into HostTensors.
 */
import type { NativeEngine, NativeTensorInfo } from '../../core/binding.js';
import { EdgeError } from '../../core/errors.js';
import type { BackendSession } from '../../core/backend.js';
import { TYPED_ARRAY_CLASS, type HostTensor, type TypedArray } from '../../core/host-tensor.js';

/** Throws E_INVALID_ARGUMENT unless `feed` fits the engine input `info`. */
export function checkFeed(info: NativeTensorInfo, feed: HostTensor | undefined): void {
  const field = `feeds.${info.name}`;
  if (!feed) throw new EdgeError('E_INVALID_ARGUMENT', `input ${info.name} was not given`, { field });
  if (feed.dtype !== info.dtype)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `input ${info.name} is ${feed.dtype} but the engine takes ${info.dtype}`,
      { field },
    );
  const cls = (feed.data as { constructor?: { name?: string } }).constructor?.name;
  if (cls !== TYPED_ARRAY_CLASS[info.dtype]) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `input ${info.name} data must be a ${TYPED_ARRAY_CLASS[info.dtype]} for ${info.dtype} (got ${cls ?? typeof feed.data})`,
      { field },
    );
  }
  const fits =
    Array.isArray(feed.shape) &&
    feed.shape.length === info.shape.length &&
    feed.shape.every((d, i) => {
      if (!Number.isInteger(d) || d < 0) return false;
      if (info.shape[i]! >= 0) return d === info.shape[i];
      return !info.profile || (d >= info.profile.min[i]! && d <= info.profile.max[i]!);
    });
  if (!fits) {
    const range = info.profile ? ` (batch range ${info.profile.min.join('x')} .. ${info.profile.max.join('x')})` : '';
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `input ${info.name} has shape [${String(feed.shape)}] but the engine takes [${info.shape.join(',')}]${range}`,
      { field },
    );
  }
  const count = feed.shape.reduce((a, b) => a * b, 1);
  if (feed.data.length !== count) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `input ${info.name} holds ${feed.data.length} values but shape [${feed.shape.join(',')}] needs ${count}`,
      { field },
    );
  }
}

/** BackendSession over a native engine. */
export class TrtSession implements BackendSession {
  readonly backend = 'tensorrt' as const;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private readonly io: NativeTensorInfo[];
  private engine: NativeEngine | undefined;

  /** @param info what the backend did (engine file, cache status, versions, notes) */
  constructor(
    engine: NativeEngine,
    readonly info: Record<string, unknown>,
  ) {
    this.engine = engine;
    this.io = engine.describe();
    this.inputNames = this.io.filter((t) => t.mode === 'input').map((t) => t.name);
    this.outputNames = this.io.filter((t) => t.mode === 'output').map((t) => t.name);
  }

  /** Engine I/O as TensorRT describes it (dynamic dims are -1). */
  describe(): NativeTensorInfo[] {
    return this.io.map((t) => ({ ...t }));
  }

  /**
   * Runs one batch off the JS thread.
   * @throws EdgeError E_CLOSED after dispose, E_INVALID_ARGUMENT for feeds that do not fit, E_INFERENCE
   */
  async run(feeds: Record<string, HostTensor>, outputs?: readonly string[]): Promise<Record<string, HostTensor>> {
    const engine = this.engine;
    if (!engine) throw new EdgeError('E_CLOSED', 'the TensorRT session was disposed');
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name)) {
        throw new EdgeError(
          'E_INVALID_ARGUMENT',
          `the engine has no input ${name}; inputs: ${this.inputNames.join(', ')}`,
          { field: `feeds.${name}` },
        );
      }
    }
    for (const name of outputs ?? []) {
      if (!this.outputNames.includes(name)) {
        throw new EdgeError(
          'E_INVALID_ARGUMENT',
          `the engine has no output ${name}; outputs: ${this.outputNames.join(', ')}`,
          { field: 'outputs' },
        );
      }
    }
    const inputs = this.io
      .filter((t) => t.mode === 'input')
      .map((t) => {
        const feed = feeds[t.name];
        checkFeed(t, feed);
        return { name: t.name, dtype: feed!.dtype, shape: [...feed!.shape], data: feed!.data };
      });
    const callSite = new Error();
    let results;
    try {
      results = await engine.run(inputs, [...(outputs ?? [])]);
    } catch (err) {
      // Keep the caller's stack on native errors (sharp-style): the native one ends in the addon.
      if (err instanceof Error && callSite.stack)
        err.stack = `${err.name}: ${err.message}\n${callSite.stack.split('\n').slice(1).join('\n')}`;
      throw err;
    }
    const out: Record<string, HostTensor> = {};
    for (const r of results) out[r.name] = { dtype: r.dtype, shape: r.shape, data: r.data as TypedArray };
    return out;
  }

  /** Frees the engine (GPU memory goes once in-flight runs end). Idempotent. */
  async dispose(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    engine?.dispose();
  }
}
