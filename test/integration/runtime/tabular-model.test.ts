/**
 * A non-image model all the way: a nearest-centroid land-cover classifier over Statlog Landsat MSS
 * patches (3×3 pixels × 4 bands, real measurements from ../shared/data) written as ONNX (Reshape,
 * a decorrelating rotation and its inverse, the centroid MatMul, Add, Softmax — the form a vendor's
 * exported tabular model takes), imported (its input is a raw tensor, no modality), quantized to
 * INT8 with calibration tensors read straight from the dataset's `.npz` archive (uint8 array `X`),
 * and run through the runtime with raw tensor feeds. A single-layer version is refused: INT8 would
 * quantize nothing (first and last layers stay float).
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPackage } from '../../../sdk/package/open-package.js';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import { GraphBuilder, attr, inlineTensor, makeModel } from '../../../tools/onnx/builder.js';
import { ModelProtoSchema, toBinary } from '../../../tools/onnx/proto.js';
import { importModel } from '../../../tools/package/import-model.js';
import { planFrames } from '../../../tools/quantize/frame-plan.js';
import { npzMembers, parseNpy } from '../../../tools/quantize/npz.js';
import { quantizePackage } from '../../../tools/quantize/quantize-package.js';
import { tempDir } from '../../helpers/packages.js';
import { sharedDataOrSkip } from '../../helpers/shared-data.js';

const STATLOG = 'labels/mlbench_statlog_landsat/statlog_satellite.npz';
const FEATURES = 36;

test('a tabular classifier over real Landsat MSS patches: import, INT8 from the .npz, raw tensors through the runtime (needs ../shared/data)', async (t) => {
  const npz = sharedDataOrSkip(t, STATLOG);
  if (!npz) return;
  const members = npzMembers(readFileSync(npz), npz);
  const X = parseNpy(members.get('X')!, 'X');
  const y = parseNpy(members.get('y')!, 'y');
  const n = X.shape[0]!;
  t.deepEqual(X.shape, [6435, 3, 3, 4]);
  const labels = [...new Set(Array.from(y.values))].sort((a, b) => a - b);
  const K = labels.length;
  // Centroids of the first 4000 patches (scaled to [0, 1]); logits 2·x·μ − |μ|² rank by distance.
  const mu = Array.from({ length: K }, () => new Float64Array(FEATURES));
  const count = new Array<number>(K).fill(0);
  for (let i = 0; i < 4000; i++) {
    const c = labels.indexOf(y.values[i]!);
    count[c]!++;
    for (let f = 0; f < FEATURES; f++) mu[c]![f]! += X.values[i * FEATURES + f]! / 255;
  }
  const W = new Float32Array(FEATURES * K);
  const B = new Float32Array(K);
  mu.forEach((m, c) => {
    for (let f = 0; f < FEATURES; f++) {
      m[f]! /= count[c]!;
      W[f * K + c] = 2 * m[f]!;
      B[c]! -= m[f]! * m[f]!;
    }
  });
  // A seeded orthonormal rotation Q (Gram–Schmidt): x·Q·Qᵀ = x, so the classifier is unchanged and
  // its middle layer is a weighted product INT8 can take.
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  const Q = Array.from({ length: FEATURES }, () => Array.from({ length: FEATURES }, rand));
  for (let i = 0; i < FEATURES; i++) {
    for (let j = 0; j < i; j++) {
      const d = Q[i]!.reduce((s, v, k) => s + v * Q[j]![k]!, 0);
      Q[i] = Q[i]!.map((v, k) => v - d * Q[j]![k]!);
    }
    const norm = Math.hypot(...Q[i]!);
    Q[i] = Q[i]!.map((v) => v / norm);
  }
  const rot = Float32Array.from({ length: FEATURES * FEATURES }, (_, k) => Q[Math.floor(k / FEATURES)]![k % FEATURES]!);
  const rotT = Float32Array.from(
    { length: FEATURES * FEATURES },
    (_, k) => Q[k % FEATURES]![Math.floor(k / FEATURES)]!,
  );
  const write = (file: string, layers: 'one' | 'three') => {
    const b = new GraphBuilder('statlog-centroids');
    const x = b.input('pixels', 'float32', ['N', 3, 3, 4]);
    let h = b.op('Reshape', [b.op('Mul', [x, b.float(1 / 255)]), b.int64s([-1, FEATURES])]);
    if (layers === 'three') {
      h = b.op('MatMul', [h, b.initializer(inlineTensor('decorrelate.weight', 'float32', [FEATURES, FEATURES], rotT))]);
      h = b.op('MatMul', [h, b.initializer(inlineTensor('restore.weight', 'float32', [FEATURES, FEATURES], rot))]);
    }
    const logits = b.op('Add', [
      b.op('MatMul', [h, b.initializer(inlineTensor('centroids.weight', 'float32', [FEATURES, K], W))]),
      b.initializer(inlineTensor('centroids.bias', 'float32', [K], B)),
    ]);
    b.output(b.op('Softmax', [b.op('Mul', [logits, b.float(20)])], { axis: attr.i(1) }), 'class_prob', 'float32', [
      'N',
      K,
    ]);
    writeFileSync(file, toBinary(ModelProtoSchema, makeModel(b.build(), 13, { producer: 'statlog-centroids' })));
  };
  const dir = tempDir('tab');
  const model = join(dir, 'statlog.onnx');
  write(model, 'three');
  const single = join(dir, 'statlog-single.onnx');
  write(single, 'one');

  const src = join(dir, 'pkg');
  await importModel({ model, outDir: src, entry: 'landcover' });
  const pkg = await openPackage(src);
  t.like(pkg.manifest.entries[0]!.inputs[0], { name: 'pixels', shape: ['N', 3, 3, 4] });
  t.is(pkg.manifest.entries[0]!.inputs[0]!.modality, undefined, 'no sensor modality: raw tensors');

  // INT8: calibration samples straight from the dataset (uint8 → float32), a quarter held back.
  const frames = await planFrames({
    manifest: pkg.manifest,
    entries: pkg.manifest.entries,
    precision: 'int8',
    calibration: [`pixels=${npz}:X`],
  });
  t.is(frames.calibration[0]!.frames.length + frames.heldOut[0]!.frames.length, 32);
  const out = join(dir, 'int8');
  const r = await quantizePackage({
    source: src,
    outDir: out,
    precision: 'int8',
    calibration: frames.calibration,
    heldOut: frames.heldOut,
    latencyRounds: 0,
  });
  t.log(
    `winner ${r.report.selection!.winner}; ${r.report.selection!.candidates.map((c) => `${c.method}: ${c.worst!.metric} ${c.worst!.value.toFixed(5)}`).join(', ')}`,
  );
  t.true(r.report.floor.passed);
  t.is(r.report.calibration!.origin, 'real');
  t.like(r.report.quantized![0], { nodes: 1, weights: 1, keptFloat: { 'first-layer': 1, 'last-layer': 1 } });

  // The single-layer version has nothing INT8 may touch: refused, not labelled int8.
  const srcSingle = join(dir, 'pkg-single');
  await importModel({ model: single, outDir: srcSingle, entry: 'landcover' });
  const none = await t.throwsAsync(
    quantizePackage({
      source: srcSingle,
      outDir: join(dir, 'single-int8'),
      precision: 'int8',
      calibration: frames.calibration,
      heldOut: frames.heldOut,
      latencyRounds: 0,
    }),
  );
  t.is((none as { code?: string }).code, 'E_QUANTIZE');
  t.regex(none!.message, /INT8 would quantize nothing .*1 first-layer/);

  // Both packages classify the last 1000 patches (never used for the centroids) through the runtime.
  const classify = async (dirOf: string) => {
    const rt = await createRuntime({ package: dirOf, backend: 'onnxruntime', workers: 0 });
    try {
      const picks: number[] = [];
      for (let start = n - 1000; start < n; start += 250) {
        const data = Float32Array.from(X.values.subarray(start * FEATURES, (start + 250) * FEATURES));
        const res = await rt.inferTensors(`patches-${start}`, {
          pixels: { dtype: 'float32', shape: [250, 3, 3, 4], data },
        });
        const p = res.tasks.raw!.outputs.class_prob!;
        t.deepEqual(p.shape, [250, K]);
        const v = p.values ?? [];
        for (let i = 0; i < 250; i++) {
          let best = 0;
          for (let c = 1; c < K; c++) if (v[i * K + c]! > v[i * K + best]!) best = c;
          picks.push(best);
        }
      }
      return picks;
    } finally {
      await rt.close();
    }
  };
  const fp32 = await classify(src);
  const int8 = await classify(out);
  const truth = Array.from(y.values.subarray(n - 1000), (v) => labels.indexOf(v));
  const accuracy = fp32.filter((c, i) => c === truth[i]).length / 1000;
  const agreement = int8.filter((c, i) => c === fp32[i]).length / 1000;
  t.log(
    `fp32 accuracy ${accuracy.toFixed(3)} on held-out patches; int8 agrees with fp32 on ${(agreement * 100).toFixed(1)} %`,
  );
  t.true(accuracy > 0.7, 'a nearest-centroid classifier of Landsat MSS patches');
  t.true(agreement > 0.97);
});
