import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { readModel } from '../../../tools/onnx/model-io.js';
import { namedConfig } from '../../../tools/ringmoe/config.js';
import { backboneParams } from '../../../tools/ringmoe/params.js';
import { calibratePackage } from '../../../tools/calibrate/calibrate.js';
import { generatedFrames } from '../../../tools/frames/frame.js';
import { writeReferencePackage } from '../../../tools/ringmoe/reference.js';
import { maxAbsDiff, randomFeeds, runEntry, tempDir } from '../../helpers/packages.js';
import { calibratedTiny, paramsFromGraphs, pruneTo, type Fixture } from './helpers.js';

/** Upcycled ringmoe-tiny with v1 attention (the named configs' default). */
const upcycled = calibratedTiny({ upcycled: true, modalities: ['optical'] });
/** The same with SwinV2 attention: pruning works on the expert map and must not care. */
const upcycledV2 = calibratedTiny({ upcycled: true, modalities: ['optical'], attention: 'v2' });
/** The default reference: experts of a block related but distinct (expert spread 0.3), not upcycled. */
const seeded = calibratedTiny({ modalities: ['multispectral'] });
const config = namedConfig('ringmoe-tiny');

/** Prunes `src` with `strategy` and checks every float output of every kept entry equals the source's. */
async function assertExact(t: ExecutionContext, src: Fixture, strategy: 'ks' | 'ka' | 'kc') {
  const r = await pruneTo(src.dir, { strategy, modalities: 'optical' });
  for (const entry of r.manifest!.entries) {
    const feeds = randomFeeds(entry, 2, 6);
    const a = await runEntry(
      src.dir,
      src.manifest.entries.find((e) => e.name === entry.name)!,
      feeds,
    );
    const b = await runEntry(r.outDir!, entry, feeds);
    for (const o of entry.outputs) {
      if (o.dtype !== 'float32') continue;
      const scale = Math.max(1, ...Array.from(a[o.name]!.data as Float32Array, Math.abs));
      t.true(
        maxAbsDiff(a[o.name]!, b[o.name]!) <= 1e-5 * scale,
        `${entry.name}.${o.name}: ${maxAbsDiff(a[o.name]!, b[o.name]!)} (scale ${scale})`,
      );
    }
  }
  return r;
}

for (const strategy of ['ks', 'ka', 'kc'] as const) {
  test(`${strategy} on an upcycled v1 package (identical experts) is exact: outputs equal the unpruned package's within float tolerance`, async (t) => {
    const src = await upcycled;
    t.is(src.manifest.model.config!.attention, 'v1');
    const r = await assertExact(t, src, strategy);
    t.is(r.manifest!.model.config!.attention, 'v1');
    const origin = r.manifest!.experts!.blocks[0]!.experts[0]!.origin!;
    t.is(origin.strategy, strategy);
    t.regex(
      origin.note!,
      strategy === 'kc'
        ? /byte-identical experts merged into the 1 distinct ones/
        : /identical \(sparse upcycling\), folded exactly: W2 and b2 × 3/,
    );
  });
}

test('ka on an upcycled v2 (SwinV2) package is exact too', async (t) => {
  const src = await upcycledV2;
  t.is(src.manifest.model.config!.attention, 'v2');
  const r = await assertExact(t, src, 'ka');
  t.is(r.manifest!.model.config!.attention, 'v2');
});

