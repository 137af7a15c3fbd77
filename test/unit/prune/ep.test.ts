import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../../sdk/package/hash.js';
import { readModel } from '../../../tools/onnx/model-io.js';
import { namedConfig } from '../../../tools/ringmoe/config.js';
import { backboneParams } from '../../../tools/ringmoe/params.js';
import { SourceTensors } from '../../../tools/prune/source-tensors.js';
import { randomFeeds, runEntry } from '../../helpers/packages.js';
import { calibratedTiny, paramsFromGraphs, pruneTo, runWithOutputs, sameBytes } from './helpers.js';

const fixture = calibratedTiny();

test('EP keeping every expert re-emits every MoE cluster (single, fusion and change entries) and is bit-identical', async (t) => {
  const src = await fixture;
  const r = await pruneTo(src.dir, {
    strategy: 'ep',
    keepCollaborative: 1,
    keepModal: 1,
    modalities: 'optical,sar-l2',
  });
  const m = r.manifest!;
  t.deepEqual(r.plan.entries.regraphed, ['optical', 'sar-l2', 'fusion-optical-sar-l2', 'change-optical']);
  for (const entry of m.entries) {
    const feeds = randomFeeds(entry, 2, 9);
    const a = await runEntry(
      src.dir,
      src.manifest.entries.find((e) => e.name === entry.name)!,
      feeds,
    );
    const b = await runEntry(r.outDir!, entry, feeds);
    t.deepEqual(sameBytes(a, b), [], `${entry.name}: outputs differ`);
    // same clusters, same node names (re-emitted in the same <pass>/<block> scopes)
    t.deepEqual(
      entry.moe!.map((c) => c.nodes),
      src.manifest.entries.find((e) => e.name === entry.name)!.moe!.map((c) => c.nodes),
    );
  }
});

test('EP with router slicing: the sliced router picks, for every token, the best surviving expert of the original router', async (t) => {
  const src = await fixture;
  const r = await pruneTo(src.dir, { strategy: 'ep', keepCollaborative: 0.5, modalities: 'optical' });
  const m = r.manifest!;
  const block = m.experts!.blocks[0]!;
  const router = block.routers.find((x) => x.kind === 'collaborative')!;
  const plan = r.plan.blocks[0]!.routers.find((x) => x.id === router.id)!;
  t.is(plan.action, 'slice');
  t.is(router.experts.length, 2);
  t.is(router.params, block.dim * 2);
  // The stored router is the source router's columns of the survivors.
  const srcTensors = await SourceTensors.open(src.dir, src.manifest);
  const full = await srcTensors.float32(router.weight);
  await srcTensors.close();
  const outTensors = await SourceTensors.open(r.outDir!, m);
  const sliced = await outTensors.float32(router.weight);
  t.deepEqual(outTensors.dims(router.weight), [block.dim, 2]);
  await outTensors.close();
  for (let row = 0; row < block.dim; row++)
    plan.columns.forEach((c, j) => t.is(sliced[row * 2 + j], full[row * 4 + c]));

  // First MoE block: both models see the same tokens; compare routing choices token by token.
  const entry = m.entries.find((e) => e.name === 'optical')!;
  const cluster = entry.moe!.find((c) => c.block === block.id)!;
  const feeds = randomFeeds(entry, 2, 4);
  const before = await runWithOutputs(src.dir, src.manifest.entries[0]!, feeds, [
    { name: cluster.input, dtype: 'float32' },
    { name: src.manifest.entries[0]!.moe![0]!.routerOutputs[router.id]!, dtype: 'int64' },
  ]);
  const after = await runWithOutputs(r.outDir!, entry, feeds, [
    { name: cluster.input, dtype: 'float32' },
    { name: cluster.routerOutputs[router.id]!, dtype: 'int64' },
  ]);
  const x = before[cluster.input]!.data as Float32Array;
  t.deepEqual(Array.from(x), Array.from(after[cluster.input]!.data as Float32Array), 'same tokens enter the first MoE');
  const srcChoice = before[src.manifest.entries[0]!.moe![0]!.routerOutputs[router.id]!]!.data as BigInt64Array;
  const newChoice = after[cluster.routerOutputs[router.id]!]!.data as BigInt64Array;
  const d = block.dim;
  let kept = 0;
  for (let tok = 0; tok < newChoice.length; tok++) {
    const logits = [0, 1, 2, 3].map((c) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[tok * d + k]! * full[k * 4 + c]!;
      return s;
    });
    const best = plan.columns.reduce((a, c) => (logits[c]! > logits[a]! ? c : a), plan.columns[0]!);
    t.is(plan.columns[Number(newChoice[tok])], best, `token ${tok}`);
    if (plan.columns.includes(Number(srcChoice[tok]))) {
      kept++;
      t.is(plan.columns[Number(newChoice[tok])], Number(srcChoice[tok]), `token ${tok} keeps its expert`);
    }
  }
  t.true(kept > 0 && kept < newChoice.length, `${kept} of ${newChoice.length} tokens had a surviving expert`);
});

