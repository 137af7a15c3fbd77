import test from 'ava';
import { join } from 'node:path';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import { makeModel, valueInfo } from '../../../tools/onnx/builder.js';
import {
  GraphIndex,
  extractSubgraph,
  liveNodes,
  removeDeadNodes,
  removeUnusedInitializers,
  renameTensor,
  topologicalOrder,
  validateGraph,
} from '../../../tools/onnx/graph.js';
import { readModel, writeModel } from '../../../tools/onnx/model-io.js';
import { GraphProtoSchema, NodeProtoSchema, create } from '../../../tools/onnx/proto.js';
import { maxAbsDiff, randomFeeds, runEntry, tempDir, tinyPackage } from '../../helpers/packages.js';
import { Rng } from '../../../tools/frames/seeded.js';

test('producers and consumers index a real graph; every consumed tensor has one producer or is an input/initializer', async (t) => {
  const { dir } = await tinyPackage();
  const g = (await readModel(join(dir, 'optical.onnx'))).proto.graph!;
  const index = new GraphIndex(g);
  for (const n of g.node) {
    for (const i of n.input) {
      if (!i) continue;
      t.true(index.producer.has(i) || index.initializers.has(i) || index.inputs.has(i), i);
    }
  }
  const image = index.consumersOf('image');
  t.is(image.length, 1);
  t.is(image[0]!.opType, 'Conv');
});

test('topological order puts every node after its producers, also from a shuffled node list', async (t) => {
  const { dir } = await tinyPackage();
  const g = (await readModel(join(dir, 'fusion-optical-sar-l2.onnx'))).proto.graph!;
  const rng = new Rng(3, 'shuffle');
  const shuffled = [...g.node];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  g.node = shuffled;
  const order = topologicalOrder(g);
  t.is(order.length, shuffled.length);
  const seen = new Set<string>([...g.input.map((v) => v.name), ...g.initializer.map((x) => x.name)]);
  for (const n of order) {
    for (const i of n.input) if (i) t.true(seen.has(i), `${n.name} reads ${i} before it is produced`);
    n.output.forEach((o) => seen.add(o));
  }
});

test('EXPECTED FAILURE - a cycle is reported with the nodes involved', (t) => {
  const a = create(NodeProtoSchema, { name: 'a', opType: 'Relu', input: ['y'], output: ['x'] });
  const b = create(NodeProtoSchema, { name: 'b', opType: 'Relu', input: ['x'], output: ['y'] });
  const err = t.throws(() => topologicalOrder(create(GraphProtoSchema, { name: 'cyclic', node: [a, b] })));
  t.is((err as { code?: string }).code, 'E_ONNX_INVALID');
  t.regex(err!.message, /cycle through nodes a, b/);
});

test('extracting the subgraph up to features_s8 computes the same values as the whole model', async (t) => {
  const { dir, manifest } = await tinyPackage();
  const model = await readModel(join(dir, 'optical.onnx'));
  const g = model.proto.graph!;
  const sub = extractSubgraph(g, { outputs: ['features_s8'] });
  t.true(sub.node.length < 0.7 * g.node.length, `${sub.node.length} of ${g.node.length} nodes`);
  t.false(
    sub.node.some((n) => n.name.includes('/s3.') || n.name.includes('head.')),
    'nothing past stage 2',
  );
  t.deepEqual(
    sub.input.map((i) => i.name),
    ['image'],
  );
  validateGraph(sub);
  const out = join(dir, '..', 'extract');
  await writeModel({ proto: makeModel(sub, 17), baseDir: dir }, join(out, 'sub.onnx'));
  const entry = manifest.entries[0]!;
  const feeds = randomFeeds(entry, 2, 9);
  const full = await runEntry(dir, entry, feeds);
  const s = await new OrtBackend().load({ graphPath: join(out, 'sub.onnx') });
  const part = await s.run(feeds);
  await s.dispose();
  t.is(maxAbsDiff(full.features_s8!, part.features_s8!), 0);
});

test('dead nodes and unused initializers are removed; renaming keeps the model runnable', async (t) => {
  const { dir, manifest } = await tinyPackage();
  const model = await readModel(join(dir, 'optical.onnx'));
  const g = model.proto.graph!;
  const before = g.node.length;
  // Drop every output but cls_logits: detection, segmentation, depth and the neck die.
  g.output = g.output.filter((o) => o.name === 'cls_logits');
  const removed = removeDeadNodes(g);
  t.true(removed > 50, `${removed} removed`);
  t.is(g.node.length, before - removed);
  t.is(liveNodes(g).size, g.node.length);
  const dropped = removeUnusedInitializers(g);
  t.true(dropped.some((n) => n.startsWith('head.det.')));
  t.true(dropped.some((n) => n.startsWith('head.seg.')));
  t.false(dropped.some((n) => n.startsWith('head.cls.')));
  renameTensor(g, 'image', 'pixels');
  renameTensor(g, 'cls_logits', 'scores');
  validateGraph(g);
  const out = tempDir('dead');
  await writeModel(model, join(out, 'm.onnx'));
  const s = await new OrtBackend().load({ graphPath: join(out, 'm.onnx') });
  t.deepEqual(s.inputNames, ['pixels']);
  t.deepEqual(s.outputNames, ['scores']);
  const feeds = randomFeeds(manifest.entries[0]!, 1, 4);
  const got = await s.run({ pixels: feeds.image! });
  await s.dispose();
  const want = await runEntry(dir, manifest.entries[0]!, feeds);
  t.is(maxAbsDiff(got.scores!, want.cls_logits!), 0);
});

test('EXPECTED FAILURE - validation lists undefined inputs, duplicate producers and missing outputs', async (t) => {
  const { dir } = await tinyPackage();
  const g = (await readModel(join(dir, 'sar-l2.onnx'))).proto.graph!;
  g.node[3]!.input[0] = 'nowhere';
  g.node[5]!.output[0] = g.node[4]!.output[0]!;
  g.output.push(valueInfo('ghost', 'float32', [1]));
  const err = t.throws(() => validateGraph(g, { file: 'sar-l2.onnx' }));
  t.is((err as { code?: string }).code, 'E_ONNX_INVALID');
  t.regex(err!.message, /^sar-l2\.onnx: /);
  t.regex(err!.message, /reads "nowhere" before anything defines it/);
  t.regex(err!.message, /is defined twice/);
  t.regex(err!.message, /graph output "ghost" is never produced/);
});
