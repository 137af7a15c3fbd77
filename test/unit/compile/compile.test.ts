import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openPackage } from '../../../sdk/package/open-package.js';
import { loadTarget } from '../../../sdk/core/targets/load.js';
import { compilePackage } from '../../../tools/compile/compile-package.js';
import { planCompile } from '../../../tools/compile/compile-plan.js';
import { tempDir, tinyPackage } from '../../helpers/packages.js';

const noAddon = { ok: false as const, reason: 'no TensorRT addon here', attempts: [] };

test('compile on a machine without TensorRT writes a build spec, records the target and prints the trtexec line', async (t) => {
  const src = await tinyPackage();
  const out = join(tempDir('c'), 'orin');
  const r = await compilePackage({
    source: src.dir,
    outDir: out,
    target: 'jetson-orin-nx-16gb',
    precision: 'fp16',
    jetpack: '6.1',
    entries: ['optical'],
    latencyRounds: 0,
    binding: noAddon as never,
  });
  t.is(r.built.length, 0);
  t.regex(r.notBuilt!, /no TensorRT addon/);
  const pkg = await openPackage(out);
  t.like(pkg.manifest.extensions!.target, {
    id: 'jetson-orin-nx-16gb',
    tensorrt: '10.3',
    jetpack: '6.1',
    precision: 'fp16',
    sm: 'sm_87',
    dlaCore: null,
  });
  t.deepEqual(
    pkg.manifest.lineage.map((l) => l.step),
    ['reference', 'quantize', 'compile'],
  );
  const spec = JSON.parse(await readFile(pkg.path('engines/build-spec.json'), 'utf8'));
  t.like(spec.engines[0], { entry: 'optical', graph: 'optical.onnx', precision: 'fp16', dlaCore: null });
  t.is(pkg.manifest.files['engines/build-spec.json']!.role, 'build-spec');
  t.is(
    r.trtexec[0]!.line,
    'trtexec --onnx=optical.onnx --saveEngine=engines/optical.fp16.plan --fp16 --minShapes=image:1x3x64x64 --optShapes=image:1x3x64x64 --maxShapes=image:1x3x64x64 --skipInference',
  );
});

test("compile --precision best picks the target's best precision; DLA and TensorRT 8.5 lines shape the trtexec line", async (t) => {
  const src = await tinyPackage();
  const xavier = await loadTarget('jetson-xavier-nx-8gb');
  const plan = planCompile(src.manifest, xavier, { precision: 'best', dla: 1, jetpack: '5.1.1' });
  t.is(plan.precision, 'int8');
  t.is(plan.target.tensorrt, '8.5.2');
  t.is(plan.engines.length, src.manifest.entries.length);
  const out = join(tempDir('c'), 'xavier');
  const r = await compilePackage({
    source: src.dir,
    outDir: out,
    target: 'jetson-xavier-nx-8gb',
    precision: 'best',
    dla: 1,
    jetpack: '5.1.1',
    entries: ['sar-l1'],
    latencyRounds: 0,
    binding: noAddon as never,
    calibration: ['generated:sar-l1:3:1'],
    heldOut: ['generated:sar-l1:1:900'],
    acceptLoss: true,
  });
  t.is(
    r.trtexec[0]!.line,
    'trtexec --onnx=sar-l1.onnx --saveEngine=engines/sar-l1.int8.dla1.plan --fp16 --int8 --useDLACore=1 --allowGPUFallback --minShapes=image:1x8x64x64 --optShapes=image:1x8x64x64 --maxShapes=image:1x8x64x64 --buildOnly',
  );
  const pkg = await openPackage(out);
  t.truthy(pkg.manifest.files['calibration/sar-l1.trt-8.5.2.cache']);
  t.is(pkg.manifest.model.precision, 'int8');
});

test('compile for a CPU target keeps fp32 and builds nothing', async (t) => {
  const src = await tinyPackage();
  const out = join(tempDir('c'), 'cpu');
  const r = await compilePackage({
    source: src.dir,
    outDir: out,
    target: 'cpu-x86-64-onnxruntime',
    precision: 'fp32',
    binding: noAddon as never,
  });
  t.regex(r.notBuilt!, /onnxruntime on the CPU/);
  const pkg = await openPackage(out);
  t.is(pkg.manifest.model.precision, 'fp32');
  t.is((pkg.manifest.extensions!.target as { id: string }).id, 'cpu-x86-64-onnxruntime');
  t.falsy(pkg.manifest.files['engines/build-spec.json']);
});

test('EXPECTED FAILURE - a package compiled for another target', async (t) => {
  const src = await tinyPackage();
  const out = join(tempDir('c'), 'first');
  await compilePackage({
    source: src.dir,
    outDir: out,
    target: 'cpu-x86-64-onnxruntime',
    precision: 'fp32',
    binding: noAddon as never,
  });
  const e = await t.throwsAsync(
    compilePackage({
      source: out,
      outDir: join(tempDir('c'), 'second'),
      target: 'jetson-agx-orin-64gb',
      binding: noAddon as never,
    }),
  );
  t.is((e as { code?: string }).code, 'E_TARGET_MISMATCH');
  t.regex(e!.message, /made for cpu-x86-64-onnxruntime.*not jetson-agx-orin-64gb/);
});

test('BAD CALL - a precision or DLA core the target does not have', async (t) => {
  const src = await tinyPackage();
  const nano = await loadTarget('jetson-nano-4gb');
  const e = t.throws(() => planCompile(src.manifest, nano, { precision: 'int8' }));
  t.is((e as { code?: string }).code, 'E_INVALID_ARGUMENT');
  t.regex(e!.message, /jetson-nano-4gb does not support int8.*fp32, fp16/);
  const orinNano = await loadTarget('jetson-orin-nano-8gb');
  t.throws(() => planCompile(src.manifest, orinNano, { dla: 0 }), { message: /no DLA core/ });
  const orinNx = await loadTarget('jetson-orin-nx-16gb');
  t.throws(() => planCompile(src.manifest, orinNx, { dla: 0, jetpack: '7.2' }), { message: /cannot use the DLA/ });
  await t.throwsAsync(
    compilePackage({
      source: src.dir,
      outDir: join(tempDir('c'), 'z'),
      target: 'no-such-device',
      binding: noAddon as never,
    }),
    { code: 'E_UNKNOWN_TARGET' } as never,
  );
});