test('EP 0.25: one survivor per group runs on every token without a router; parameters and lineage are recorded', async (t) => {
  const src = await fixture;
  const r = await pruneTo(src.dir, { strategy: 'ep', keepCollaborative: 0.25, keepModal: 0.25, modalities: 'sar-l2' });
  const m = r.manifest!;
  // Streaming: exactly the planned files exist — kept ones byte-for-byte, written ones, the report.
  const planned = [
    ...r.plan.files.copy.map((f) => f.path),
    ...r.plan.files.write.map((f) => f.path),
    'reports/fidelity.json',
  ].sort();
  t.deepEqual(Object.keys(m.files).sort(), planned);
  for (const f of r.plan.files.copy) t.is(m.files[f.path]!.sha256, src.manifest.files[f.path]!.sha256, f.path);
  t.true(r.plan.files.drop.every((f) => !(f.path in m.files)));
  for (const b of m.experts!.blocks) {
    t.deepEqual(b.routers, [], `${b.id} has no router left`);
    t.deepEqual(
      b.experts.map((e) => e.kind),
      ['modal', 'collaborative', 'shared'],
    );
    t.true(b.experts.every((e) => e.router === undefined));
  }
  const graph = (await readModel(join(r.outDir!, 'sar-l2.onnx'))).proto.graph!;
  t.false(
    graph.node.some((n) => n.opType === 'ArgMax' && n.name.includes('/moe/')),
    'no routing left in the trunk',
  );
  t.false(graph.node.some((n) => n.opType === 'NonZero'));
  const config = namedConfig('ringmoe-tiny');
  const expected = backboneParams(config, { modalities: ['sar-l2'], modalPerModality: 1, collaborative: 1, shared: 1 });
  t.is(m.model.params.backbone, expected.total);
  t.deepEqual(await paramsFromGraphs(r.outDir!, m), { experts: expected.experts, routers: 0, embed: expected.embed });
  const step = m.lineage[m.lineage.length - 1]!;
  t.is(step.statsSha256, sha256(readFileSync(join(src.dir, 'routing-stats.json'))));
  t.like(step.params, { strategy: 'ep', keepCollaborative: 0.25, keepModal: 0.25, modalities: ['sar-l2'] });
  for (const entry of m.entries) {
    const out = await runEntry(r.outDir!, entry, randomFeeds(entry, 1, 2));
    t.true(
      Object.values(out).every((o) => Array.from(o.data as ArrayLike<number | bigint>, Number).every(Number.isFinite)),
      entry.name,
    );
  }
  t.true(r.report!.entries.every((e) => e.frames === 2));
});

test('EP on the dense lowering: sliced routers drive the one-hot combine; every entry runs', async (t) => {
  const src = await calibratedTiny({ lowering: 'dense' });
  const r = await pruneTo(src.dir, { strategy: 'ep', keepCollaborative: 0.5, modalities: 'optical' });
  const m = r.manifest!;
  t.deepEqual(
    m.entries.map((e) => e.name),
    ['optical', 'change-optical'],
  );
  t.true(m.entries.every((e) => e.moe!.every((c) => c.lowering === 'dense')));
  const graph = (await readModel(join(r.outDir!, 'optical.onnx'))).proto.graph!;
  t.false(
    graph.node.some((n) => n.opType === 'NonZero'),
    'still static shapes',
  );
  for (const entry of m.entries)
    await t.notThrowsAsync(runEntry(r.outDir!, entry, randomFeeds(entry, 1, 3)), entry.name);
  t.true(r.report!.entries[0]!.featureCosine.embedding!.mean < 0.999999, 'dropping experts changes the outputs');
});
