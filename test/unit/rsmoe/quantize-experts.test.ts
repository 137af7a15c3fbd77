/**
 * Weight-only MatMulNBits quantization of RS-MoE experts: the packing matches onnxruntime's kernel,
 * the quantized package holds MatMulNBits decoders, and its fidelity report compares real outputs.
 */
import { join } from 'node:path';
import test from 'ava';
import * as ort from 'onnxruntime-node';
import { openPackage } from '../../../sdk/package/open-package.js';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import { createVlmRuntime } from '../../../sdk/vlm/vlm-runtime.js';
import { GraphBuilder, attr, inlineTensor } from '../../../tools/onnx/builder.js';
import { readModel } from '../../../tools/onnx/model-io.js';
import { ModelProtoSchema, OperatorSetIdProtoSchema, create, toBinary } from '../../../tools/onnx/proto.js';
import { Rng } from '../../../tools/frames/seeded.js';
import { dequantizeNBits, quantizeNBits } from '../../../tools/rsmoe/matmul-nbits.js';
import { quantizeExperts } from '../../../tools/rsmoe/quantize-experts.js';
import { tempDir } from '../../helpers/packages.js';
import { aerialFrame, rsmoePackage } from '../../helpers/rsmoe-package.js';

test('the packed codes are what onnxruntime MatMulNBits multiplies by (4 and 8 bits, a ragged last block)', async (t) => {
  const K = 40;
  const N = 6;
  const rng = new Rng(1, 'w');
  const w = Float32Array.from({ length: K * N }, () => rng.normal());
  const a = Float32Array.from({ length: 2 * K }, () => rng.normal());
  for (const bits of [4, 8] as const) {
    const q = quantizeNBits(w, K, N, bits, 16);
    const dq = dequantizeNBits(q);
    // Symmetric rounding: each weight within half a step of its block's scale.
    for (let k = 0; k < K; k++)
      for (let n = 0; n < N; n++)
        t.true(Math.abs(dq[k * N + n]! - w[k * N + n]!) <= q.scales[n * q.nBlocks + Math.floor(k / 16)]! / 2 + 1e-6);
    const b = new GraphBuilder('nbits');
    const x = b.input('a', 'float32', [2, K]);
    const bq = b.initializer(inlineTensor('bq', 'uint8', [N, q.nBlocks, (16 * bits) / 8], q.packed));
    const sc = b.initializer(inlineTensor('sc', 'float32', [N, q.nBlocks], q.scales));
    const y = b.node(
      'MatMulNBits',
      [x, bq, sc],
      { K: attr.i(K), N: attr.i(N), bits: attr.i(bits), block_size: attr.i(16) },
      { domain: 'com.microsoft' },
    )[0]!;
    b.output(y, 'y', 'float32', [2, N]);
    const model = create(ModelProtoSchema, {
      irVersion: 8n,
      graph: b.build(),
      opsetImport: [
        create(OperatorSetIdProtoSchema, { domain: '', version: 17n }),
        create(OperatorSetIdProtoSchema, { domain: 'com.microsoft', version: 1n }),
      ],
    });
    const s = await ort.InferenceSession.create(toBinary(ModelProtoSchema, model));
    const out = (await s.run({ a: new ort.Tensor('float32', a, [2, K]) })).y!.data as Float32Array;
    for (let r = 0; r < 2; r++) {
      for (let n = 0; n < N; n++) {
        let ref = 0;
        for (let k = 0; k < K; k++) ref += a[r * K + k]! * dq[k * N + n]!;
        t.true(Math.abs(ref - out[r * N + n]!) < 1e-4, `${bits} bits [${r},${n}]: ${ref} vs ${out[r * N + n]}`);
      }
    }
  }
  t.throws(() => quantizeNBits(w, K, N, 3 as never, 16), { code: 'E_QUANTIZE' } as never);
  t.throws(() => quantizeNBits(w, K, N, 4, 24), { code: 'E_QUANTIZE' } as never);
});

