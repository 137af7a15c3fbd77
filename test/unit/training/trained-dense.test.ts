/**
 * The committed dense references (models/ringmoe-statlog-ms-{kc,ks,ka}: the Statlog MoE collapsed
 * by kc, ks or ka, then distilled from it), each checked without Python on every run:
 * - `convert` turns its dense MindSpore .ckpt and safetensors (`mlp.mapping` / `mlp.projection`
 *   per block) into packages whose outputs equal the PyTorch outputs recorded in
 *   training/golden/ringmoe-statlog-ms-<tier>.json (max abs diff ≤ 1e-4) on the recorded inputs;
 * - the committed package is exactly what `convert` makes from the committed checkpoint, and has
 *   the layout `prune --strategy kc|ks|ka` writes (one dense expert per block, no routers);
 * - through the SDK runtime, its accuracy on the Statlog test split is the accuracy PyTorch
 *   measured after distillation (needs ../shared/data; skips visibly without it).
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
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

const PREPROCESSING = JSON.parse(readFileSync(join(REPO_ROOT, 'training', 'configs', 'statlog-ms.preprocessing.json'), 'utf8'));

interface Tensor {
  shape: number[];
  data: number[];
}
interface Golden {
  count: number;
  dense_mlp: boolean;
  input: Tensor;
  embedding: Tensor;
  cls_logits: Tensor;
  features: (Tensor & { name: string })[];
}

function maxAbsDiff(a: Float32Array, b: number[]): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
}

for (const tier of ['kc', 'ks', 'ka'] as const) {
  const name = `ringmoe-statlog-ms-${tier}`;
  const MODEL = join(REPO_ROOT, 'models', name);
  const PACKAGE = join(MODEL, 'package');
  const CONFIG = join(REPO_ROOT, 'training', 'configs', `statlog-ms-${tier}.json`);
  const GOLDEN = join(REPO_ROOT, 'training', 'golden', `${name}.json`);
  /** The committed files these tests read; a checkout without them skips visibly. */
  const present = [join(MODEL, 'checkpoint', `${name}.ckpt`), join(MODEL, 'checkpoint', `${name}.safetensors`), GOLDEN, CONFIG, join(PACKAGE, 'ringmoe.json')].every((f) => existsSync(f));
  const check = present ? test : test.skip;
  const why = present ? '' : ` (SKIPPED: models/${name}, its golden file or its config is not in this checkout)`;
  const golden = present ? (JSON.parse(readFileSync(GOLDEN, 'utf8')) as Golden) : undefined;

  async function convert(format: 'ckpt' | 'safetensors'): Promise<string> {
    const out = join(tempDir(`trained-${tier}-${format}`), 'package');
    await convertCheckpoint({ checkpoint: join(MODEL, 'checkpoint', `${name}.${format}`), config: await loadConfigArg(CONFIG), outDir: out, preprocessing: PREPROCESSING });
    return out;
  }

  for (const format of ['ckpt', 'safetensors'] as const) {
    check(`${tier}: the committed dense ${format} converts to a package that reproduces PyTorch's outputs (≤ 1e-4) on the golden inputs${why}`, async (t) => {
      const g = golden!;
      t.true(g.dense_mlp);
      const pkg = await openPackage(await convert(format));
      const entry = pkg.manifest.entries.find((e) => e.name === 'multispectral')!;
      const wanted = ['embedding', 'cls_logits', ...g.features.map((f) => f.name)];
      const session = await new OrtBackend().load({ graphPath: pkg.path(entry.graph), threads: 1 });
      try {
        const r = await session.run({ image: { dtype: 'float32', shape: g.input.shape, data: Float32Array.from(g.input.data) } }, wanted);
        const expect: Record<string, Tensor> = { embedding: g.embedding, cls_logits: g.cls_logits, ...Object.fromEntries(g.features.map((f) => [f.name, f])) };
        const diffs = wanted.map((name) => [name, maxAbsDiff(r[name]!.data as Float32Array, expect[name]!.data)] as const);
        t.log(`${g.count} inputs, max abs diff: ${diffs.map(([n, d]) => `${n} ${d.toExponential(2)}`).join(', ')}`);
        for (const [name, d] of diffs) t.true(d <= 1e-4, `${name}: ${d}`);
      } finally {
        await session.dispose();
      }
    });
  }

  check(`${tier}: the committed dense package is exactly what convert makes from the committed checkpoint, in the layout prune --strategy ${tier} writes${why}`, async (t) => {
    const fresh = (await openPackage(await convert('ckpt'))).manifest;
    const committed = (await openPackage(PACKAGE)).manifest;
    t.deepEqual(committed.files, fresh.files);
    t.deepEqual(committed.model.preprocessing, PREPROCESSING);
    t.like(committed.lineage.at(-1)!, { step: 'convert', params: { mlp: 'dense' } });
    for (const b of committed.experts!.blocks) {
      t.deepEqual(b.routers, []);
      t.like(b.experts, [{ id: `${b.id}.dense`, kind: 'dense', modality: 'multispectral', file: `weights/${b.id}/dense.bin`, hidden: b.hidden }]);
    }
  });

  check(`${tier}: through the SDK runtime the committed dense package scores on the Statlog test split what PyTorch measured after distillation (needs ../shared/data)${why}`, async (t) => {
    const csv = sharedDataOrSkip(t, DATASETS.statlog);
    if (!csv) return;
    const metrics = JSON.parse(readFileSync(join(MODEL, 'metrics.json'), 'utf8')) as { strategy?: string; distilled: { test_acc: number } };
    t.is(metrics.strategy ?? 'kc', tier, 'metrics.json is the run of this tier (recipes before --strategy wrote kc without the field)');
    const ds = await readStatlogCsv(csv, 'test');
    const r = await evaluateClassifier(PACKAGE, { name: 'statlog', samples: ds.samples, patch: ds.patch }, { backend: 'onnxruntime', threads: 1 });
    t.log(`SDK accuracy ${(100 * r.metrics.accuracy).toFixed(2)} % (${r.metrics.correct} of ${r.metrics.total}); PyTorch ${(100 * metrics.distilled.test_acc).toFixed(2)} %`);
    t.is(r.failed, 0);
    t.true(Math.abs(r.metrics.accuracy - metrics.distilled.test_acc) <= 0.0005, `SDK ${r.metrics.accuracy} vs PyTorch ${metrics.distilled.test_acc}`);
  });
}
