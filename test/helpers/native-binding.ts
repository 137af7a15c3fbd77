/**
 * Fixtures for the TensorRT JS-side tests: small real ONNX files written with onnx-buf, and a FAKE
 * native binding (an object implementing NativeBinding in TypeScript) so the logic around the addon
 * (cache, rebuild decisions, validation) runs without TensorRT. Tests that use it say "fake binding"
 * in their titles; they test our JS, not TensorRT.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';
import type {
  BindingResult,
  NativeBinding,
  NativeBuildOptions,
  NativeDevice,
  NativeEngine,
  NativeLoadOptions,
  NativeTensor,
} from '../../sdk/core/binding.js';
import { EdgeError } from '../../sdk/core/errors.js';

/** A temp directory removed by the returned cleanup. */
export function tempDir(prefix = 'ringmoe-trt-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Writes `y = Relu(x + w)` with x: [dims] (string = symbolic) float32 and w an initializer of the
 * trailing shape; with `externalData`, w's bytes live in that file beside the graph.
 */
export function writeOnnx(
  path: string,
  dims: (number | string)[],
  options: { externalData?: string; weight?: number } = {},
): void {
  const trailing = dims.slice(1).map((d) => (typeof d === 'number' ? d : 1));
  const count = trailing.reduce((a, b) => a * b, 1);
  const weights = new Float32Array(count).fill(options.weight ?? 0.5);
  const dim = (d: number | string) => ({
    value:
      typeof d === 'number' ? { case: 'dimValue' as const, value: BigInt(d) } : { case: 'dimParam' as const, value: d },
  });
  const valueInfo = (name: string) => ({
    name,
    type: {
      value: {
        case: 'tensorType' as const,
        value: { elemType: TensorProto_DataType.FLOAT, shape: { dim: dims.map(dim) } },
      },
    },
  });
  const initializer = options.externalData
    ? {
        name: 'w',
        dims: trailing.map(BigInt),
        dataType: TensorProto_DataType.FLOAT,
        dataLocation: 1,
        externalData: [
          { key: 'location', value: options.externalData },
          { key: 'offset', value: '0' },
          { key: 'length', value: String(count * 4) },
        ],
      }
    : {
        name: 'w',
        dims: trailing.map(BigInt),
        dataType: TensorProto_DataType.FLOAT,
        rawData: new Uint8Array(weights.buffer),
      };
  if (options.externalData) writeFileSync(join(path, '..', options.externalData), new Uint8Array(weights.buffer));
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [{ domain: '', version: 17n }],
    graph: {
      name: 'fixture',
      node: [
        { opType: 'Add', input: ['x', 'w'], output: ['s'], name: 'add' },
        { opType: 'Relu', input: ['s'], output: ['y'], name: 'relu' },
      ],
      initializer: [initializer],
      input: [valueInfo('x')],
      output: [valueInfo('y')],
    },
  });
  writeFileSync(path, toBinary(ModelProtoSchema, model));
}

/** A device like an Orin NX 16GB (sm_87, integrated, 2 DLA cores). */
export const ORIN: NativeDevice = {
  index: 0,
  name: 'Orin',
  computeCapability: '8.7',
  integrated: true,
  canMapHostMemory: true,
  totalMemory: 16 * 2 ** 30,
  multiProcessors: 8,
  dlaCores: 2,
};

/** Records of what the fake binding was asked to do. */
export interface FakeCalls {
  builds: NativeBuildOptions[];
  loads: { plan: Uint8Array; options: NativeLoadOptions }[];
  runs: NativeTensor[][];
}

/**
 * A FAKE NativeBinding: buildEngine returns a plan derived from the options; loadEngine "deserialises"
 * only plans that start with the fake magic (else E_ENGINE_FOREIGN, as the addon does); the engine
 * doubles its input. Versions/devices are configurable.
 */
export function fakeBinding(
  options: { tensorrt?: string; devices?: NativeDevice[]; deviceError?: string; failLoad?: boolean } = {},
): { binding: NativeBinding; calls: FakeCalls } {
  const calls: FakeCalls = { builds: [], loads: [], runs: [] };
  const tensorrt = options.tensorrt ?? '10.3.0';
  const magic = new TextEncoder().encode(`FAKEPLAN trt${tensorrt}\n`);
  const binding: NativeBinding = {
    abi: 1,
    setErrorClass() {},
    versions: () => ({
      tensorrt,
      tensorrtHeaders: tensorrt,
      tensorrtMajor: Number(tensorrt.split('.')[0]),
      cudaRuntime: '12.6',
      cudaDriver: '12.6',
      napi: 8,
    }),
    devices: () => ({
      devices: options.devices ?? [ORIN],
      ...(options.deviceError ? { error: options.deviceError } : {}),
    }),
    async buildEngine(o) {
      calls.builds.push(o);
      const body = new TextEncoder().encode(JSON.stringify(o));
      const plan = new Uint8Array(magic.length + body.length);
      plan.set(magic);
      plan.set(body, magic.length);
      return {
        plan,
        sha256: createHash('sha256').update(plan).digest('hex'),
        log: [],
        notes: ['fake build'],
        typing: o.typing === 'strong' ? 'strong' : 'weak',
        explicitQuantization: false,
        timingCacheSaved: false,
      };
    },
    async loadEngine(plan, o) {
      calls.loads.push({ plan, options: o });
      const head = new TextDecoder().decode(plan.subarray(0, magic.length));
      if (options.failLoad || head !== new TextDecoder().decode(magic)) {
        throw new EdgeError('E_ENGINE_FOREIGN', `TensorRT ${tensorrt} could not deserialize the plan`);
      }
      const built = JSON.parse(new TextDecoder().decode(plan.subarray(magic.length))) as NativeBuildOptions;
      const profile = built.profile?.[0];
      let disposed = false;
      const engine: NativeEngine = {
        memoryMode: 'mapped',
        activationBytes: 1024,
        describe: () => [
          {
            name: 'x',
            mode: 'input',
            dtype: 'float32',
            shape: [profile ? -1 : 1, 3, 4, 4],
            ...(profile ? { profile: { min: profile.min, opt: profile.opt, max: profile.max } } : {}),
          },
          { name: 'y', mode: 'output', dtype: 'float32', shape: [profile ? -1 : 1, 3, 4, 4] },
        ],
        async run(inputs) {
          if (disposed) throw new EdgeError('E_CLOSED', 'engine was disposed');
          calls.runs.push(inputs);
          const x = inputs[0]!;
          return [
            {
              name: 'y',
              dtype: 'float32',
              shape: x.shape,
              data: Float32Array.from(x.data as Float32Array, (v) => v * 2),
            },
          ];
        },
        dispose() {
          disposed = true;
        },
      };
      return engine;
    },
  };
  return { binding, calls };
}

/** A BindingResult holding the fake binding. */
export function fakeLoaded(binding: NativeBinding): () => BindingResult {
  return () => ({ ok: true, binding, path: '/fake/ringmoe_trt.node', attempts: [] });
}
