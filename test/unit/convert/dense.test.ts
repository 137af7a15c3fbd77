/**
 * Dense (collapsed) checkpoints: block MLPs in the released dense names `mlp.mapping` /
 * `mlp.projection` convert into the package layout `prune --strategy kc` writes (one `dense`
 * expert per block, no routers), computing what the pruned package computes.
 */
import test from 'ava';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PackageManifest } from '../../../sdk/package/package-manifest.js';
import { calibratePackage } from '../../../tools/calibrate/calibrate.js';
import { generatedFrames } from '../../../tools/frames/frame.js';
import { convertCheckpoint } from '../../../tools/convert/convert.js';
import { prunePackage } from '../../../tools/prune/prune.js';
import { resolveConfig, stageGeometry, type RingMoEConfig } from '../../../tools/ringmoe/config.js';
import { writeCkpt, writeSafetensors, type TestTensor } from '../../helpers/checkpoint-writers.js';
import { packageTensors, releasedCheckpoint } from '../../helpers/package-checkpoints.js';
import { maxAbsDiff, randomFeeds, runEntry, tempDir } from '../../helpers/packages.js';
import { statlogLikePackage } from '../../helpers/statlog-package.js';

interface Fixture {
  config: RingMoEConfig;
  /** The kc-pruned package. */
  pruned: { dir: string; manifest: PackageManifest };
  /** Its tensors in released names, block MLPs dense. */
  tensors: TestTensor[];
}

let fixture: Promise<Fixture> | undefined;
/** A seeded Statlog-shaped MoE (v1), calibrated, pruned with kc; its dense FFNs written as `mlp.mapping` / `mlp.projection`. */
function denseFixture(): Promise<Fixture> {
  fixture ??= (async () => {
    const src = await statlogLikePackage();
    const dir = join(tempDir('dense-src'), 'pkg');
    cpSync(src.dir, dir, { recursive: true });
    await calibratePackage({ dir, frames: generatedFrames(4, 7, 'calibration'), modalities: ['multispectral'] });
    const out = join(tempDir('dense-kc'), 'pkg');
    const r = await prunePackage({
      dir,
      outDir: out,
      options: { strategy: 'kc', modalities: 'multispectral' },
      evalFrames: generatedFrames(2, 3, 'eval'),
    });
    const config = src.manifest.model.config as unknown as RingMoEConfig;
    const moe = releasedCheckpoint(await packageTensors(src.dir, src.manifest), config, 3);
    const dense = await packageTensors(out, r.manifest!);
    const tensors = moe.filter((x) => !/\.mlp\./.test(x.name));
    for (const g of stageGeometry(config)) {
      for (let j = 0; j < g.depth; j++) {
        const P = `encoder.layers.${g.stage - 1}.blocks.${j}.mlp.`;
        const D = `s${g.stage}.b${j}.dense.`;
        for (const [from, to] of [
          ['fc1.weight', 'mapping.weight'],
          ['fc1.bias', 'mapping.bias'],
          ['fc2.weight', 'projection.weight'],
          ['fc2.bias', 'projection.bias'],
        ] as const) {
          const t = dense.get(`${D}${from}`)!;
          tensors.push({ name: `${P}${to}`, dims: t.dims, data: t.data });
        }
      }
    }
    return { config, pruned: { dir: out, manifest: r.manifest! }, tensors };
  })();
  return fixture;
}

for (const format of ['ckpt', 'safetensors'] as const) {
  test(`${format}: a dense checkpoint converts into the package prune --strategy kc writes, with the same outputs (<= 1e-5)`, async (t) => {
    const f = await denseFixture();
    const dir = tempDir('dense-conv');
    const file = join(dir, `dense.${format}`);
    if (format === 'ckpt') writeCkpt(file, f.tensors);
    else writeSafetensors(file, f.tensors);
    const out = join(dir, 'package');
    // the Statlog-shaped source emits every task head; the untrained ones are seeded as the source's (seed 3)
    const r = await convertCheckpoint({
      checkpoint: file,
      config: f.config,
      outDir: out,
      allowUntrainedHeads: true,
      seed: 3,
    });
    const m = r.manifest!;
    t.is(r.plan.mlp, 'dense');
    // the same expert map (apart from where each FFN came from), parameters and weight files
    const strip = (x: PackageManifest) =>
      x.experts!.blocks.map((b) => ({ ...b, experts: b.experts.map(({ origin: _o, ...e }) => e) }));
    t.deepEqual(strip(m), strip(f.pruned.manifest));
    t.deepEqual(m.model.params, f.pruned.manifest.model.params);
    for (const b of m.experts!.blocks) t.true(existsSync(join(out, `weights/${b.id}/dense.bin`)), b.id);
    t.is(m.experts!.blocks[0]!.experts[0]!.origin!.strategy, 'convert');
    t.like(m.lineage.at(-1)!, { step: 'convert', params: { mlp: 'dense' } });
    let worst = 0;
    for (const entry of m.entries) {
      const feeds = randomFeeds(entry, 2, 5);
      const a = await runEntry(
        f.pruned.dir,
        f.pruned.manifest.entries.find((e) => e.name === entry.name)!,
        feeds,
      );
      const b = await runEntry(out, entry, feeds);
      for (const name of ['embedding', 'cls_logits']) {
        const d = maxAbsDiff(a[name]!, b[name]!);
        worst = Math.max(worst, d);
        t.true(d <= 1e-5, `${entry.name}.${name}: ${d}`);
      }
    }
    t.log(`${format}: max abs diff to the kc-pruned package ${worst.toExponential(2)}`);
  });
}

