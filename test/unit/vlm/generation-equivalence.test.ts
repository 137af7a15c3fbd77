/**
 * RS-MoE generation equivalences on the rsmoe-tiny reference package and real aerial frames:
 * cached decoding equals full recomputation token for token, a batch equals its requests one by
 * one, and beam scores equal a teacher-forced rescoring.
 */
import test from 'ava';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import { CausalLm, logitsAt } from '../../../sdk/vlm/causal-lm.js';
import { selectRows, type KvCache } from '../../../sdk/vlm/kv-cache.js';
import { logSoftmax } from '../../../sdk/vlm/sampling.js';
import { createVlmRuntime, type VlmRequest, type VlmResult, type VlmRuntime } from '../../../sdk/vlm/vlm-runtime.js';
import { aerialFrame, rsmoePackage } from '../../helpers/rsmoe-package.js';

let rt: VlmRuntime;
test.before(async () => {
  const { dir } = await rsmoePackage();
  rt = await createVlmRuntime({ package: dir, backend: new OrtBackend() });
});
test.after.always(async () => rt?.close());

const tokensOf = (rs: VlmResult[]) => rs.map((r) => r.experts.map((e) => e.tokens));

// Two frames, questions of different lengths (so the batch is left-padded).
const requests: VlmRequest[] = [
  { frame: aerialFrame('aero1'), task: 'vqa', question: 'How many ships are in the harbour?' },
  {
    frame: aerialFrame('aero3'),
    task: 'vqa',
    question: 'Is there a bridge across the river near the large industrial area on the left?',
  },
  { frame: aerialFrame('aero3'), task: 'caption' },
];

test('cached decoding equals full recomputation token for token (greedy and seeded top-p)', async (t) => {
  for (const generation of [{ maxTokens: 10 }, { strategy: 'top-p' as const, seed: 7, topP: 0.8, maxTokens: 10 }]) {
    const cached = await rt.run(requests, { generation });
    const full = await rt.run(requests, { generation: { ...generation, kvCache: false } });
    t.deepEqual(tokensOf(cached), tokensOf(full));
    // Not vacuous: every expert generated tokens, and the experts disagree with each other.
    for (const r of cached) {
      t.true(r.experts.every((e) => e.tokens.length > 0));
      t.true(new Set(r.experts.map((e) => e.tokens.join())).size > 1);
    }
    t.true(cached[0]!.experts[0]!.steps > 1);
  }
});

test('a batch equals its requests one by one', async (t) => {
  const generation = { maxTokens: 10 };
  const batch = await rt.run(requests, { generation });
  const single = [];
  for (const r of requests) single.push(...(await rt.run([r], { generation })));
  t.deepEqual(tokensOf(batch), tokensOf(single));
  t.deepEqual(
    batch.map((r) => r.text),
    single.map((r) => r.text),
  );
  // Top-p samples request r of a call from stream (seed, r): a batch reproduces itself exactly.
  const sampled = { strategy: 'top-p' as const, seed: 3, maxTokens: 8 };
  t.deepEqual(
    tokensOf(await rt.run(requests, { generation: sampled })),
    tokensOf(await rt.run(requests, { generation: sampled })),
  );
});

test('the Q-Former is instruction-aware: another question gives other visual tokens for the same frame', async (t) => {
  const base = { frameId: 'aero1', timestamp: 0, task: 'vqa' as const };
  const a = await visualTokens({ ...base, question: 'how many ships are in the harbour?' } as VlmResult);
  const b = await visualTokens({ ...base, question: 'is there a bridge?' } as VlmResult);
  const c = await visualTokens({ ...base, question: 'how many ships are in the harbour?' } as VlmResult);
  t.deepEqual(Array.from(a.data as Float32Array), Array.from(c.data as Float32Array));
  t.notDeepEqual(Array.from(a.data as Float32Array), Array.from(b.data as Float32Array));
});

