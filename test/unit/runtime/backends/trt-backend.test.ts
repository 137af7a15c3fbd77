import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isEdgeError } from '../../../../sdk/core/errors.js';
import type { Backend, BackendLoadOptions } from '../../../../sdk/core/backend.js';
import { TensorRtBackend } from '../../../../sdk/runtime/backends/trt.js';
import { selectBackend } from '../../../../sdk/runtime/backends/select.js';
import { EngineCache } from '../../../../sdk/runtime/engine-cache/store.js';
import { fakeBinding, fakeLoaded, ORIN, tempDir, writeOnnx } from '../../../helpers/native-binding.js';

function setup(t: { teardown: (fn: () => void) => void }, dims: (number | string)[] = ['N', 3, 4, 4]) {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const graphPath = join(dir, 'classifier.onnx');
  writeOnnx(graphPath, dims, { externalData: 'classifier.weights' });
  const base: BackendLoadOptions = {
    graphPath,
    precision: 'fp16',
    maxBatch: 4,
    extra: { cacheDir: join(dir, 'engines'), experts: ['s1.b0.shared'] },
  };
  return { dir, graphPath, base };
}

test('this machine: availability reports "tensorrt unavailable: <reason>" and load throws E_BACKEND_UNAVAILABLE', async (t) => {
  const backend = new TensorRtBackend();
  const a = await backend.availability();
  if (a.available) {
    t.log('SKIPPED: TensorRT is available here');
    t.pass();
    return;
  }
  t.regex(a.reason!, /^tensorrt unavailable: .+/);
  const { base } = setup(t);
  await t.throwsAsync(backend.load(base), {
    code: 'E_BACKEND_UNAVAILABLE',
    message: /^tensorrt unavailable: /,
  } as never);
});

test('fake binding: no CUDA device makes TensorRT unavailable with the CUDA error as reason', async (t) => {
  const { binding } = fakeBinding({
    devices: [],
    deviceError: 'cudaErrorNoDevice: no CUDA-capable device is detected',
  });
  const a = await new TensorRtBackend({ loadBinding: fakeLoaded(binding) }).availability();
  t.false(a.available);
  t.is(a.reason, 'tensorrt unavailable: no CUDA device (cudaErrorNoDevice: no CUDA-capable device is detected)');
});

test('fake binding: availability lists GPU and DLA cores with the TensorRT version', async (t) => {
  const { binding } = fakeBinding();
  const a = await new TensorRtBackend({ loadBinding: fakeLoaded(binding) }).availability();
  t.deepEqual(a, {
    available: true,
    version: '10.3.0',
    devices: ['cuda:0 Orin (sm_87, integrated)', 'dla:0', 'dla:1'],
  });
});

test('backend selection falls back to the next backend and keeps the TensorRT reason (fake onnxruntime backend)', async (t) => {
  const fakeOrt: Backend = {
    name: 'onnxruntime',
    availability: async () => ({ available: true, devices: ['cpu'] }),
    load: async () => t.fail() as never,
  };
  const sel = await selectBackend([new TensorRtBackend(), fakeOrt]);
  const trtAvailable = (await new TensorRtBackend().availability()).available;
  if (trtAvailable) {
    t.is(sel.backend.name, 'tensorrt');
    return;
  }
  t.is(sel.backend, fakeOrt);
  t.is(sel.skipped.length, 1);
  t.regex(sel.skipped[0]!.reason, /^tensorrt unavailable: /);
});

test('EXPECTED FAILURE - selection with no available backend lists every reason', async (t) => {
  const { binding } = fakeBinding({ devices: [] });
  const none: Backend = {
    name: 'onnxruntime',
    availability: async () => ({ available: false, reason: 'onnxruntime unavailable: test' }),
    load: async () => t.fail() as never,
  };
  await t.throwsAsync(selectBackend([new TensorRtBackend({ loadBinding: fakeLoaded(binding) }), none]), {
    code: 'E_BACKEND_UNAVAILABLE',
    message: /tensorrt unavailable: no CUDA device; onnxruntime unavailable: test/,
  } as never);
});

test('fake binding: first load builds with a batch profile from the real ONNX graph, second load hits the cache', async (t) => {
  const { base, graphPath } = setup(t);
  const { binding, calls } = fakeBinding();
  const backend = new TensorRtBackend({ loadBinding: fakeLoaded(binding) });
  const s1 = await backend.load(base);
  t.is(s1.info.cache, 'built');
  t.is(calls.builds.length, 1);
  const b = calls.builds[0]!;
  t.is(b.onnxPath, graphPath);
  t.is(b.precision, 'fp16');
  t.is(b.typing, 'weak');
  t.deepEqual(b.profile, [{ input: 'x', min: [1, 3, 4, 4], opt: [4, 3, 4, 4], max: [4, 3, 4, 4] }]);
  t.regex(b.timingCache!, /timing\.trt10\.3\.0\.sm87\.cache$/);
  t.deepEqual(s1.inputNames, ['x']);
  const out = await s1.run({ x: { dtype: 'float32', shape: [2, 3, 4, 4], data: new Float32Array(96).fill(1.5) } });
  t.deepEqual(out.y!.shape, [2, 3, 4, 4]);
  t.is((out.y!.data as Float32Array)[0], 3);
  await s1.dispose();
  await s1.dispose();
  await t.throwsAsync(s1.run({}), { code: 'E_CLOSED' } as never);

  const s2 = await backend.load(base);
  t.is(s2.info.cache, 'hit');
  t.is(calls.builds.length, 1);
  t.is(calls.loads[1]!.options.sha256, calls.loads[0]!.options.sha256);
  await s2.dispose();
});