test('int8 experts: MatMulNBits decoders, a quarter of the weight bytes, and the report agrees with a rerun', async (t) => {
  const { dir } = await rsmoePackage();
  const out = join(tempDir('rsmoe-q8'), 'p');
  const frames = [aerialFrame('aero1')];
  const { manifest, report } = await quantizeExperts({
    dir,
    outDir: out,
    bits: 8,
    frames,
    questions: ['how many ships are in the harbour?'],
    maxTokens: 8,
  });
  const pkg = await openPackage(out);
  t.is(pkg.manifest.reports?.quantization, 'reports/quantization.json');
  t.deepEqual(
    manifest.vlm!.experts.map((e) => e.quantization),
    manifest.vlm!.experts.map(() => ({ bits: 8, blockSize: 32 })),
  );
  const decoder = await readModel(pkg.path(`${manifest.vlm!.experts[0]!.decoderEntry}.onnx`));
  const ops = decoder.proto.graph!.node.map((n) => n.opType);
  t.is(ops.filter((o) => o === 'MatMulNBits').length, report.experts[0]!.matmuls);
  t.is(report.experts[0]!.matmuls, 2 * 6 + 1); // q, k, v, proj, fc1, fc2 per layer + lm_head
  for (const e of report.experts) {
    t.true(e.weightBytes.after * 3 < e.weightBytes.before);
    t.true(e.tokenAgreement >= 0 && e.tokenAgreement <= 1);
    t.is(e.requests, 2);
    // Perplexity of the fp32 outputs under fp32 is exp(-their mean log-probability).
    t.true(
      Math.abs(Math.log(e.perplexity.source) + e.meanLogProb.source) < 0.05 * Math.abs(e.meanLogProb.source) + 1e-3,
    );
    t.true(e.perplexity.quantized > 1);
  }
  // The report's numbers are the outputs of the two packages: recompute one expert's agreement.
  const a = await createVlmRuntime({ package: dir, backend: new OrtBackend() });
  const b = await createVlmRuntime({ package: out, backend: new OrtBackend() });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const [ra, rb] = [
    await a.caption(frames[0]!, { generation: { maxTokens: 8 } }),
    await b.caption(frames[0]!, { generation: { maxTokens: 8 } }),
  ];
  const [qa, qb] = [
    await a.ask(frames[0]!, 'how many ships are in the harbour?', { generation: { maxTokens: 8 } }),
    await b.ask(frames[0]!, 'how many ships are in the harbour?', { generation: { maxTokens: 8 } }),
  ];
  const agree = (x: number[], y: number[]) => x.filter((v, i) => y[i] === v).length;
  const k = 1;
  const equal =
    agree(ra.experts[k]!.tokens, rb.experts[k]!.tokens) + agree(qa.experts[k]!.tokens, qb.experts[k]!.tokens);
  const longer =
    Math.max(ra.experts[k]!.tokens.length, rb.experts[k]!.tokens.length) +
    Math.max(qa.experts[k]!.tokens.length, qb.experts[k]!.tokens.length);
  t.is(report.experts[k]!.tokenAgreement, equal / longer);
  t.true(
    report.experts.every((e) => e.tokenAgreement >= 0.9),
    JSON.stringify(report.experts.map((e) => e.tokenAgreement)),
  );
});

test('bad bits (E_QUANTIZE) and no frames (E_INVALID_ARGUMENT) are refused before anything is written', async (t) => {
  const { dir } = await rsmoePackage();
  await t.throwsAsync(
    quantizeExperts({
      dir,
      outDir: join(tempDir('rsmoe-qbad'), 'p'),
      bits: 2 as never,
      frames: [aerialFrame('aero1')],
    }),
    { code: 'E_QUANTIZE' } as never,
  );
  await t.throwsAsync(quantizeExperts({ dir, outDir: join(tempDir('rsmoe-qbad'), 'p'), bits: 4, frames: [] }), {
    code: 'E_INVALID_ARGUMENT',
  } as never);
});