test('ks, ka, kc: router-free, one FFN d → h → d per block; parameters match params.ts and the graphs', async (t) => {
  const src = await seeded;
  const dense = backboneParams(config, {
    modalities: ['multispectral'],
    modalPerModality: 0,
    collaborative: 0,
    shared: 0,
    dense: true,
  });
  for (const strategy of ['ks', 'ka', 'kc'] as const) {
    const r = await pruneTo(src.dir, { strategy, modalities: 'multispectral' });
    const m = r.manifest!;
    for (const b of m.experts!.blocks) {
      t.deepEqual(b.routers, []);
      t.is(b.experts.length, 1);
      const e = b.experts[0]!;
      t.like(e, {
        id: `${b.id}.dense`,
        kind: 'dense',
        modality: 'multispectral',
        dim: b.dim,
        hidden: b.dim * config.mlpRatio,
        file: `weights/${b.id}/dense.bin`,
      });
      t.is(e.origin!.from.length, 9);
    }
    const graph = (await readModel(join(r.outDir!, 'multispectral.onnx'))).proto.graph!;
    const moeOps = graph.node.filter((n) => n.name.includes('/moe/')).map((n) => n.opType);
    t.false(
      moeOps.includes('ArgMax') || moeOps.includes('NonZero') || moeOps.includes('ScatterND'),
      `${strategy}: no routing`,
    );
    t.is(
      moeOps.filter((op) => op === 'MatMul').length,
      2 * m.experts!.blocks.length,
      `${strategy}: two MatMuls per block`,
    );
    t.is(m.model.params.backbone, dense.total);
    t.deepEqual(await paramsFromGraphs(r.outDir!, m), { experts: dense.experts, routers: 0, embed: dense.embed });
    for (const entry of m.entries) await t.notThrowsAsync(runEntry(r.outDir!, entry, randomFeeds(entry, 1, 1)));
    const f = r.report!.entries.find((e) => e.entry === 'multispectral')!;
    t.true(
      f.featureCosine.embedding!.mean < 0.9999,
      `${strategy} on distinct (not upcycled) experts is lossy, and the report says so`,
    );
    t.is(r.report!.compute.gflops < r.report!.compute.referenceGflops, true);
  }
});

test('ka --fold concat keeps the exact sum of the group FFNs: hidden 3h, params with a 3h dense FFN', async (t) => {
  const src = await seeded;
  const r = await pruneTo(src.dir, { strategy: 'ka', modalities: 'multispectral', fold: 'concat' });
  const b = r.manifest!.experts!.blocks[2]!;
  t.is(b.experts[0]!.hidden, 3 * b.hidden);
  t.regex(b.experts[0]!.origin!.note!, /concatenated along the hidden axis \(exact sum, hidden 96\)/);
  t.is(
    r.manifest!.model.params.backbone,
    backboneParams(config, {
      modalities: ['multispectral'],
      modalPerModality: 0,
      collaborative: 0,
      shared: 0,
      dense: true,
      denseHiddenMultiple: 3,
    }).total,
  );
});

test('EXPECTED FAILURE - a dense package cannot be collapsed again (E_PRUNE); a modality subset of it still works', async (t) => {
  const src = await upcycled;
  const r = await pruneTo(src.dir, { strategy: 'ks', modalities: 'optical' });
  const err = await t.throwsAsync(pruneTo(r.outDir!, { strategy: 'ka', modalities: 'optical' }));
  t.is((err as { code?: string }).code, 'E_PRUNE');
  t.regex(err!.message, /block s1\.b0 is already dense/);
  const again = await pruneTo(r.outDir!, { modalities: 'optical' });
  t.is(again.manifest!.experts!.blocks[0]!.experts[0]!.kind, 'dense');
});

test('fold auto: related experts (the default reference) fold unit by unit, independent ones by importance; aligned beats importance on related experts', async (t) => {
  const src = await seeded;
  const auto = await pruneTo(src.dir, { strategy: 'ka', modalities: 'multispectral' });
  const note = auto.manifest!.experts!.blocks[0]!.experts[0]!.origin!.note!;
  t.regex(
    note,
    /folded unit by unit \(W1, b1 averaged, W2, b2 summed; their units agree, mean W1 column cosine 0\.\d{3}\)/,
  );
  const importance = await pruneTo(src.dir, { strategy: 'ka', modalities: 'multispectral', fold: 'importance' });
  t.regex(importance.manifest!.experts!.blocks[0]!.experts[0]!.origin!.note!, /highest-importance hidden units/);
  const cos = (r: typeof auto) =>
    r.report!.entries.find((e) => e.entry === 'multispectral')!.featureCosine.embedding!.mean;
  t.true(cos(auto) > cos(importance), `aligned ${cos(auto)} vs importance ${cos(importance)}`);

  const dir = join(tempDir('independent'), 'pkg');
  await writeReferencePackage({ config: config, outDir: dir, expertSpread: 1 });
  await calibratePackage({ dir, frames: generatedFrames(1, 2, 'calibration'), modalities: ['optical'] });
  const independent = await pruneTo(dir, { strategy: 'ks', modalities: 'optical' });
  t.regex(
    independent.manifest!.experts!.blocks[0]!.experts[0]!.origin!.note!,
    /highest-importance hidden units .*their units do not agree \(mean W1 column cosine -?0\.0\d\d\)/,
  );
});