test('fake binding: new expert weights (external data) make the cached engine stale, and it is rebuilt', async (t) => {
  const { base, dir } = setup(t);
  const { binding, calls } = fakeBinding();
  const backend = new TensorRtBackend({ loadBinding: fakeLoaded(binding) });
  await (await backend.load(base)).dispose();
  writeFileSync(join(dir, 'classifier.weights'), new Uint8Array(4 * 48).fill(7));
  const s = await backend.load(base);
  t.is(s.info.cache, 'rebuilt');
  t.regex(String(s.info.rejectedEngine), /^E_ENGINE_STALE: .*differs in graphSha256/);
  t.is(calls.builds.length, 2);
});

test('fake binding: after a TensorRT upgrade the cached engine is stale and rebuilt; an engine the addon cannot deserialize is rebuilt too', async (t) => {
  const { base } = setup(t);
  const old = fakeBinding({ tensorrt: '8.6.2' });
  await (await new TensorRtBackend({ loadBinding: fakeLoaded(old.binding) }).load(base)).dispose();
  const upgraded = fakeBinding({ tensorrt: '10.3.0' });
  const s = await new TensorRtBackend({ loadBinding: fakeLoaded(upgraded.binding) }).load(base);
  t.is(s.info.cache, 'rebuilt');
  t.regex(
    String(s.info.rejectedEngine),
    /^E_ENGINE_STALE: .*cached engine was built with TensorRT 8\.6\.2 .*this device runs TensorRT 10\.3\.0/,
  );

  const broken = fakeBinding({ tensorrt: '10.3.0', failLoad: true });
  const err = await t.throwsAsync(new TensorRtBackend({ loadBinding: fakeLoaded(broken.binding) }).load(base));
  // The cached plan is rejected by "deserialisation", rebuilt, and the fresh plan also fails: that error surfaces.
  t.is(broken.calls.builds.length, 1);
  t.true(isEdgeError(err, 'E_ENGINE_FOREIGN'));
});

test('EXPECTED FAILURE - fake binding: build "never" without a usable cached engine is E_BACKEND_UNAVAILABLE with the reason', async (t) => {
  const { base } = setup(t);
  const { binding, calls } = fakeBinding();
  await t.throwsAsync(
    new TensorRtBackend({ loadBinding: fakeLoaded(binding) }).load({
      ...base,
      extra: { ...base.extra, build: 'never' },
    }),
    {
      code: 'E_BACKEND_UNAVAILABLE',
      message: /no usable cached engine for classifier \(none cached\) and building is disabled/,
    } as never,
  );
  t.is(calls.builds.length, 0);
});

test('fake binding: build "always" rebuilds even with a valid cached engine; DLA and int8 options reach the builder', async (t) => {
  const { base, dir } = setup(t);
  const { binding, calls } = fakeBinding();
  const backend = new TensorRtBackend({ loadBinding: fakeLoaded(binding) });
  const extra = {
    ...base.extra,
    dlaCore: 1,
    gpuFallback: false,
    workspaceMiB: 256,
    calibrationCache: join(dir, 'calib.cache'),
    build: 'always' as const,
  };
  await (await backend.load({ ...base, precision: 'int8', extra })).dispose();
  const s = await backend.load({ ...base, precision: 'int8', extra });
  t.is(calls.builds.length, 2);
  t.is(s.info.target, 'dla:1');
  t.like(calls.builds[1], {
    dlaCore: 1,
    gpuFallback: false,
    workspaceBytes: 256 * 1024 * 1024,
    precision: 'int8',
    calibrationCache: join(dir, 'calib.cache'),
  });
  t.true(String(s.info.engine).endsWith('classifier.int8.dla1.b1-4-4.plan'));
  // The sidecar records the DLA target with its fallback setting, and the plan verifies against it.
  const sidecar = JSON.parse(readFileSync(`${String(s.info.engine)}.json`, 'utf8'));
  t.deepEqual(sidecar.key.target, { kind: 'dla', core: 1, gpuFallback: false });
  t.is((await new EngineCache(join(dir, 'engines')).lookup(sidecar.key)).status, 'hit');
});