test('a dense checkpoint without --config: the width comes from mlp.mapping, the MoE expert counts are said to be guessed', async (t) => {
  const f = await denseFixture();
  const file = join(tempDir('dense-infer'), 'dense.safetensors');
  writeSafetensors(file, f.tensors);
  const r = await convertCheckpoint({ checkpoint: file, dryRun: true, allowUntrainedHeads: true });
  t.is(r.plan.mlp, 'dense');
  t.is(r.plan.config.mlpRatio, f.config.mlpRatio);
  t.deepEqual(r.plan.config.depths, f.config.depths);
  t.true(
    r.plan.guessed!.some((g) => /^experts \(a dense checkpoint does not record the MoE/.test(g)),
    r.plan.guessed!.join('; '),
  );
  t.deepEqual(r.plan.dense!.selection, {
    modalities: ['multispectral'],
    modalPerModality: 0,
    collaborative: 0,
    shared: 0,
    dense: true,
    denseHiddenMultiple: 1,
  });
  const feed = r.plan.feeds.find((x) => x.target === 's2.b1.dense.fc2.weight')!;
  t.deepEqual(feed, {
    target: 's2.b1.dense.fc2.weight',
    dims: [256, 64],
    transform: { op: 'copy' },
    sources: [{ name: 'encoder.layers.1.blocks.1.mlp.projection.weight', dims: [256, 64] }],
  });
});

test('BAD CHECKPOINT - dense: a missing or mis-shaped dense tensor, MoE names beside dense ones, several modalities', async (t) => {
  const f = await denseFixture();
  const dir = tempDir('dense-bad');
  const file = join(dir, 'bad.safetensors');
  const tensors = f.tensors
    .filter((x) => x.name !== 'encoder.layers.0.blocks.1.mlp.mapping.bias')
    .map((x) => (x.name === 'encoder.layers.1.blocks.0.mlp.projection.bias' ? { ...x, dims: [32, 2] } : x));
  tensors.push({
    name: 'encoder.layers.0.blocks.0.mlp.public_ffn.mapping.weight',
    dims: [32, 128],
    data: new Float32Array(32 * 128),
  });
  writeSafetensors(file, tensors);
  const e = await t.throwsAsync(convertCheckpoint({ checkpoint: file, config: f.config, dryRun: true }));
  t.is((e as { code?: string }).code, 'E_CHECKPOINT_MISMATCH');
  t.regex(e!.message, /3 problem\(s\)/);
  t.regex(
    e!.message,
    /missing encoder\.layers\.0\.blocks\.1\.mlp\.mapping\.bias \[128\] \(for s1\.b1\.dense\.fc1\.bias\)/,
  );
  t.regex(
    e!.message,
    /encoder\.layers\.1\.blocks\.0\.mlp\.projection\.bias is \[32,2\] in the checkpoint but the config needs \[64\] \(for s2\.b0\.dense\.fc2\.bias\)/,
  );
  t.regex(e!.message, /unexpected encoder\.layers\.0\.blocks\.0\.mlp\.public_ffn\.mapping\.weight \[32,128\]/);

  const { inputSize, patchSize, embedDim, depths, heads, window, mlpRatio } = f.config;
  const two = resolveConfig({
    base: 'ringmoe-tiny',
    name: 'two-modalities',
    modalities: ['optical', 'multispectral'],
    fusion: [],
    change: [],
    tasks: ['classification'],
    inputSize,
    patchSize,
    embedDim,
    depths,
    heads,
    window,
    mlpRatio,
  });
  const ok = join(dir, 'ok.ckpt');
  writeCkpt(ok, f.tensors);
  const e2 = await t.throwsAsync(convertCheckpoint({ checkpoint: ok, config: two, dryRun: true }));
  t.is((e2 as { code?: string }).code, 'E_CHECKPOINT_MISMATCH');
  t.regex(
    e2!.message,
    /block MLPs are dense \(mlp\.mapping \/ mlp\.projection: a collapsed model\), which serves one modality, but config \S+ has 2 \(optical, multispectral\)/,
  );
});
