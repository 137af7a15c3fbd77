/**
 * The committed trained reference (models/ringmoe-statlog-ms), checked without Python on every run:
 * - `convert` turns its MindSpore .ckpt and its safetensors into packages whose outputs equal the
 *   PyTorch outputs recorded in training/golden (max abs diff ≤ 1e-4) on the recorded inputs;
 * - the committed package is exactly what `convert` makes from the committed checkpoint (its
 *   weights cannot drift from the checkpoint the model card describes);
 * - through the SDK runtime, the committed package's accuracy on the Statlog test split is the
 *   accuracy PyTorch measured (needs ../shared/data; skips visibly without it).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPackage } from '../../../sdk/package/open-package.js';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import { convertCheckpoint } from '../../../tools/convert/convert.js';
import { DATASETS } from '../../../tools/evaluate/datasets.js';
import { evaluateClassifier } from '../../../tools/evaluate/evaluate.js';
import { readStatlogCsv } from '../../../tools/evaluate/statlog.js';
import { loadConfigArg } from '../../../tools/ringmoe/config-file.js';
import { tempDir } from '../../helpers/packages.js';
import { REPO_ROOT, sharedDataOrSkip } from '../../helpers/shared-data.js';

const MODEL = join(REPO_ROOT, 'models', 'ringmoe-statlog-ms');
const PACKAGE = join(MODEL, 'package');
const CONFIG = join(REPO_ROOT, 'training', 'configs', 'statlog-ms.json');
const PREPROCESSING = JSON.parse(readFileSync(join(REPO_ROOT, 'training', 'configs', 'statlog-ms.preprocessing.json'), 'utf8'));

interface Golden {
  count: number;
  input: { shape: number[]; data: number[] };
  embedding: { shape: number[]; data: number[] };
  cls_logits: { shape: number[]; data: number[] };
}
const golden = JSON.parse(readFileSync(join(REPO_ROOT, 'training', 'golden', 'ringmoe-statlog-ms.json'), 'utf8')) as Golden;

async function convert(format: 'ckpt' | 'safetensors'): Promise<string> {
  const out = join(tempDir(`trained-${format}`), 'package');
  await convertCheckpoint({
    checkpoint: join(MODEL, 'checkpoint', `ringmoe-statlog-ms.${format}`),
    config: await loadConfigArg(CONFIG),
    outDir: out,
    preprocessing: PREPROCESSING,
  });
  return out;
}

async function outputs(dir: string): Promise<Record<string, Float32Array>> {
  const pkg = await openPackage(dir);
  const entry = pkg.manifest.entries.find((e) => e.name === 'multispectral')!;
  const session = await new OrtBackend().load({ graphPath: pkg.path(entry.graph), threads: 1 });
  try {
    const r = await session.run({ image: { dtype: 'float32', shape: golden.input.shape, data: Float32Array.from(golden.input.data) } }, ['embedding', 'cls_logits']);
    return { embedding: r.embedding!.data as Float32Array, cls_logits: r.cls_logits!.data as Float32Array };
  } finally {
    await session.dispose();
  }
}

function maxAbsDiff(a: Float32Array, b: number[]): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
}

for (const format of ['ckpt', 'safetensors'] as const) {
  test(`the committed ${format} converts to a package that reproduces PyTorch's outputs (≤ 1e-4) on the golden inputs`, async (t) => {
    const out = await outputs(await convert(format));
    const e = maxAbsDiff(out.embedding!, golden.embedding.data);
    const l = maxAbsDiff(out.cls_logits!, golden.cls_logits.data);
    t.log(`${golden.count} inputs: embedding max abs diff ${e.toExponential(2)}, logits ${l.toExponential(2)}`);
    t.true(e <= 1e-4, `embedding ${e}`);
    t.true(l <= 1e-4, `logits ${l}`);
  });
}

test('the committed package is exactly what convert makes from the committed checkpoint', async (t) => {
  const fresh = (await openPackage(await convert('ckpt'))).manifest;
  const committed = (await openPackage(PACKAGE)).manifest;
  t.deepEqual(committed.files, fresh.files);
  t.deepEqual(committed.model.preprocessing, PREPROCESSING);
  t.is(committed.lineage.at(-1)!.step, 'convert');
});

test('through the SDK runtime the committed package scores on the Statlog test split what PyTorch measured (needs ../shared/data)', async (t) => {
  const csv = sharedDataOrSkip(t, DATASETS.statlog);
  if (!csv) return;
  const metrics = JSON.parse(readFileSync(join(MODEL, 'metrics.json'), 'utf8')) as { test_acc: number };
  const ds = await readStatlogCsv(csv, 'test');
  const r = await evaluateClassifier(PACKAGE, { name: 'statlog', samples: ds.samples, patch: ds.patch }, { backend: 'onnxruntime', threads: 1 });
  t.log(`SDK accuracy ${(100 * r.metrics.accuracy).toFixed(2)} % (${r.metrics.correct} of ${r.metrics.total}); PyTorch ${(100 * metrics.test_acc).toFixed(2)} %`);
  t.is(r.failed, 0);
  t.true(Math.abs(r.metrics.accuracy - metrics.test_acc) <= 0.0005, `SDK ${r.metrics.accuracy} vs PyTorch ${metrics.test_acc}`);
  t.true(r.metrics.accuracy >= 0.92, `the reference must reach the 92 % goal through the SDK: ${r.metrics.accuracy}`);
});
