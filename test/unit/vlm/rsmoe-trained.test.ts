/**
 * The committed trained tiny RS-MoE (models/rsmoe-statlog-tiny) through the SDK: its graphs give
 * PyTorch's visual tokens, first-step logits and greedy tokens on the golden scene; on held-out
 * Statlog scenes (real test-split patches, read from ../shared/data) every expert text equals
 * PyTorch's greedy text and the scores beat the template baseline.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { openPackage } from '../../../sdk/package/open-package.js';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import type { HostTensor } from '../../../sdk/core/host-tensor.js';
import { loadVlmTokenizer } from '../../../sdk/vlm/tokenizer.js';
import { createVlmRuntime } from '../../../sdk/vlm/vlm-runtime.js';
import { vlmSection } from '../../../sdk/package/vlm-manifest.js';
import { preprocessFrame } from '../../../sdk/sensors/preprocess/preprocess.js';
import { evaluateRsMoe, loadPytorchOutputs } from '../../../tools/rsmoe/evaluate-trained.js';
import { loadHeldOut, loadStatlogCsv, renderScene } from '../../../tools/rsmoe/statlog-scenes.js';
import { tempDir } from '../../helpers/packages.js';
import { rsmoeGolden, rsmoeGoldenFrame, TRAINED_RSMOE } from '../../helpers/rsmoe-trained.js';
import { sharedDataOrSkip } from '../../helpers/shared-data.js';

const MODEL = TRAINED_RSMOE;
const PACKAGE = join(MODEL, 'package');
const STATLOG = 'labels/mlbench_statlog_landsat/statlog_satellite.csv';

const golden = rsmoeGolden;
const goldenFrame = rsmoeGoldenFrame;
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

test('the committed package verifies and says it is trained, not seeded', async (t) => {
  t.true(existsSync(join(PACKAGE, 'ringmoe.json')));
  const pkg = await openPackage(PACKAGE);
  t.is(pkg.manifest.kind, 'rsmoe');
  const vlm = vlmSection(pkg.manifest);
  t.false(vlm.seededWeights);
  t.deepEqual(
    vlm.experts.map((e) => e.id),
    ['theme', 'objects', 'relations'],
  );
  t.is(pkg.manifest.lineage?.[0]?.step, 'train');
});

test("golden scene: the SDK preprocessing, vision graph and each expert's first step match PyTorch (≤ 1e-4)", async (t) => {
  const pkg = await openPackage(PACKAGE);
  const vlm = vlmSection(pkg.manifest);
  const pre = await preprocessFrame(goldenFrame(), { inputSize: vlm.vision.inputSize, fit: 'resize' });
  t.true(maxDiff(pre.batches[0]!.data as Float32Array, golden.input.data) <= 1e-5, 'preprocessing');

  const tok = await loadVlmTokenizer(vlm, (rel) => join(PACKAGE, rel));
  const L = vlm.vision.maxInstructionTokens;
  const ids = new BigInt64Array(L).fill(BigInt(tok.pad));
  const mask = new BigInt64Array(L);
  tok.encode(golden.instruction).forEach((id, j) => {
    ids[j] = BigInt(id);
    mask[j] = 1n;
  });
  const ort = new OrtBackend();
  const vision = await ort.load({ graphPath: join(PACKAGE, 'vision.onnx') });
  t.teardown(() => vision.dispose());
  const image: HostTensor = { dtype: 'float32', shape: [1, 3, 48, 48], data: Float32Array.from(golden.input.data) };
  const vt = (
    await vision.run(
      {
        image,
        instruction_ids: { dtype: 'int64', shape: [1, L], data: ids },
        instruction_mask: { dtype: 'int64', shape: [1, L], data: mask },
      },
      ['visual_tokens'],
    )
  ).visual_tokens!;
  t.deepEqual(vt.shape, golden.visual_tokens.shape);
  t.true(
    maxDiff(vt.data as Float32Array, golden.visual_tokens.data) <= 1e-4,
    `visual tokens differ by ${maxDiff(vt.data as Float32Array, golden.visual_tokens.data)}`,
  );

  for (const e of vlm.experts) {
    const g = golden.experts[e.id]!;
    const prefix = await ort.load({ graphPath: join(PACKAGE, `${e.prefixEntry}.onnx`) });
    const decoder = await ort.load({ graphPath: join(PACKAGE, `${e.decoderEntry}.onnx`) });
    t.teardown(() => Promise.all([prefix.dispose(), decoder.dispose()]).then(() => undefined));
    const past = await prefix.run({
      visual_tokens: { dtype: 'float32', shape: [...vt.shape], data: (vt.data as Float32Array).slice() },
    });
    const S = g.prompt_ids.length;
    const Q = vlm.vision.queries;
    const feeds: Record<string, HostTensor> = {
      input_ids: { dtype: 'int64', shape: [1, S], data: BigInt64Array.from(g.prompt_ids.map(BigInt)) },
      attention_mask: { dtype: 'int64', shape: [1, Q + S], data: new BigInt64Array(Q + S).fill(1n) },
      position_ids: { dtype: 'int64', shape: [1, S], data: BigInt64Array.from(g.prompt_ids.map((_, j) => BigInt(j))) },
    };
    for (let i = 0; i < e.decoder.layers; i++)
      for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = past[`past_key_values.${i}.${kv}`]!;
    const logits = (await decoder.run(feeds, ['logits'])).logits!;
    const V = e.decoder.vocab;
    const last = (logits.data as Float32Array).subarray((S - 1) * V, S * V);
    t.true(
      maxDiff(last, g.first_logits) <= 1e-4,
      `${e.id}: first-step logits differ by ${maxDiff(last, g.first_logits)}`,
    );
  }
});

test("golden scene: runtime.caption gives PyTorch's greedy tokens for every expert", async (t) => {
  const rt = await createVlmRuntime({ package: PACKAGE });
  t.teardown(() => rt.close());
  const r = await rt.caption(goldenFrame(), { generation: { maxTokens: 24 } });
  for (const e of r.experts) t.deepEqual(e.tokens, golden.experts[e.id]!.tokens, e.id);
  t.is(r.note, undefined, 'trained weights carry no seeded-weights note');
  t.log(r.text);
});

test("held-out Statlog scenes (needs ../shared/data): the SDK reproduces PyTorch's greedy texts and beats the template baseline", async (t) => {
  const csv = sharedDataOrSkip(t, STATLOG);
  if (!csv) return;
  const table = await loadStatlogCsv(csv);
  const heldOut = await loadHeldOut(join(MODEL, 'heldout.json'), table);
  const g = renderScene(table, golden.rows);
  t.deepEqual([...g.data], golden.image_hwc_uint8, "the TypeScript renderer gives the recipe's bytes");
  const pytorch = await loadPytorchOutputs(join(MODEL, 'pytorch-heldout.json'));
  const rt = await createVlmRuntime({ package: PACKAGE });
  t.teardown(() => rt.close());
  // The first 40 of the 200 held-out scenes (about 250 requests); eval-report.json has all of them.
  const r = await evaluateRsMoe({ runtime: rt, heldOut, table, pytorch, limit: 40, timedRequests: 0 });
  t.is(r.pytorchAgreement?.scenes, 40);
  t.true(r.pytorchAgreement!.expertTexts > 40 * 3 * 5);
  t.is(r.pytorchAgreement?.equal, r.pytorchAgreement?.expertTexts, JSON.stringify(r.pytorchAgreement?.firstMismatch));
  t.true(
    r.caption.model.bleu4 > r.caption.baseline.bleu4 + 0.3,
    `BLEU-4 ${r.caption.model.bleu4} vs ${r.caption.baseline.bleu4}`,
  );
  t.true(
    r.caption.model.ciderD > 2 * r.caption.baseline.ciderD,
    `CIDEr-D ${r.caption.model.ciderD} vs ${r.caption.baseline.ciderD}`,
  );
  t.true(
    r.vqa.model.accuracy > r.vqa.baseline.accuracy + 0.2,
    `VQA ${r.vqa.model.accuracy} vs ${r.vqa.baseline.accuracy}`,
  );
  t.log(
    `40 scenes: BLEU-4 ${r.caption.model.bleu4.toFixed(3)}, CIDEr-D ${r.caption.model.ciderD.toFixed(3)}, VQA ${(100 * r.vqa.model.accuracy).toFixed(1)} %`,
  );
});

test('held-out file and renderer reject bad input with coded errors', async (t) => {
  const csv = sharedDataOrSkip(t, STATLOG);
  if (!csv) return;
  const table = await loadStatlogCsv(csv);
  t.throws(() => renderScene(table, [[0, 1, 2]]), { code: 'E_DATASET' } as never);
  t.throws(
    () =>
      renderScene(
        table,
        Array.from({ length: 4 }, () => [0, 1, 2, 99999]),
      ),
    { message: /row 99999/ },
  );
  const held = JSON.parse(readFileSync(join(MODEL, 'heldout.json'), 'utf8')) as { scenes: { labels: string[][] }[] };
  held.scenes[0]!.labels[0]![0] = held.scenes[0]!.labels[0]![0] === 'red soil' ? 'cotton crop' : 'red soil';
  const bad = join(tempDir('rsmoe-heldout'), 'heldout.json');
  await writeFile(bad, JSON.stringify(held));
  await t.throwsAsync(loadHeldOut(bad, table), { message: /scene 0, cell \(0, 0\)/ });
});
