/**
 * The cpu-dynamic INT8 format on the trained Statlog package (models/ringmoe-statlog-ms/package):
 * the written graph holds standard integer MatMuls, loads in onnxruntime, and onnxruntime's
 * optimised graph runs them as fused integer kernels; on real Statlog patches it stays above the
 * fidelity floor and within 1 point of fp32 accuracy on the test split. Through the CLI, `--target`
 * picks the format (CPU profile: cpu-dynamic; TensorRT profile: qdq-symmetric).
 */
import test from 'ava';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { isEdgeError } from '../../../sdk/core/errors.js';
import { openPackage } from '../../../sdk/package/open-package.js';
import type { PackageManifest } from '../../../sdk/package/package-manifest.js';
import { preprocessFrame } from '../../../sdk/sensors/preprocess/preprocess.js';
import { runCli } from '../../../tools/cli/cli.js';
import type { Result as QuantizeCliResult } from '../../../tools/cli/commands/quantize.js';
import { createIO } from '../../../tools/cli/io.js';
import { DATASETS } from '../../../tools/evaluate/datasets.js';
import { evaluateClassifier } from '../../../tools/evaluate/evaluate.js';
import { readStatlogCsv, type LabelledDataset } from '../../../tools/evaluate/statlog.js';
import type { FrameSet } from '../../../tools/frames/frame-set.js';
import { loadFrameSources } from '../../../tools/frames/load-sets.js';
import { readModel } from '../../../tools/onnx/model-io.js';
import { quantizePackage } from '../../../tools/quantize/quantize-package.js';
import { runEntry, randomFeeds, tempDir } from '../../helpers/packages.js';
import { REPO_ROOT, sharedDataOrSkip } from '../../helpers/shared-data.js';

const STATLOG = join(REPO_ROOT, 'models', 'ringmoe-statlog-ms', 'package');
const CPU = { format: 'cpu-dynamic' as const, reason: 'test' };
const FUSED = ['com.microsoft.DynamicQuantizeMatMul', 'com.microsoft.MatMulIntegerToFloat'];

function count(types: Record<string, number>, names: string[]): number {
  return names.reduce((n, k) => n + (types[k] ?? 0), 0);
}

/** The first `n` patches of a split, preprocessed as the package declares. */
async function statlogFrames(ds: LabelledDataset, n: number, m: PackageManifest): Promise<FrameSet> {
  const declared = m.model.preprocessing?.multispectral ?? {};
  const { height, width } = m.model.inputSize!;
  const frames = [];
  for (const s of ds.samples.slice(0, n)) {
    const pre = await preprocessFrame(
      {
        id: String(s.row),
        modality: 'multispectral',
        timestamp: 0,
        pixels: { data: s.pixels, ...ds.patch, dtype: 'uint8', layout: 'hwc' },
      },
      { inputSize: { height, width }, ...declared },
    );
    const data = pre.batches[0]!.data;
    frames.push({
      id: `test#${s.row}`,
      modality: 'multispectral',
      origin: 'real' as const,
      channels: 4,
      height,
      width,
      data,
    });
  }
  return { modality: 'multispectral', source: `statlog ${ds.split} (first ${n})`, origin: 'real', frames };
}

test('trained Statlog, cpu-dynamic: integer MatMuls in the file, fused integer kernels in onnxruntime', async (t) => {
  t.timeout(5 * 60_000, 'quantizes and runs a small package on a shared CPU');
  const heldOut = await loadFrameSources(['generated:multispectral:4:1001'], {
    inputSize: { height: 24, width: 24 },
    modalities: ['multispectral'],
    field: '--held-out',
  });
  const out = join(tempDir('cpu-int8'), 'statlog-int8');
  const r = await quantizePackage({
    source: STATLOG,
    outDir: out,
    precision: 'int8',
    int8Format: CPU,
    calibration: [],
    heldOut,
    latencyRounds: 0,
  });
  t.is(r.report.int8Format?.format, 'cpu-dynamic');
  t.is(r.report.calibration, null, 'run-time quantization needs no calibration');
  t.is(r.report.method, undefined);
  const planned = r.report.quantized![0]!.nodes;
  t.true(planned > 0);

  // The file: standard ONNX integer ops, no Q/DQ pairs, no TensorRT calibration cache.
  const entry = r.manifest.entries[0]!;
  const written = (await readModel(join(out, entry.graph))).proto.graph!.node;
  const ops = (op: string) => written.filter((n) => n.opType === op).length;
  t.is(ops('MatMulInteger'), planned);
  t.true(ops('DynamicQuantizeLinear') >= 1 && ops('DynamicQuantizeLinear') <= planned);
  t.is(ops('QuantizeLinear') + ops('DequantizeLinear'), 0);
  t.false(Object.keys(r.manifest.files).some((f) => f.startsWith('calibration/')));
  t.is(r.manifest.lineage.at(-1)!.params.int8Format, 'cpu-dynamic');

  // onnxruntime's optimised graph: every integer MatMul fused, none left as MatMulInteger + Cast + Mul.
  const opt = r.report.optimizedGraph!;
  t.log(`optimised: ${JSON.stringify(opt.nodeTypes)}`);
  t.is(count(opt.nodeTypes, FUSED), planned);
  t.is(count(opt.nodeTypes, ['MatMulInteger', 'Cast']), 0);

  // It loads and runs through the SDK's backend (batch 3: a batch the fidelity run did not use).
  const outputs = await runEntry(out, entry, randomFeeds(entry, 3));
  t.deepEqual(outputs.cls_logits!.shape, [3, 6]);
  t.true(Array.from(outputs.cls_logits!.data as Float32Array).every(Number.isFinite));
});

