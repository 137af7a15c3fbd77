import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SparseTensorProtoSchema } from 'onnx-buf';
import { readExternalDataLocations, readOnnxInfo } from '../../../sdk/package/onnx-info.js';
import { MAX_GRAPH_DEPTH, OnnxWireError, scanOnnxWire, type WireInitializer } from '../../../sdk/package/onnx-wire.js';
import { attr, externalTensor, makeModel } from '../../../tools/onnx/builder.js';
import {
  create,
  fromBinary,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  toBinary,
  type GraphProto,
} from '../../../tools/onnx/proto.js';
import { tempDir, tinyPackage } from '../../helpers/packages.js';

/** What the full decode says: main-graph initializer records and initializer locations at any depth. */
function decoded(bytes: Uint8Array): { initializers: WireInitializer[]; locations: Set<string> } {
  const model = fromBinary(ModelProtoSchema, bytes);
  const locations = new Set<string>();
  const walk = (g: GraphProto | undefined) => {
    if (!g) return;
    for (const t of g.initializer) for (const e of t.externalData) if (e.key === 'location') locations.add(e.value);
    for (const n of g.node) for (const a of n.attribute) [a.g, ...a.graphs].forEach(walk);
  };
  walk(model.graph);
  return {
    initializers: (model.graph?.initializer ?? []).map((t) => ({
      name: t.name,
      dims: t.dims.map(Number),
      dataType: t.dataType,
      dataLocation: t.dataLocation,
      externalData: t.externalData.map((e) => ({ key: e.key, value: e.value })),
    })),
    locations,
  };
}

const ref = (location: string) => ({ location, offset: 0, length: 16 });

/** A graph with one external initializer, `inner` (if any) as the then-branch of an If node. */
function graphWith(name: string, location: string, inner?: GraphProto): GraphProto {
  const nodes = inner
    ? [
        create(NodeProtoSchema, {
          opType: 'If',
          input: ['cond'],
          output: ['y'],
          attribute: [{ ...attr.g(inner), name: 'then_branch' }],
        }),
      ]
    : [];
  return create(GraphProtoSchema, {
    name,
    node: nodes,
    initializer: [externalTensor(`${name}.w`, 'float32', [2, 2], ref(location))],
  });
}