test('top-p: the same seed reproduces, another seed samples differently', async (t) => {
  const g = (seed: number) =>
    rt.caption(aerialFrame('aero1'), { generation: { strategy: 'top-p', seed, topP: 0.95, maxTokens: 12 } });
  const [a, b, c] = [await g(1), await g(1), await g(2)];
  t.deepEqual(
    a.experts.map((e) => e.tokens),
    b.experts.map((e) => e.tokens),
  );
  t.notDeepEqual(
    a.experts.map((e) => e.tokens),
    c.experts.map((e) => e.tokens),
  );
});

test('beam search and greedy: the reported scores equal a teacher-forced rescoring', async (t) => {
  const { dir, manifest } = await rsmoePackage();
  const beam = await rt.caption(aerialFrame('aero1'), { generation: { strategy: 'beam', beams: 3, maxTokens: 6 } });
  const greedy = await rt.caption(aerialFrame('aero1'), { generation: { maxTokens: 6 } });
  const expert = manifest.vlm!.experts[0]!;
  const backend = new OrtBackend();
  const prefixSession = await backend.load({ graphPath: `${dir}/${expert.prefixEntry}.onnx` });
  const lm = new CausalLm(
    expert.id,
    await backend.load({ graphPath: `${dir}/${expert.decoderEntry}.onnx` }),
    expert.decoder,
  );
  t.teardown(async () => {
    await prefixSession.dispose();
    await lm.session.dispose();
  });
  // Rescore by one full pass over prompt + beam tokens from the same visual prefix. The vision graph is
  // rerun through the runtime's own path: a one-token greedy request yields the same prompt.
  const score = async (r: typeof beam): Promise<number> => {
    const e = r.experts[0]!;
    const vis = await visualTokens(r);
    const pk = await prefixSession.run({ visual_tokens: vis });
    const cache: KvCache = { batch: 1, length: pk['past_key_values.0.key']!.shape[2]!, tensors: pk };
    const { encode } = await tokenizerOf();
    const prompt = [manifest.vlm!.tokenizer.bos, ...encode(e.prompt)];
    const seq = [...prompt, ...e.tokens];
    const out = await lm.step(
      [seq],
      [new Array(cache.length + seq.length).fill(1)],
      [seq.map((_, i) => i)],
      selectRows(cache, [0]),
    );
    let s = 0;
    e.tokens.forEach((id, j) => (s += logSoftmax(logitsAt(out, expert.decoder.vocab, 0, prompt.length - 1 + j))[id]!));
    return s;
  };
  const beamScore = await score(beam);
  t.true(
    Math.abs(beamScore - beam.experts[0]!.meanLogProb * beam.experts[0]!.tokens.length) < 1e-3,
    `${beamScore} vs ${beam.experts[0]!.meanLogProb * beam.experts[0]!.tokens.length}`,
  );
  t.true(Math.abs((await score(greedy)) - greedy.experts[0]!.meanLogProb * greedy.experts[0]!.tokens.length) < 1e-3);
  t.notDeepEqual(beam.experts[0]!.tokens, [], 'beam search produced tokens');
});

test('runtime.score: teacher-forced log-probabilities of the greedy tokens sum to the reported score', async (t) => {
  const req = requests[1]!;
  const [r] = await rt.run([req], { generation: { maxTokens: 7 } });
  const [scores] = await rt.score([req], [Object.fromEntries(r!.experts.map((e) => [e.id, e.tokens]))]);
  for (const e of r!.experts) {
    t.is(scores![e.id]!.length, e.tokens.length);
    t.true(Math.abs(scores![e.id]!.reduce((a, b) => a + b, 0) - e.meanLogProb * e.tokens.length) < 1e-3);
  }
  await t.throwsAsync(rt.score([req], [{ theme: [1e9] }]), { code: 'E_INVALID_ARGUMENT' } as never);
});

