import test from 'ava';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openPackage } from '../../../sdk/package/open-package.js';
import { readModel } from '../../../tools/onnx/model-io.js';
import { externalInfo } from '../../../tools/onnx/tensor-data.js';
import { namedConfig } from '../../../tools/ringmoe/config.js';
import { backboneParams, fullSelection } from '../../../tools/ringmoe/params.js';
import { maxAbsDiff, randomFeeds, runEntry, tinyPackage } from '../../helpers/packages.js';

test('ringmoe-tiny: every entry loads and runs in onnxruntime with the documented output shapes and ranges', async (t) => {
  const { dir, manifest } = await tinyPackage();
  t.deepEqual(
    manifest.entries.map((e) => e.name),
    ['optical', 'sar-l1', 'sar-l2', 'multispectral', 'fusion-optical-sar-l2', 'change-optical', 'change-multispectral'],
  );
  for (const entry of manifest.entries) {
    const out = await runEntry(dir, entry, randomFeeds(entry, 2));
    for (const spec of entry.outputs) {
      const got = out[spec.name];
      t.truthy(got, `${entry.name}: output ${spec.name}`);
      t.deepEqual(
        got!.shape,
        spec.shape.map((d) => (d === 'N' ? 2 : d)),
        `${entry.name}.${spec.name} shape`,
      );
      t.is(got!.dtype, spec.dtype);
      const data = Array.from(got!.data as ArrayLike<number | bigint>, Number);
      t.true(data.every(Number.isFinite), `${entry.name}.${spec.name} finite`);
      if (spec.range)
        t.true(
          data.every((v) => v >= spec.range![0] && v <= spec.range![1]),
          `${entry.name}.${spec.name} in ${spec.range}`,
        );
    }
    if (entry.outputs.some((o) => o.name === 'det_scores')) {
      const s = out.det_scores!.data as Float32Array;
      for (let i = 1; i < s.length / 2; i++) t.true(s[i - 1]! >= s[i]!, 'scores sorted');
      const b = out.det_boxes!.data as Float32Array;
      for (let i = 0; i < b.length; i += 4) t.true(b[i]! <= b[i + 2]! && b[i + 1]! <= b[i + 3]!, 'x1<=x2, y1<=y2');
    }
  }
});

test('ringmoe-tiny: the whole package is well under 5 MB', async (t) => {
  const { manifest } = await tinyPackage();
  const bytes = Object.values(manifest.files).reduce((s, f) => s + f.size, 0);
  t.true(bytes < 4.2 * 1024 * 1024, `${bytes} bytes`);
});

test('same seed gives the same bytes; another seed gives other weights', async (t) => {
  const a = await tinyPackage({ seed: 0 });
  const b = await tinyPackage({ seed: 0, config: 'ringmoe-tiny', lowering: 'sparse' });
  const c = await tinyPackage({ seed: 1 });
  t.not(a.dir, b.dir);
  t.deepEqual(a.manifest.files, b.manifest.files);
  t.is(readFileSync(join(a.dir, 'ringmoe.json'), 'utf8'), readFileSync(join(b.dir, 'ringmoe.json'), 'utf8'));
  t.not(a.manifest.files['weights/trunk.bin']!.sha256, c.manifest.files['weights/trunk.bin']!.sha256);
  t.not(
    a.manifest.files['weights/s1.b0/collaborative.0.bin']!.sha256,
    c.manifest.files['weights/s1.b0/collaborative.0.bin']!.sha256,
  );
});

test('sparse and dense lowerings agree (max abs diff <= 1e-5) on random inputs of every modality', async (t) => {
  const sparse = await tinyPackage({ lowering: 'sparse' });
  const dense = await tinyPackage({ lowering: 'dense' });
  for (const entry of sparse.manifest.entries) {
    for (const seed of [1, 2]) {
      const feeds = randomFeeds(entry, 3, seed);
      const a = await runEntry(sparse.dir, entry, feeds);
      const b = await runEntry(
        dense.dir,
        dense.manifest.entries.find((e) => e.name === entry.name)!,
        feeds,
      );
      for (const o of entry.outputs) {
        if (o.dtype !== 'float32') {
          t.deepEqual(
            Array.from(a[o.name]!.data as BigInt64Array),
            Array.from(b[o.name]!.data as BigInt64Array),
            `${entry.name}.${o.name}`,
          );
          continue;
        }
        t.true(
          maxAbsDiff(a[o.name]!, b[o.name]!) <= 1e-5,
          `${entry.name}.${o.name} seed ${seed}: ${maxAbsDiff(a[o.name]!, b[o.name]!)}`,
        );
      }
    }
  }
});