test('trained Statlog, cpu-dynamic on real patches: fidelity floor met, accuracy within 1 point of fp32 (needs ../shared/data)', async (t) => {
  t.timeout(10 * 60_000, 'evaluates the 2000-patch test split twice on a shared CPU');
  const csv = sharedDataOrSkip(t, DATASETS.statlog);
  if (!csv) return;
  const m = (await openPackage(STATLOG, { verify: 'size' })).manifest;
  const testSplit = await readStatlogCsv(csv, 'test');
  const out = join(tempDir('cpu-int8'), 'statlog-int8-real');
  // Fidelity is measured on test patches the accuracy run also reads: nothing was calibrated on them.
  const r = await quantizePackage({
    source: STATLOG,
    outDir: out,
    precision: 'int8',
    int8Format: CPU,
    calibration: [],
    heldOut: [await statlogFrames(testSplit, 64, m)],
    latencyRounds: 0,
  });
  t.true(r.report.floor.passed, `worst ${JSON.stringify(r.report.floor.worst)}`);
  const cosine = r.report.entries[0]!.featureCosine;
  t.true(cosine.embedding!.mean >= 0.99, `embedding cosine ${cosine.embedding!.mean}`);
  const set = { name: 'statlog', samples: testSplit.samples, patch: testSplit.patch };
  const fp32 = await evaluateClassifier(STATLOG, set, { batch: 64, threads: 1, verify: 'size' });
  const int8 = await evaluateClassifier(out, set, { batch: 64, threads: 1, verify: 'size' });
  const delta = (int8.metrics.accuracy - fp32.metrics.accuracy) * 100;
  t.log(
    `Statlog test accuracy: fp32 ${(100 * fp32.metrics.accuracy).toFixed(2)} %, int8 cpu-dynamic ${(100 * int8.metrics.accuracy).toFixed(2)} % (${delta.toFixed(2)} pts); embedding cosine ${cosine.embedding!.mean.toFixed(5)}`,
  );
  t.is(int8.failed, 0);
  t.true(Math.abs(delta) <= 1, `accuracy moved ${delta.toFixed(2)} points`);
});

/** Runs `quantize` in this process and keeps its readable output. */
async function quantizeCli(argv: string[]): Promise<{ out: string; result: QuantizeCliResult }> {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const err = new Writable({ write: (_c, _e, done) => done() });
  const { result } = await runCli(['quantize', ...argv], (json) => createIO(json, out, err));
  return { out: chunks.join(''), result: result as QuantizeCliResult };
}

test.serial('CLI: --target picks the format (CPU profile: cpu-dynamic; TensorRT profile: qdq-symmetric)', async (t) => {
  t.timeout(8 * 60_000, 'quantizes a small package twice on a shared CPU');
  const dir = tempDir('cpu-int8-cli');
  const common = ['--precision', 'int8', '--latency-rounds', '0', '--max-frames', '8'];
  const cpu = await quantizeCli([STATLOG, '-o', join(dir, 'cpu'), '--target', 'cpu', ...common]);
  t.is(cpu.result.report.int8Format?.format, 'cpu-dynamic');
  t.regex(cpu.out, /int8 format: cpu-dynamic, chosen by target cpu-x86-64-onnxruntime/);
  t.regex(
    cpu.out,
    /onnxruntime CPU graph after optimisation \(multispectral, \d+ nodes\): com\.microsoft\.DynamicQuantizeMatMul x\d+/,
  );

  const trt = await quantizeCli([
    STATLOG,
    '-o',
    join(dir, 'orin'),
    '--target',
    'jetson-orin-nx-16gb',
    '--method',
    'max',
    ...common,
  ]);
  t.is(trt.result.report.int8Format?.format, 'qdq-symmetric');
  t.regex(trt.out, /int8 format: qdq-symmetric, chosen by target jetson-orin-nx-16gb/);
  const nodes = (await readModel(join(dir, 'orin', 'multispectral.onnx'))).proto.graph!.node;
  t.true(nodes.some((n) => n.opType === 'QuantizeLinear'));
  t.false(nodes.some((n) => n.opType === 'MatMulInteger'));
});

test.serial('BAD CALL - --int8-format cpu-dynamic with a TensorRT target is refused, naming the flag', async (t) => {
  const err = await t.throwsAsync(
    quantizeCli([
      STATLOG,
      '-o',
      join(tempDir('cpu-int8-cli'), 'bad'),
      '--precision',
      'int8',
      '--target',
      'jetson-orin-nx-16gb',
      '--int8-format',
      'cpu-dynamic',
    ]),
  );
  t.true(isEdgeError(err, 'E_INVALID_ARGUMENT'));
  t.regex(err!.message, /--int8-format cpu-dynamic .*jetson-orin-nx-16gb runs TensorRT/);
  const unknown = await t.throwsAsync(
    quantizeCli([
      STATLOG,
      '-o',
      join(tempDir('cpu-int8-cli'), 'bad2'),
      '--precision',
      'int8',
      '--int8-format',
      'qlinear',
    ]),
  );
  t.true(isEdgeError(unknown, 'E_INVALID_ARGUMENT'));
  t.regex(unknown!.message, /--int8-format/);
});