test('fake binding: TensorRT 11 resolves typing "auto" to strong; 8.x refuses strong typing', async (t) => {
  const { base } = setup(t);
  const trt11 = fakeBinding({ tensorrt: '11.1.0' });
  const s = await new TensorRtBackend({ loadBinding: fakeLoaded(trt11.binding) }).load(base);
  t.is(s.info.typing, 'strong');
  t.is(trt11.calls.builds[0]!.typing, 'strong');
  const trt8 = fakeBinding({ tensorrt: '8.5.2' });
  await t.throwsAsync(
    new TensorRtBackend({ loadBinding: fakeLoaded(trt8.binding) }).load({
      ...base,
      extra: { ...base.extra, typing: 'strong' },
    }),
    {
      code: 'E_INVALID_ARGUMENT',
      message: /strongly typed networks need TensorRT 10/,
    } as never,
  );
});

test('EXPECTED FAILURE - fake binding: a DLA core the device lacks is E_BACKEND_UNAVAILABLE', async (t) => {
  const { base } = setup(t);
  const { binding } = fakeBinding({ devices: [{ ...ORIN, name: 'Orin Nano', dlaCores: 0 }] });
  await t.throwsAsync(
    new TensorRtBackend({ loadBinding: fakeLoaded(binding) }).load({ ...base, extra: { ...base.extra, dlaCore: 0 } }),
    {
      code: 'E_BACKEND_UNAVAILABLE',
      message: /DLA core 0 was asked for but Orin Nano has 0/,
    } as never,
  );
});

test('EXPECTED FAILURE - fake binding: a graph with a dynamic non-batch axis cannot get a batch profile', async (t) => {
  const { base } = setup(t, ['N', 3, 'H', 4]);
  const { binding } = fakeBinding();
  await t.throwsAsync(new TensorRtBackend({ loadBinding: fakeLoaded(binding) }).load(base), {
    code: 'E_BACKEND_INIT',
    message: /dynamic dimension at axis 2 \(H\)/,
  } as never);
});

const BAD_OPTIONS: [string, Partial<BackendLoadOptions>, RegExp][] = [
  [
    'misspelled extra option',
    { extra: { cachedir: '/x' } },
    /unknown option extra\.cachedir; did you mean extra\.cacheDir\?/,
  ],
  ['fp32 on a DLA core', { precision: 'fp32', extra: { dlaCore: 0 } }, /DLA runs only fp16 and int8/],
  ['minBatch above maxBatch', { maxBatch: 2, extra: { minBatch: 3 } }, /extra\.minBatch/],
  ['precision fp64', { precision: 'fp64' as never }, /for precision/],
  ['experts not strings', { extra: { experts: [1] } }, /extra\.experts/],
  ['graph hash not hex', { extra: { graphSha256: 'xyz' } }, /extra\.graphSha256/],
  ['build mode', { extra: { build: 'sometimes' } }, /extra\.build/],
];
for (const [name, change, re] of BAD_OPTIONS) {
  test(`BAD CALL - fake binding: ${name} is rejected before anything is built`, async (t) => {
    const { base } = setup(t);
    const { binding, calls } = fakeBinding();
    await t.throwsAsync(new TensorRtBackend({ loadBinding: fakeLoaded(binding) }).load({ ...base, ...change }), {
      code: 'E_INVALID_ARGUMENT',
      message: re,
    } as never);
    t.is(calls.builds.length, 0);
  });
}

const BAD_FEEDS: [string, Record<string, unknown>, RegExp][] = [
  ['missing input', {}, /input x was not given/],
  ['unknown input', { z: { dtype: 'float32', shape: [1], data: new Float32Array(1) } }, /no input z; inputs: x/],
  [
    'wrong dtype',
    { x: { dtype: 'uint8', shape: [1, 3, 4, 4], data: new Uint8Array(48) } },
    /x is uint8 but the engine takes float32/,
  ],
  [
    'wrong array class',
    { x: { dtype: 'float32', shape: [1, 3, 4, 4], data: new Float64Array(48) } },
    /must be a Float32Array/,
  ],
  [
    'batch beyond the profile',
    { x: { dtype: 'float32', shape: [5, 3, 4, 4], data: new Float32Array(240) } },
    /shape \[5,3,4,4\].*batch range 1x3x4x4 \.\. 4x3x4x4/,
  ],
  [
    'wrong spatial size',
    { x: { dtype: 'float32', shape: [1, 3, 8, 8], data: new Float32Array(192) } },
    /shape \[1,3,8,8\]/,
  ],
  [
    'data length',
    { x: { dtype: 'float32', shape: [1, 3, 4, 4], data: new Float32Array(47) } },
    /holds 47 values but shape \[1,3,4,4\] needs 48/,
  ],
];
for (const [name, feeds, re] of BAD_FEEDS) {
  test(`BAD CALL - fake binding: run with ${name} is rejected before the addon sees it`, async (t) => {
    const { base } = setup(t);
    const { binding, calls } = fakeBinding();
    const s = await new TensorRtBackend({ loadBinding: fakeLoaded(binding) }).load(base);
    await t.throwsAsync(s.run(feeds as never), { code: 'E_INVALID_ARGUMENT', message: re } as never);
    t.is(calls.runs.length, 0);
    await s.dispose();
  });
}