test('stop sequences cut the text where they occur; max tokens bounds the output; tokens stream as chosen', async (t) => {
  const events: { expert: string; token: number }[] = [];
  const plain = await rt.caption(aerialFrame('aero3'), {
    generation: { maxTokens: 9, onToken: (e) => events.push(e) },
  });
  for (const e of plain.experts) {
    t.true(e.tokens.length <= 9);
    t.deepEqual(
      events.filter((x) => x.expert === e.id).map((x) => x.token),
      e.tokens,
    );
  }
  const words = plain.experts[1]!.text.split(' ');
  const stopWord = words.find(
    (w, i) =>
      i >= 2 && /^[a-z]+$/.test(w) && plain.experts[1]!.text.indexOf(w) === plain.experts[1]!.text.indexOf(` ${w}`) + 1,
  );
  if (!stopWord) return t.fail(`no usable stop word in ${plain.experts[1]!.text}`);
  const stopped = await rt.caption(aerialFrame('aero3'), { generation: { maxTokens: 9, stop: [` ${stopWord}`] } });
  const e = stopped.experts[1]!;
  t.is(e.finishReason, 'stop');
  t.is(e.text, plain.experts[1]!.text.slice(0, plain.experts[1]!.text.indexOf(` ${stopWord}`)));
  t.true(e.tokens.length < plain.experts[1]!.tokens.length);
});

test("the decoder's positions bound generation: a long question ends with max-positions, a too long one is refused", async (t) => {
  // Every word is one token of the reference vocabulary; the theme template adds about 20.
  const words = (n: number) =>
    Array.from({ length: n }, (_, i) => ['ships', 'near', 'the', 'harbour'][i % 4]).join(' ');
  const near = await rt.ask(aerialFrame('aero1'), words(100), { generation: { maxTokens: 40 } });
  for (const e of near.experts) {
    t.is(e.finishReason, 'max-positions');
    t.true(e.tokens.length > 0 && e.tokens.length < 40);
  }
  await t.throwsAsync(rt.ask(aerialFrame('aero1'), words(150)), {
    code: 'E_INVALID_ARGUMENT',
    message: /positions/,
  } as never);
});

test('generation options are validated with coded errors', async (t) => {
  for (const generation of [
    { maxTokens: 0 },
    { strategy: 'nucleus' },
    { topP: 0 },
    { beams: 1 },
    { stop: [''] },
    { seed: -1 },
  ]) {
    const err = await t.throwsAsync(rt.caption(aerialFrame('aero1'), { generation: generation as never }));
    t.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT', JSON.stringify(generation));
  }
  await t.throwsAsync(rt.ask(aerialFrame('aero1'), '   '), { code: 'E_INVALID_ARGUMENT' } as never);
  await t.throwsAsync(rt.ask({ ...aerialFrame('aero1'), modality: 'multispectral' }, 'what is this?'), {
    code: 'E_INVALID_ARGUMENT',
  } as never);
});

// Helpers for the rescoring test: the visual tokens of a result's request, via the vision graph.
async function visualTokens(r: VlmResult) {
  const { dir } = await rsmoePackage();
  const { preprocessFrame } = await import('../../../sdk/sensors/preprocess/preprocess.js');
  const { manifest } = await rsmoePackage();
  const vis = manifest.vlm!.vision;
  const pre = await preprocessFrame(aerialFrame(r.frameId as 'aero1'), { inputSize: vis.inputSize, fit: 'resize' });
  const { encode } = await tokenizerOf();
  const L = vis.maxInstructionTokens;
  const ids = new BigInt64Array(L).fill(BigInt(manifest.vlm!.tokenizer.pad));
  const mask = new BigInt64Array(L);
  encode(r.instruction ?? r.question!)
    .slice(0, L)
    .forEach((id, j) => ((ids[j] = BigInt(id)), (mask[j] = 1n)));
  const s = await new OrtBackend().load({ graphPath: `${dir}/vision.onnx` });
  const out = await s.run({
    image: { dtype: 'float32', shape: [1, 3, vis.inputSize, vis.inputSize], data: pre.batches[0]!.data },
    instruction_ids: { dtype: 'int64', shape: [1, L], data: ids },
    instruction_mask: { dtype: 'int64', shape: [1, L], data: mask },
  });
  await s.dispose();
  return out.visual_tokens!;
}

async function tokenizerOf() {
  const { dir, manifest } = await rsmoePackage();
  const { loadVlmTokenizer } = await import('../../../sdk/vlm/tokenizer.js');
  return loadVlmTokenizer(manifest.vlm!, (rel) => `${dir}/${rel}`);
}
