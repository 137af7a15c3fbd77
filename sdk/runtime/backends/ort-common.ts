/**
 * What both onnxruntime backends share — on the main thread (OrtBackend) and in a worker thread
 * (OrtWorkerBackend): the session options, the checks a feed passes before it reaches
 * onnxruntime, the conversion of onnxruntime's outputs, and the errors. Sharing them is what makes
 * the two variants fail alike: same codes, same messages, same fields.
 */
import { EdgeError } from '../../core/errors.js';
import type { DType } from '../../package/package-manifest.js';
import { invalidOption, is } from '../../core/validate.js';
import type { BackendLoadOptions } from '../../core/backend.js';
import { TYPED_ARRAY_CLASS, type HostTensor, type TypedArray } from '../../core/host-tensor.js';

type Ort = typeof import('onnxruntime-node');
let ortModule: Promise<Ort> | undefined;

/** onnxruntime-node, imported on first use. */
export function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

/** onnxruntime's element type for each SDK dtype. */
export const ORT_TYPES: Record<DType, string> = {
  float32: 'float32',
  float16: 'float16',
  int64: 'int64',
  int32: 'int32',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

/** The settings a session is created with; plain data, so they can cross to a worker thread. */
export interface OrtSessionSettings {
  graphPath: string;
  /** Execution providers in priority order (default `['cpu']`). */
  executionProviders: string[];
  /** onnxruntime's intra-op threads; absent: onnxruntime's default (one per core). */
  intraOpNumThreads?: number;
  precision: string;
  /** onnxruntime's memory settings; each absent one keeps onnxruntime's default. */
  memory: OrtMemorySettings;
}

/**
 * The onnxruntime memory settings a runtime may set through `backendOptions` (onnxruntime's
 * defaults: all three on). Memory-mapped weights are not among them: onnxruntime-node 1.30 loads a
 * package's graph by path and maps an external tensor only when its offset is a multiple of the
 * page size, which the 64-byte alignment of package weight files does not give (docs/runtime.md).
 */
export interface OrtMemorySettings {
  /** `enableMemPattern`: plan activation buffers from the first run's shapes and reuse the plan. */
  enableMemPattern?: boolean;
  /** `enableCpuMemArena`: keep freed CPU buffers in onnxruntime's arena for reuse. */
  enableCpuMemArena?: boolean;
  /** false sets `session.disable_prepacking`: weights stay as stored, with no pre-packed copy for the kernels. */
  prepacking?: boolean;
}

/** The memory settings' names in `backendOptions`. */
export const ORT_MEMORY_OPTIONS = ['enableMemPattern', 'enableCpuMemArena', 'prepacking'] as const;

function memorySettings(extra: Record<string, unknown> | undefined): OrtMemorySettings {
  const memory: OrtMemorySettings = {};
  for (const key of ORT_MEMORY_OPTIONS) {
    const value = extra?.[key];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw invalidOption(`extra.${key}`, 'a boolean', value);
    memory[key] = value;
  }
  return memory;
}

/**
 * The session settings of a load call.
 * @throws EdgeError E_INVALID_ARGUMENT when `extra.executionProviders` is not a list of names, or
 *   `extra.enableMemPattern`, `extra.enableCpuMemArena` or `extra.prepacking` is not a boolean
 */
export function sessionSettings(o: BackendLoadOptions): OrtSessionSettings {
  const providers = o.extra?.executionProviders;
  if (
    providers !== undefined &&
    (!Array.isArray(providers) || providers.length === 0 || !providers.every(is.nonEmptyString))
  ) {
    throw invalidOption(
      'extra.executionProviders',
      "a non-empty list of onnxruntime execution provider names, e.g. ['cuda', 'cpu']",
      providers,
    );
  }
  if (o.threads !== undefined && (!Number.isInteger(o.threads) || o.threads < 1))
    throw invalidOption('threads', 'a positive integer', o.threads);
  return {
    graphPath: o.graphPath,
    executionProviders: (providers as string[] | undefined) ?? ['cpu'],
    ...(o.threads !== undefined ? { intraOpNumThreads: o.threads } : {}),
    precision: o.precision ?? 'fp32',
    memory: memorySettings(o.extra),
  };
}

/** onnxruntime's `InferenceSession.create` options for `s`. */
export function ortSessionOptions(s: OrtSessionSettings): import('onnxruntime-node').InferenceSession.SessionOptions {
  const { enableMemPattern, enableCpuMemArena, prepacking } = s.memory;
  return {
    executionProviders: s.executionProviders,
    graphOptimizationLevel: 'all',
    ...(s.intraOpNumThreads !== undefined ? { intraOpNumThreads: s.intraOpNumThreads } : {}),
    ...(enableMemPattern !== undefined ? { enableMemPattern } : {}),
    ...(enableCpuMemArena !== undefined ? { enableCpuMemArena } : {}),
    // Config entries reach onnxruntime-node's session options as strings (AddConfigEntry).
    ...(prepacking === false ? { extra: { session: { disable_prepacking: '1' } } } : {}),
    logSeverityLevel: 3,
  };
}

/** A graph input as onnxruntime describes it (symbolic dimensions are names). */
export interface GraphInput {
  name: string;
  /** onnxruntime element type; absent for non-tensor inputs. */
  type?: string;
  shape?: (number | string)[];
}

/** A session's inputs from onnxruntime's metadata. */
export function graphInputs(session: import('onnxruntime-node').InferenceSession): GraphInput[] {
  return session.inputMetadata.map((m) =>
    m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name },
  );
}

