import test from 'ava';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openPackage } from '../../../sdk/package/open-package.js';
import { readModel } from '../../../tools/onnx/model-io.js';
import { DataType } from '../../../tools/onnx/proto.js';
import { externalInfo } from '../../../tools/onnx/tensor-data.js';
import { parseCalibrationCache } from '../../../tools/quantize/calibration-cache.js';
import { loadFrameSources } from '../../../tools/frames/load-sets.js';
import { quantizePackage } from '../../../tools/quantize/quantize-package.js';
import type { QuantizationReport } from '../../../tools/quantize/report.js';
import { randomFeeds, runEntry, tempDir, tinyPackage } from '../../helpers/packages.js';
import { HAS_SHARED_DATA, sharedData, testIf } from '../../helpers/shared-data.js';

const SIZE = { height: 64, width: 64 };
const frames = (specs: string[], field = '--calibration') =>
  loadFrameSources(specs, { inputSize: SIZE, modalities: ['optical', 'sar-l1'], field, maxFrames: 8 });

test('INT8: Q/DQ graphs run in onnxruntime, weights stay one file per expert, caches and report are in the package', async (t) => {
  const src = await tinyPackage();
  const out = join(tempDir('q'), 'int8');
  const r = await quantizePackage({
    source: src.dir,
    outDir: out,
    precision: 'int8',
    entries: ['optical', 'sar-l1'],
    calibration: await frames(['generated:optical:6:1', 'generated:sar-l1:4:1']),
    heldOut: await frames(['generated:optical:2:900', 'generated:sar-l1:2:900'], '--held-out'),
    tensorrtVersions: ['8.5.2', '10.3.0'],
    latencyRounds: 2,
    // The seeded toy heads have near-tied logits, so 2 generated frames per modality cannot show
    // the default floor is met (method-selection.test.ts checks the floor on real frames).
    acceptLoss: true,
  });
  const pkg = await openPackage(out);
  const m = pkg.manifest;
  t.is(m.model.precision, 'int8');
  t.deepEqual(
    m.entries.map((e) => e.name),
    ['optical', 'sar-l1'],
  );
  const step = m.lineage.at(-1)!;
  t.is(step.step, 'quantize');
  t.is(step.sourcePackage, (await openPackage(src.dir)).packageHash);
  t.is((step.params.calibration as { origin: string }).origin, 'generated');
  t.regex(step.statsSha256 ?? '', /^[0-9a-f]{64}$/);
  // Graph: Q/DQ on weighted nodes; routers and first/last layers float.
  const g = (await readModel(pkg.path('optical.onnx'))).proto.graph!;
  const ops = g.node.map((n) => n.opType);
  t.true(ops.filter((o) => o === 'QuantizeLinear').length > 10);
  const router = m.experts!.blocks[0]!.routers[0]!.weight;
  t.true(
    g.node.some((n) => n.opType === 'MatMul' && n.input[1] === router),
    'router MatMul reads its float weight directly',
  );
  // Expert weights: int8 with scales, in the expert's own file.
  const expert = m.experts!.blocks[0]!.experts.find((e) => e.kind === 'modal' && e.modality === 'optical')!;
  const w = g.initializer.find((x) => x.name === expert.tensors.fc1Weight)!;
  t.is(w.dataType, DataType.INT8);
  t.is(externalInfo(w)!.location, expert.file);
  t.is(
    externalInfo(g.initializer.find((x) => x.name === `${expert.tensors.fc1Weight}::scale`)!)!.location,
    expert.file,
  );
  t.true((await stat(pkg.path(expert.file))).size < (await stat(join(src.dir, expert.file))).size / 2);
  // It runs, with the same outputs as the fp32 entry.
  const entry = pkg.entry('optical');
  const outputs = await runEntry(out, entry, randomFeeds(entry, 2));
  t.deepEqual(Object.keys(outputs).sort(), entry.outputs.map((o) => o.name).sort());
  // Report in the package and the result.
  const report = JSON.parse(await readFile(pkg.path('reports/fidelity-int8.json'), 'utf8')) as QuantizationReport;
  t.deepEqual(report, JSON.parse(JSON.stringify(r.report)));
  t.is(m.reports!['fidelity-int8'], 'reports/fidelity-int8.json');
  t.true(
    report.entries.every((e) => e.frames === 2 && e.routing !== undefined && e.featureCosine.embedding!.mean > 0.5),
  );
  t.true(report.latency!.referenceMs > 0 && report.latency!.candidateMs > 0);
  // auto: three methods measured, the written one is the winner, and the floor verdict is recorded.
  t.is(report.selection!.mode, 'auto');
  t.is(report.selection!.candidates.length, 3);
  t.is(report.floor.acceptedLoss, !report.floor.passed);
  t.deepEqual(
    report.floor.failing,
    report.floor.failing.filter((c) => c.margin < 0),
  );
  // The TensorRT caches parse back and hold the calibrated scales.
  const ranges = JSON.parse(await readFile(pkg.path('calibration/optical.ranges.json'), 'utf8')) as {
    tensors: Record<string, { scale: number }>;
  };
  for (const [v, n] of [
    ['8.5.2', 8502],
    ['10.3.0', 100300],
  ] as const) {
    const cache = parseCalibrationCache(await readFile(pkg.path(`calibration/optical.trt-${v}.cache`), 'utf8'));
    t.is(cache.versionNumber, n);
    t.is(cache.scales.size, Object.keys(ranges.tensors).length);
    t.is(cache.scales.get('image'), Math.fround(ranges.tensors.image!.scale));
  }
  t.is(m.files['calibration/optical.trt-8.5.2.cache']!.role, 'calibration');
});

