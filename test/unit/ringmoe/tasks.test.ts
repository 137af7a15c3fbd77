/**
 * `tasks`: which task heads the modality and fusion entries emit. A classification-only package
 * carries no untrained segmentation/detection/depth head, its manifest lists only what is emitted,
 * and the SDK runtime runs it end to end.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import { openPackage } from '../../../sdk/package/open-package.js';
import { readModel } from '../../../tools/onnx/model-io.js';
import { headParamsOf } from '../../../tools/planner/model-source.js';
import { resolveConfig } from '../../../tools/ringmoe/config.js';
import { macs } from '../../../tools/ringmoe/flops.js';
import { fullSelection } from '../../../tools/ringmoe/params.js';
import { writeReferencePackage } from '../../../tools/ringmoe/reference.js';
import { REAL } from '../../fixtures/frames/index.js';
import { randomFeeds, runEntry, tempDir, tinyPackage } from '../../helpers/packages.js';

const config = resolveConfig({
  base: 'ringmoe-tiny',
  name: 'ringmoe-tiny-cls',
  tasks: ['classification'],
  fusion: [{ name: 'fusion-optical-sar-l2', modalities: ['optical', 'sar-l2'] }],
  change: ['optical'],
});
const pkg = (async () => {
  const dir = join(tempDir('cls-only'), 'pkg');
  const manifest = await writeReferencePackage({ config, outDir: dir });
  return { dir, manifest };
})();

test('classification-only: modality and fusion entries output embedding, features_s* and cls_logits only; change entries are unaffected', async (t) => {
  const { dir, manifest } = await pkg;
  const features = ['features_s4', 'features_s8', 'features_s16', 'features_s32'];
  for (const e of manifest.entries.filter((x) => x.kind !== 'change')) {
    t.deepEqual(e.tasks, ['classification', 'features'], e.name);
    t.deepEqual(
      e.outputs.map((o) => o.name),
      ['embedding', ...features, 'cls_logits'],
      e.name,
    );
    const graph = (await readModel(join(dir, e.graph))).proto.graph!;
    t.deepEqual(
      graph.output.map((o) => o.name),
      ['embedding', ...features, 'cls_logits'],
      e.name,
    );
    t.false(
      graph.initializer.some((i) => /^head\.(neck|seg|det|depth)\./.test(i.name)),
      `${e.name} holds no untrained head`,
    );
    const out = await runEntry(dir, e, randomFeeds(e, 2, 3));
    t.deepEqual(out.cls_logits!.shape, [2, config.taskHeads.classification.labels.length]);
  }
  const change = manifest.entries.find((e) => e.kind === 'change')!;
  t.deepEqual(
    change.outputs.map((o) => o.name),
    ['change_prob'],
  );
  t.deepEqual(Object.keys(manifest.labels ?? {}), ['classification']);
  for (const f of ['head.seg.bin', 'head.det.bin', 'head.depth.bin', 'head.neck.bin'])
    t.false(existsSync(join(dir, 'weights', f)), f);
  t.true(existsSync(join(dir, 'weights', 'head.change.neck.bin')));
  // The manifest's head count is the stored head tensors, and the planner's accounting agrees.
  t.is(
    manifest.model.params.heads,
    headParamsOf(config, true) + (await fusionParams(dir, manifest.entries.find((e) => e.kind === 'fusion')!.graph)),
  );
  t.true(
    macs(config, fullSelection(config)).heads <
      macs({ ...config, tasks: ['classification', 'segmentation', 'detection', 'depth'] }, fullSelection(config)).heads,
  );
});

async function fusionParams(dir: string, graph: string): Promise<number> {
  let n = 0;
  for (const i of (await readModel(join(dir, graph))).proto.graph!.initializer)
    if (i.name.startsWith('fusion.')) n += i.dims.reduce((a, b) => a * Number(b), 1);
  return n;
}

test('classification-only: the package opens and the runtime infers a real frame, giving classification and no other head result', async (t) => {
  const { dir } = await pkg;
  const opened = await openPackage(dir);
  t.deepEqual(Object.keys(opened.manifest.labels ?? {}), ['classification']);
  const rt = await createRuntime({ package: dir, verify: 'size', workers: 0, threads: 1, entries: ['optical'] });
  try {
    const r = await rt.infer({ id: 'aero1', modality: 'optical', pixels: REAL.aero1, timestamp: 1_700_000_000_000 });
    t.deepEqual(Object.keys(r.tasks).sort(), ['classification']);
    const top = r.tasks.classification!.top;
    t.true(top.length > 0);
    for (const c of top) t.true(config.taskHeads.classification.labels.includes(c.label), JSON.stringify(c));
  } finally {
    await rt.close();
  }
});

test('the default config emits all four heads and labels its three labelled ones', async (t) => {
  const { manifest } = await tinyPackage();
  const optical = manifest.entries.find((e) => e.name === 'optical')!;
  t.deepEqual(optical.tasks, ['classification', 'segmentation', 'detection', 'depth', 'features']);
  t.deepEqual(Object.keys(manifest.labels ?? {}), ['classification', 'segmentation', 'detection']);
});