test('the sparse graph routes with NonZero/Gather/ScatterND; the dense one has no data-dependent shapes', async (t) => {
  const sparse = await tinyPackage({ lowering: 'sparse' });
  const dense = await tinyPackage({ lowering: 'dense' });
  const ops = async (dir: string) =>
    new Set((await readModel(join(dir, 'optical.onnx'))).proto.graph!.node.map((n) => n.opType));
  const s = await ops(sparse.dir);
  const d = await ops(dense.dir);
  for (const op of ['NonZero', 'Gather', 'ScatterND', 'ArgMax']) t.true(s.has(op), op);
  t.false(d.has('NonZero'));
  t.false(d.has('ScatterND'));
});

test('the sparse lowering gathers per expert and scatters once per routed group', async (t) => {
  const { dir, manifest } = await tinyPackage({ lowering: 'sparse' });
  const graph = (await readModel(join(dir, 'optical.onnx'))).proto.graph!;
  const byName = new Map(graph.node.map((n) => [n.name, n]));
  const clusters = manifest.entries.find((e) => e.name === 'optical')!.moe!;
  t.true(clusters.length > 0);
  for (const c of clusters) {
    const ops = (names: string[]) => names.map((n) => byName.get(n)!.opType);
    const routers = Object.keys(c.routerOutputs);
    const routed = Object.entries(c.owners).filter(([id]) => ops(c.owners[id]!).includes('NonZero'));
    // optical: the modal group and the collaborative group, four experts each
    t.is(routers.length, 2, c.block);
    t.is(routed.length, 8, c.block);
    for (const [id, nodes] of routed) {
      t.deepEqual(
        ops(nodes).filter((o) => ['Equal', 'NonZero', 'Gather', 'GatherND', 'ScatterND', 'Transpose'].includes(o)),
        ['Equal', 'NonZero', 'Gather'],
        id,
      );
    }
    t.is(ops(c.nodes).filter((o) => o === 'ScatterND').length, routers.length, c.block);
    t.false(ops(c.nodes).includes('ConstantOfShape'), c.block);
  }
});

test('expert map: each expert has its own weight file holding exactly its four tensors, shared by every graph that uses it', async (t) => {
  const { dir, manifest } = await tinyPackage();
  const blocks = manifest.experts!.blocks;
  t.is(blocks.length, 5);
  const optical = await readModel(join(dir, 'optical.onnx'));
  const byFile = new Map<string, string[]>();
  for (const init of optical.proto.graph!.initializer) {
    const ext = externalInfo(init);
    if (ext) byFile.set(ext.location, [...(byFile.get(ext.location) ?? []), init.name]);
  }
  for (const b of blocks) {
    t.is(b.experts.length, 4 * 4 + 4 + 1);
    t.is(b.routers.length, 5);
    for (const e of b.experts.filter((x) => x.kind !== 'modal' || x.modality === 'optical')) {
      t.deepEqual(byFile.get(e.file)?.sort(), Object.values(e.tensors).sort(), e.id);
      t.is(statSync(join(dir, e.file)).size, manifest.files[e.file]!.size);
    }
    // the optical graph references no other modality's experts
    for (const e of b.experts.filter((x) => x.kind === 'modal' && x.modality !== 'optical'))
      t.false(byFile.has(e.file), e.id);
  }
  // every MoE cluster names its nodes, and they exist in the graph
  const names = new Set(optical.proto.graph!.node.map((n) => n.name));
  const entry = manifest.entries[0]!;
  t.is(entry.moe!.length, blocks.length);
  for (const c of entry.moe!) {
    for (const n of c.nodes) t.true(names.has(n), n);
    for (const [owner, nodes] of Object.entries(c.owners))
      for (const n of nodes) t.true(c.nodes.includes(n), `${owner}: ${n}`);
    t.is(Object.keys(c.routerOutputs).length, 2);
  }
});

test('manifest parameter counts match the accounting and the stored expert tensors', async (t) => {
  const { dir, manifest } = await tinyPackage();
  const c = namedConfig('ringmoe-tiny');
  t.is(manifest.model.params.backbone, backboneParams(c, fullSelection(c)).total);
  const expertParams = manifest.experts!.blocks.flatMap((b) => b.experts).reduce((s, e) => s + e.params, 0);
  t.is(expertParams, backboneParams(c, fullSelection(c)).experts);
  const storedExpertBytes = manifest
    .experts!.blocks.flatMap((b) => b.experts)
    .reduce((s, e) => s + (manifest.files[e.file]!.size - 0), 0);
  t.true(
    storedExpertBytes >= expertParams * 4 && storedExpertBytes < expertParams * 4 + 64 * 4 * 21 * 5,
    `${storedExpertBytes} vs ${expertParams * 4}`,
  );
  await t.notThrowsAsync(openPackage(dir));
});