test('FP16: half weights (half the bytes) read through Casts; outputs stay float32 and close to fp32', async (t) => {
  const src = await tinyPackage();
  const out = join(tempDir('q'), 'fp16');
  const r = await quantizePackage({
    source: src.dir,
    outDir: out,
    precision: 'fp16',
    entries: ['sar-l1'],
    calibration: [],
    heldOut: await frames(['generated:sar-l1:3:900'], '--held-out'),
    latencyRounds: 0,
  });
  const pkg = await openPackage(out);
  t.is(pkg.manifest.model.precision, 'fp16');
  const g = (await readModel(pkg.path('sar-l1.onnx'))).proto.graph!;
  t.true(g.initializer.filter((x) => externalInfo(x)).every((x) => x.dataType !== DataType.FLOAT));
  const trunk = 'weights/trunk.bin';
  t.is((await stat(pkg.path(trunk))).size * 2 - (await stat(join(src.dir, trunk))).size < 4096, true);
  const entry = pkg.entry('sar-l1');
  const feeds = randomFeeds(entry, 1);
  const a = await runEntry(src.dir, entry, feeds);
  const b = await runEntry(out, entry, feeds);
  t.is(b.features_s4!.dtype, 'float32');
  t.true(r.report.entries[0]!.featureCosine.features_s4!.mean > 0.999);
  t.true(Math.abs((a.embedding!.data as Float32Array)[0]! - (b.embedding!.data as Float32Array)[0]!) < 0.05);
});

test('EXPECTED FAILURE - calibration frames of another modality', async (t) => {
  const src = await tinyPackage();
  const sar = await loadFrameSources(['generated:sar-l2:2'], {
    inputSize: SIZE,
    modalities: ['sar-l2'],
    field: '--calibration',
  });
  const e = await t.throwsAsync(
    quantizePackage({
      source: src.dir,
      outDir: join(tempDir('q'), 'x'),
      precision: 'int8',
      entries: ['optical'],
      calibration: sar,
      heldOut: [],
    }),
  );
  t.is((e as { code?: string }).code, 'E_CALIBRATION');
  t.regex(e!.message, /^calibration: .*sar-l2.*optical/);
});

test('EXPECTED FAILURE - a missing frame source and a modality without a generator', async (t) => {
  const e = await t.throwsAsync(
    loadFrameSources(['multispectral=generated-is-not-a-file.png'], {
      inputSize: SIZE,
      modalities: ['multispectral'],
      field: '--calibration',
    }),
  );
  t.is((e as { code?: string }).code, 'E_FILE_NOT_FOUND');
  const wrong = await t.throwsAsync(
    loadFrameSources(['generated:lidar:2'], { inputSize: SIZE, modalities: ['lidar'], field: '--calibration' }),
  );
  t.is((wrong as { code?: string }).code, 'E_CALIBRATION');
});

test('EXPECTED FAILURE - held-out frames that are calibration frames', async (t) => {
  const src = await tinyPackage();
  const cal = await frames(['generated:optical:3:1']);
  const e = await t.throwsAsync(
    quantizePackage({
      source: src.dir,
      outDir: join(tempDir('q'), 'x'),
      precision: 'int8',
      entries: ['optical'],
      calibration: cal,
      heldOut: cal,
    }),
  );
  t.is((e as { code?: string }).code, 'E_CALIBRATION');
  t.regex(e!.message, /also a calibration frame/);
});

test('EXPECTED FAILURE - a package that is not fp32', async (t) => {
  const src = await tinyPackage();
  const out = join(tempDir('q'), 'h');
  await quantizePackage({
    source: src.dir,
    outDir: out,
    precision: 'fp16',
    entries: ['optical'],
    calibration: [],
    heldOut: await frames(['generated:optical:1:900'], '--held-out'),
    latencyRounds: 0,
  });
  const e = await t.throwsAsync(
    quantizePackage({ source: out, outDir: join(tempDir('q'), 'y'), precision: 'int8', calibration: [], heldOut: [] }),
  );
  t.is((e as { code?: string }).code, 'E_QUANTIZE');
  t.regex(e!.message, /already fp16/);
});

testIf(HAS_SHARED_DATA, test)(
  'EXPECTED FAILURE - a real RGB photo given as multispectral frames (needs ../shared/data)',
  async (t) => {
    const photo = sharedData('pan_aerial/opencv_aero/aero1.jpg')!;
    const e = await t.throwsAsync(
      loadFrameSources([`multispectral=${photo}`], {
        inputSize: SIZE,
        modalities: ['multispectral'],
        field: '--calibration',
      }),
    );
    t.is((e as { code?: string }).code, 'E_CALIBRATION');
    t.regex(e!.message, /aero1\.jpg cannot serve as multispectral input.*3 bands/);
  },
);

testIf(HAS_SHARED_DATA, test)('real aerial imagery calibrates the optical entry (needs ../shared/data)', async (t) => {
  const src = await tinyPackage();
  const cal = await frames([`optical=${sharedData('pan_aerial/opencv_aero/aero1.jpg')!}`]);
  const held = await frames([`optical=${sharedData('pan_aerial/opencv_aero/aero3.jpg')!}`], '--held-out');
  t.true(cal[0]!.frames.length > 1 && cal[0]!.origin === 'real');
  const r = await quantizePackage({
    source: src.dir,
    outDir: join(tempDir('q'), 'real'),
    precision: 'int8',
    entries: ['optical'],
    calibration: cal,
    heldOut: held,
    latencyRounds: 0,
    acceptLoss: true,
  });
  t.is(r.report.calibration!.origin, 'real');
  t.is(
    r.manifest.lineage.at(-1)!.params.calibration &&
      (r.manifest.lineage.at(-1)!.params.calibration as { origin: string }).origin,
    'real',
  );
});