/** Protobuf wire helpers for hand-made bytes. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const len = (field: number, payload: number[] | Uint8Array) => [
  ...tag(field, 2),
  ...varint(payload.length),
  ...payload,
];
const modelOfGraphBytes = (graph: number[]) => Uint8Array.from(len(7, graph));

test('the wire walk finds what the full decode finds in every graph of a reference package', async (t) => {
  const pkg = await tinyPackage();
  for (const entry of pkg.manifest.entries) {
    const bytes = await readFile(join(pkg.dir, entry.graph));
    const scan = scanOnnxWire(bytes);
    const full = decoded(bytes);
    t.deepEqual(scan.initializers, full.initializers, entry.graph);
    t.deepEqual([...scan.externalData].sort(), [...full.locations].sort(), entry.graph);
    t.deepEqual([...scan.externalData].sort(), (await readOnnxInfo(join(pkg.dir, entry.graph))).externalData.sort());
    t.true(scan.externalData.length > 0, entry.graph);
  }
});

test('the wire walk reads locations in subgraphs, tensor attributes and sparse initializers, and initializers of the main graph only', (t) => {
  const deep = graphWith('deep', 'deep.bin');
  const inner = graphWith('inner', 'inner.bin', deep);
  const main = graphWith('main', 'main.bin', inner);
  main.node.push(
    create(NodeProtoSchema, {
      opType: 'Constant',
      output: ['c'],
      attribute: [{ ...attr.t(externalTensor('c', 'float32', [4], ref('constant.bin'))), name: 'value' }],
    }),
  );
  main.sparseInitializer.push(
    create(SparseTensorProtoSchema, {
      values: externalTensor('s', 'float32', [2], ref('sparse.bin')),
      dims: [8n],
    }),
  );
  const bytes = toBinary(ModelProtoSchema, makeModel(main, 17));
  const scan = scanOnnxWire(bytes);
  t.deepEqual(
    scan.initializers.map((x) => [x.name, x.dims]),
    [['main.w', [2, 2]]],
  );
  t.deepEqual(scan.initializers, decoded(bytes).initializers);
  t.deepEqual([...scan.externalData].sort(), ['constant.bin', 'deep.bin', 'inner.bin', 'main.bin', 'sparse.bin']);
  // A superset of the full decode's initializer locations.
  for (const l of decoded(bytes).locations) t.true(scan.externalData.includes(l), l);
});

test('a graph split over two occurrences of the field is merged, as protobuf merges it', (t) => {
  const a = toBinary(ModelProtoSchema, makeModel(graphWith('a', 'a.bin'), 17));
  const b = toBinary(ModelProtoSchema, create(ModelProtoSchema, { graph: graphWith('b', 'b.bin') }));
  const bytes = Uint8Array.from([...a, ...b]);
  const full = decoded(bytes);
  t.is(full.initializers.length, 2);
  t.deepEqual(scanOnnxWire(bytes).initializers, full.initializers);
  t.deepEqual([...scanOnnxWire(bytes).externalData].sort(), ['a.bin', 'b.bin']);
});

test('unknown fields, groups and unpacked dims are read as the full decode reads them', (t) => {
  const entry = (k: string, v: string) => len(13, [...len(1, Buffer.from(k)), ...len(2, Buffer.from(v))]);
  // A tensor with unpacked dims 3 and 5, an unknown fixed64 field and a group holding a length-delimited field.
  const tensor = [
    ...tag(1, 0),
    3,
    ...tag(1, 0),
    5,
    ...len(8, Buffer.from('t')),
    ...tag(90, 1),
    ...new Array<number>(8).fill(1),
    ...tag(91, 3),
    ...len(1, [1, 2, 3]),
    ...tag(92, 5),
    0,
    0,
    0,
    0,
    ...tag(91, 4),
    ...entry('location', 'unpacked.bin'),
  ];
  const bytes = modelOfGraphBytes([...tag(99, 0), 7, ...len(5, tensor)]);
  const full = decoded(bytes);
  t.deepEqual(full.initializers, [
    {
      name: 't',
      dims: [3, 5],
      dataType: 0,
      dataLocation: 0,
      externalData: [{ key: 'location', value: 'unpacked.bin' }],
    },
  ]);
  t.deepEqual(scanOnnxWire(bytes), { initializers: full.initializers, externalData: ['unpacked.bin'] });
});

test('EXPECTED FAILURE - bytes the walk cannot read throw OnnxWireError (callers then decode in full)', (t) => {
  const good = toBinary(ModelProtoSchema, makeModel(graphWith('g', 'g.bin'), 17));
  const cases: [string, Uint8Array][] = [
    ['truncated', good.subarray(0, good.length - 3)],
    ['length past the end', modelOfGraphBytes([...tag(5, 2), 100, 1, 2])],
    ['wire type 7', modelOfGraphBytes([...tag(5, 7)])],
    ['stray end of group', modelOfGraphBytes([...tag(5, 4)])],
    ['unterminated group', modelOfGraphBytes([...tag(60, 3), ...tag(1, 0), 1])],
    ['groups nested 200 deep', modelOfGraphBytes([...new Array(200).fill(tag(60, 3)).flat()])],
  ];
  for (const [what, bytes] of cases) t.throws(() => scanOnnxWire(bytes), { instanceOf: OnnxWireError }, what);
  let g = graphWith('leaf', 'leaf.bin');
  for (let i = 0; i <= MAX_GRAPH_DEPTH; i++) g = graphWith(`g${i}`, 'x.bin', g);
  t.throws(() => scanOnnxWire(toBinary(ModelProtoSchema, makeModel(g, 17))), { instanceOf: OnnxWireError });
});

test('readExternalDataLocations decodes in full what the walk cannot read: a damaged graph fails as readOnnxInfo fails (E_ONNX_PARSE)', async (t) => {
  const dir = tempDir('wire');
  const good = toBinary(ModelProtoSchema, makeModel(graphWith('g', 'g.bin'), 17));
  await writeFile(join(dir, 'good.onnx'), good);
  t.deepEqual(await readExternalDataLocations(join(dir, 'good.onnx'), dir), ['g.bin']);
  await writeFile(join(dir, 'bad.onnx'), good.subarray(0, good.length - 3));
  const a = await t.throwsAsync(readExternalDataLocations(join(dir, 'bad.onnx'), dir));
  const b = await t.throwsAsync(readOnnxInfo(join(dir, 'bad.onnx'), dir));
  t.is((a as { code?: string }).code, 'E_ONNX_PARSE');
  t.is((b as { code?: string }).code, 'E_ONNX_PARSE');
});

test('a known field with another wire type is skipped, as a C++ protobuf parser treats it (unknown field)', (t) => {
  // Field 5 (initializer) as a varint, then a real initializer.
  const tensor = [...tag(1, 0), 2, ...len(8, Buffer.from('w'))];
  const bytes = modelOfGraphBytes([...tag(5, 0), 42, ...len(5, tensor)]);
  t.deepEqual(scanOnnxWire(bytes).initializers, [
    { name: 'w', dims: [2], dataType: 0, dataLocation: 0, externalData: [] },
  ]);
});