/**
 * Throws E_INVALID_ARGUMENT (field `feeds.<name>` or `outputs`) unless the feeds and requested
 * outputs fit the graph: every input given and no other, each with its dtype's typed array, as
 * many values as its shape holds, the graph's rank and its fixed dimensions.
 */
export function checkRun(
  inputs: readonly GraphInput[],
  outputNames: readonly string[],
  feeds: unknown,
  outputs: unknown,
): asserts feeds is Record<string, HostTensor> {
  if (!is.object(feeds)) throw invalidOption('feeds', 'an object mapping input names to tensors', feeds);
  for (const name of Object.keys(feeds)) {
    if (!inputs.some((i) => i.name === name)) {
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `the graph has no input ${name}; inputs: ${inputs.map((i) => i.name).join(', ')}`,
        { field: `feeds.${name}` },
      );
    }
  }
  for (const input of inputs) checkFeed(input, (feeds as Record<string, unknown>)[input.name]);
  if (outputs !== undefined) {
    if (!Array.isArray(outputs) || !outputs.every(is.nonEmptyString))
      throw invalidOption('outputs', 'a list of output names', outputs);
    for (const name of outputs) {
      if (!outputNames.includes(name))
        throw new EdgeError(
          'E_INVALID_ARGUMENT',
          `the graph has no output ${name}; outputs: ${outputNames.join(', ')}`,
          { field: 'outputs' },
        );
    }
  }
}

function checkFeed(input: GraphInput, feed: unknown): void {
  const field = `feeds.${input.name}`;
  if (feed === undefined) throw new EdgeError('E_INVALID_ARGUMENT', `input ${input.name} was not given`, { field });
  if (!is.object(feed)) throw invalidOption(field, 'a tensor { dtype, shape, data }', feed);
  const t = feed as Partial<HostTensor>;
  const dtype = (Object.keys(ORT_TYPES) as DType[]).find((k) => k === t.dtype);
  if (!dtype) throw invalidOption(`${field}.dtype`, `one of ${Object.keys(ORT_TYPES).join(', ')}`, t.dtype);
  if (input.type === undefined || input.shape === undefined)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `input ${input.name} is not a tensor input, which the SDK does not feed`,
      { field },
    );
  if (ORT_TYPES[dtype] !== input.type)
    throw new EdgeError('E_INVALID_ARGUMENT', `input ${input.name} is ${dtype} but the graph takes ${input.type}`, {
      field,
    });
  const cls = ArrayBuffer.isView(t.data) ? t.data.constructor.name : undefined;
  const bytes = TYPED_ARRAY_CLASS[dtype] === 'Uint8Array' && t.data instanceof Uint8Array; // a Buffer too
  if (cls !== TYPED_ARRAY_CLASS[dtype] && !bytes)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `input ${input.name} data must be a ${TYPED_ARRAY_CLASS[dtype]} for ${dtype} (got ${cls ?? typeof t.data})`,
      { field },
    );
  const shape = t.shape;
  const fits =
    Array.isArray(shape) &&
    shape.length === input.shape.length &&
    shape.every(
      (d, i) => Number.isInteger(d) && d >= 0 && (typeof input.shape![i] !== 'number' || input.shape![i] === d),
    );
  if (!fits)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `input ${input.name} has shape [${String(shape)}] but the graph takes [${input.shape.join(',')}]`,
      { field },
    );
  const count = shape.reduce((a, b) => a * b, 1);
  if ((t.data as TypedArray).length !== count) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `input ${input.name} holds ${(t.data as TypedArray).length} values but shape [${shape.join(',')}] needs ${count}`,
      { field },
    );
  }
}

/** An output as onnxruntime returns it (or as it crosses from a worker). */
export interface OrtOutput {
  type: string;
  dims: readonly number[];
  data: unknown;
}

/**
 * An onnxruntime output as a HostTensor (no copy).
 * @throws EdgeError E_INFERENCE for element types the SDK does not handle
 */
export function toHost(t: OrtOutput, name: string, graphPath: string): HostTensor {
  const dtype = (Object.keys(ORT_TYPES) as DType[]).find((k) => ORT_TYPES[k] === t.type);
  if (!dtype || !ArrayBuffer.isView(t.data))
    throw new EdgeError('E_INFERENCE', `output ${name} has element type ${t.type}, which the SDK does not handle`, {
      file: graphPath,
    });
  return { dtype, shape: [...t.dims], data: t.data as TypedArray };
}

/** E_BACKEND_INIT naming the graph and onnxruntime's reason. */
export function loadError(graphPath: string, reason: string, cause?: unknown): EdgeError {
  return new EdgeError('E_BACKEND_INIT', `onnxruntime cannot load the graph: ${reason}`, {
    file: graphPath,
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** E_INFERENCE naming the graph and onnxruntime's reason. */
export function runError(graphPath: string, reason: string, cause?: unknown): EdgeError {
  return new EdgeError('E_INFERENCE', `onnxruntime failed: ${reason}`, {
    file: graphPath,
    ...(cause !== undefined ? { cause } : {}),
  });
}

/**
 * A copy of the view's bytes in an ArrayBuffer of its own, as the same typed-array class (a Node
 * Buffer as the Uint8Array it is: new Buffer(arrayBuffer) is deprecated).
 */
export function ownedCopy(v: ArrayBufferView): ArrayBufferView {
  const bytes = new ArrayBuffer(v.byteLength);
  new Uint8Array(bytes).set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  const Ctor = Buffer.isBuffer(v) ? Uint8Array : (v.constructor as new (b: ArrayBuffer) => ArrayBufferView);
  return new Ctor(bytes);
}

/** Whether a view lies over shared memory, which onnxruntime refuses to take tensors over. */
export function isShared(v: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && v.buffer instanceof SharedArrayBuffer;
}
