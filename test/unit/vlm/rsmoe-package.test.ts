/**
 * The rsmoe-tiny reference package: a verified package of kind rsmoe whose decoders follow the
 * standard causal-LM ONNX convention, with a tokenizer.json the maintained library loads, written
 * byte-identically from the same seed.
 */
import { readFile, writeFile, cp } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { Tokenizer } from '@huggingface/tokenizers';
import { openPackage } from '../../../sdk/package/open-package.js';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import { kvBytesPerToken, kvCacheBytes } from '../../../sdk/vlm/kv-cache.js';
import { loadVlmTokenizer } from '../../../sdk/vlm/tokenizer.js';
import { createVlmRuntime } from '../../../sdk/vlm/vlm-runtime.js';
import { vlmSection } from '../../../sdk/package/vlm-manifest.js';
import { rsmoeConfig } from '../../../tools/rsmoe/config.js';
import { writeRsMoeReference } from '../../../tools/rsmoe/reference.js';
import { tempDir, tinyPackage } from '../../helpers/packages.js';
import { rsmoePackage } from '../../helpers/rsmoe-package.js';

test('the package verifies, is of kind rsmoe and names every graph of the pipeline', async (t) => {
  const { dir } = await rsmoePackage();
  const pkg = await openPackage(dir);
  t.is(pkg.manifest.kind, 'rsmoe');
  const vlm = vlmSection(pkg.manifest);
  t.deepEqual(
    vlm.experts.map((e) => `${e.id}:${e.role}`),
    ['theme:theme', 'objects:objects', 'relations:relations'],
  );
  t.deepEqual(pkg.manifest.entries.map((e) => e.kind).sort(), [
    'decoder',
    'decoder',
    'decoder',
    'prefix',
    'prefix',
    'prefix',
    'vision',
  ]);
  t.true(vlm.seededWeights);
  // Each expert's weights are in its own file (pruning drops exactly that file).
  for (const e of vlm.experts) t.deepEqual(pkg.entry(e.decoderEntry).weightFiles, [`weights/expert.${e.id}.bin`]);
});

test('decoders have the standard causal-LM export I/O, checked on the loaded graph', async (t) => {
  const { dir, manifest } = await rsmoePackage();
  const e = manifest.vlm!.experts[0]!;
  const s = await new OrtBackend().load({ graphPath: join(dir, `${e.decoderEntry}.onnx`) });
  t.teardown(() => s.dispose());
  const kv = (p: string) =>
    Array.from({ length: e.decoder.layers }, (_, i) => [`${p}.${i}.key`, `${p}.${i}.value`]).flat();
  t.deepEqual([...s.inputNames], ['input_ids', 'attention_mask', 'position_ids', ...kv('past_key_values')]);
  t.deepEqual([...s.outputNames].sort(), ['logits', ...kv('present')].sort());
});

test('tokenizer.json loads with @huggingface/tokenizers and round-trips caption text; unknown words fall back to pieces', async (t) => {
  const { dir, manifest } = await rsmoePackage();
  const tok = await loadVlmTokenizer(manifest.vlm!, (rel) => join(dir, rel));
  const text = 'many ships are moored in the harbour next to a long pier.';
  t.is(tok.decode(tok.encode(text)), text);
  t.is(tok.decode([tok.bos, ...tok.encode(text), tok.eos, tok.pad]), text);
  const raw = new Tokenizer(JSON.parse(await readFile(join(dir, 'tokenizer/tokenizer.json'), 'utf8')), {});
  t.deepEqual(raw.tokenize('zeppelin'), ['z', '##e', '##p', '##p', '##e', '##l', '##i', '##n']);
  t.is(tok.vocabSize, manifest.vlm!.experts[0]!.decoder.vocab);
});

test('same config and seed give byte-identical packages; another seed other weights', async (t) => {
  const a = await rsmoePackage();
  const b = join(tempDir('rsmoe-again'), 'p');
  const c = join(tempDir('rsmoe-seed'), 'p');
  const mb = await writeRsMoeReference({ config: rsmoeConfig('rsmoe-tiny'), outDir: b, seed: 0 });
  const mc = await writeRsMoeReference({ config: rsmoeConfig('rsmoe-tiny'), outDir: c, seed: 1 });
  t.deepEqual(mb.files, a.manifest.files);
  t.not(mc.files['weights/expert.theme.bin']!.sha256, a.manifest.files['weights/expert.theme.bin']!.sha256);
});

test('KV-cache memory per generated token follows the decoder dimensions', (t) => {
  // Llama-3.2-1B: 16 layers, 8 KV heads of 64 dims, fp16: 32 KiB per token.
  t.is(kvBytesPerToken({ layers: 16, kvHeads: 8, headDim: 64 }, 2), 32768);
  t.is(kvCacheBytes({ layers: 2, kvHeads: 2, headDim: 16 }, 100, 3), 2 * 2 * 2 * 16 * 4 * 100 * 3);
});

test('a RingMoE package or a damaged vlm section is refused with a coded error', async (t) => {
  const ring = await tinyPackage();
  await t.throwsAsync(createVlmRuntime({ package: ring.dir, backend: new OrtBackend() }), {
    code: 'E_PACKAGE_MANIFEST',
  } as never);
  const { dir } = await rsmoePackage();
  const bad = join(tempDir('rsmoe-bad'), 'p');
  await cp(dir, bad, { recursive: true });
  const m = JSON.parse(await readFile(join(bad, 'ringmoe.json'), 'utf8'));
  m.vlm.experts[1].decoderEntry = 'expert.nowhere.decoder';
  await writeFile(join(bad, 'ringmoe.json'), JSON.stringify(m));
  const err = await t.throwsAsync(createVlmRuntime({ package: bad, backend: new OrtBackend() }));
  t.is((err as { code?: string }).code, 'E_PACKAGE_MANIFEST');
  t.regex(err!.message, /experts\[1\]\.decoderEntry/);
});

test('memory plan: weights from the package files plus the KV cache at full context; the largest fitting expert subset', async (t) => {
  const { planRsMoeMemory } = await import('../../../tools/rsmoe/memory-plan.js');
  const { manifest } = await rsmoePackage();
  const all = planRsMoeMemory(manifest, 2 ** 40);
  const d = manifest.vlm!.experts[0]!.decoder;
  t.is(all.experts[0]!.kvBytesPerToken, 2 * d.layers * d.kvHeads * d.headDim * 4);
  t.is(all.experts[0]!.contextTokens, manifest.vlm!.vision.queries + d.maxPositions);
  t.is(
    all.experts[0]!.weightBytes,
    manifest.files['expert.theme.prefix.onnx']!.size +
      manifest.files['expert.theme.decoder.onnx']!.size +
      manifest.files['weights/expert.theme.bin']!.size,
  );
  t.deepEqual(all.recommended, ['theme', 'objects', 'relations']);
  t.deepEqual(planRsMoeMemory(manifest, all.subsets[1]!.bytes).recommended, ['theme', 'objects']);
  t.is(planRsMoeMemory(manifest, all.subsets[0]!.bytes - 1).recommended, null);
  t.is(planRsMoeMemory(manifest, 2 ** 40, 3).experts[1]!.kvBytes, 3 * all.experts[1]!.kvBytes);
});
