import test from 'ava';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { PackageManifest } from '../../../sdk/package/package-manifest.js';
import type { HostTensor } from '../../../sdk/core/host-tensor.js';
import { convertCheckpoint } from '../../../tools/convert/convert.js';
import { resolveConfig, type RingMoEConfig } from '../../../tools/ringmoe/config.js';
import { writeReferencePackage } from '../../../tools/ringmoe/reference.js';
import { floatToBf16, writeCkpt, writeSafetensors, type TestTensor } from '../../helpers/checkpoint-writers.js';
import { packageTensors, releasedCheckpoint } from '../../helpers/package-checkpoints.js';
import { randomFeeds, runEntry, tempDir } from '../../helpers/packages.js';

const CONFIG: RingMoEConfig = resolveConfig({
  base: 'ringmoe-tiny',
  name: 'convert-test',
  modalities: ['optical', 'multispectral'],
  fusion: [],
  change: [],
});

let source: Promise<{ dir: string; manifest: PackageManifest; tensors: TestTensor[] }> | undefined;
/** A seeded reference package and its tensors in released names (v2 attention names). */
function reference() {
  source ??= (async () => {
    const dir = join(tempDir('src'), 'package');
    const manifest = await writeReferencePackage({ config: CONFIG, outDir: dir, seed: 0 });
    return { dir, manifest, tensors: releasedCheckpoint(await packageTensors(dir, manifest), CONFIG, 0) };
  })();
  return source;
}

const EXTRA: TestTensor[] = [
  { name: 'global_step', dims: [1], data: Float32Array.of(1000), dtype: 'int32' },
  { name: 'adam_m.encoder.norm.gamma', dims: [32], data: new Float32Array(32) },
  { name: 'learning_rate', dims: [], data: Float32Array.of(0.001) },
];

/** max |a − b| / max(1, |a|) (Infinity when shapes differ). */
function scaledDiff(a: HostTensor, b: HostTensor): number {
  if (a.shape.join() !== b.shape.join()) return Infinity;
  const x = Array.from(a.data as ArrayLike<number | bigint>, Number);
  const y = Array.from(b.data as ArrayLike<number | bigint>, Number);
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!) / Math.max(1, Math.abs(v))), 0);
}

async function sameOutputs(
  t: import('ava').ExecutionContext,
  a: { dir: string; manifest: PackageManifest },
  b: { dir: string; manifest: PackageManifest },
  outputs?: string[],
) {
  t.deepEqual(
    b.manifest.entries.map((e) => e.name),
    a.manifest.entries.map((e) => e.name),
  );
  let worst = 0;
  for (const entry of a.manifest.entries) {
    const feeds = randomFeeds(entry, 2, 3);
    const x = await runEntry(a.dir, entry, feeds);
    const y = await runEntry(
      b.dir,
      b.manifest.entries.find((e) => e.name === entry.name)!,
      feeds,
    );
    for (const name of outputs ?? Object.keys(x)) {
      // 1e-5, scaled by the magnitude above 1: box corners are pixels up to ~100, where one
      // float32 ulp is 8e-6..1.5e-5 (a float32 log logit scale cannot give back every scale exactly)
      const d = scaledDiff(x[name]!, y[name]!);
      worst = Math.max(worst, d);
      t.true(d <= 1e-5, `${entry.name}.${name}: max diff ${d} (abs, or relative above 1)`);
    }
  }
  return worst;
}

for (const format of ['ckpt', 'safetensors'] as const) {
  test(`${format}: converting released names reproduces the source package's outputs (<= 1e-5) in onnxruntime`, async (t) => {
    const src = await reference();
    const dir = tempDir('conv');
    const file = join(dir, format === 'ckpt' ? 'model.ckpt' : 'model.safetensors');
    const tensors = [...src.tensors, ...EXTRA];
    // every tensor over 200 rows is split into several Values, as MindSpore does over 512 MiB
    if (format === 'ckpt') writeCkpt(file, tensors, { splitRows: 200 });
    else
      writeSafetensors(
        file,
        tensors.filter((x) => x.dims.length > 0),
      );
    const out = join(dir, 'package');
    const r = await convertCheckpoint({ checkpoint: file, config: CONFIG, outDir: out, allowUntrainedHeads: true });
    const worst = await sameOutputs(t, src, { dir: out, manifest: r.manifest! });
    t.log(`${format}: worst max abs diff over every output ${worst}`);
    const step = r.manifest!.lineage.at(-1)!;
    t.is(step.step, 'convert');
    const params = step.params as {
      sha256: string;
      format: string;
      ignored: string[];
      initialised: unknown[];
      untrainedHeads: string[];
      untrainedHeadTensors: string[];
    };
    t.regex(params.sha256, /^[0-9a-f]{64}$/);
    t.is(params.format, format);
    t.deepEqual(
      params.ignored.filter((n) => !n.endsWith('relative_position_index')).sort(),
      format === 'ckpt'
        ? ['adam_m.encoder.norm.gamma', 'global_step', 'learning_rate']
        : ['adam_m.encoder.norm.gamma', 'global_step'],
    );
    t.deepEqual(params.initialised, []);
    t.deepEqual(params.untrainedHeads, ['segmentation', 'detection', 'depth']);
    t.true(params.untrainedHeadTensors.includes('head.seg.classifier.weight'));
    t.false(params.untrainedHeadTensors.some((n) => n.startsWith('head.cls.')));
  });
}

test('bfloat16 and float16 checkpoints convert with the expected rounding; missing stage norms are initialised and listed', async (t) => {
  const src = await reference();
  const dir = tempDir('conv');
  const file = join(dir, 'half.ckpt');
  const tensors = src.tensors
    .filter((x) => !x.name.startsWith('encoder.stage_norm'))
    .map(
      (x) =>
        ({
          ...x,
          dtype:
            x.name.includes('projection.weight') && x.name.startsWith('encoder.patch_embed')
              ? 'bfloat16'
              : x.name.endsWith('.mapping.weight')
                ? 'float16'
                : 'float32',
        }) as TestTensor,
    );
  writeCkpt(file, tensors);
  const out = join(dir, 'package');
  const r = await convertCheckpoint({ checkpoint: file, config: CONFIG, outDir: out, allowUntrainedHeads: true });
  const p = await packageTensors(out, r.manifest!);
  const proj = src.tensors.find((x) => x.name === 'encoder.patch_embed0.projection.weight')!.data;
  const got = p.get('embed.optical.proj.weight')!.data;
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  let rounded = 0;
  for (let i = 0; i < proj.length; i++) {
    bits[0] = floatToBf16(proj[i]!) << 16;
    t.is(got[i], f[0]);
    if (got[i] !== proj[i]) rounded++;
  }
  t.true(rounded > proj.length / 2, 'bfloat16 changed most values');
  const fc1 = p.get('s1.b0.modal.optical.2.fc1.weight')!.data;
  const stackData = src.tensors.find(
    (x) => x.name === 'encoder.layers.0.blocks.0.mlp.special_ffn.0.mapping.weight',
  )!.data;
  const n = fc1.length;
  for (let i = 0; i < n; i += 7)
    t.true(
      Math.abs(fc1[i]! - stackData[2 * n + i]!) <= Math.abs(stackData[2 * n + i]!) * 2 ** -11 + 2 ** -25,
      'float16 rounding of expert 2',
    );
  const params = r.manifest!.lineage.at(-1)!.params as { initialised: { tensor: string; value: number }[] };
  t.deepEqual(params.initialised.map((x) => `${x.tensor}=${x.value}`).sort(), [
    's1.out_norm.bias=0',
    's1.out_norm.weight=1',
    's2.out_norm.bias=0',
    's2.out_norm.weight=1',
    's3.out_norm.bias=0',
    's3.out_norm.weight=1',
  ]);
  t.true(p.get('s2.out_norm.weight')!.data.every((v) => v === 1));
});

test('--dry-run plans without writing and infers the config from the shapes when none is given', async (t) => {
  const src = await reference();
  const dir = tempDir('conv');
  const file = join(dir, 'model.safetensors');
  writeSafetensors(file, src.tensors);
  const r = await convertCheckpoint({ checkpoint: file, dryRun: true, allowUntrainedHeads: true });
  t.is(r.manifest, undefined);
  t.is(r.plan.configOrigin, 'inferred');
  const c = r.plan.config;
  t.deepEqual(
    [c.embedDim, c.patchSize, c.depths, c.heads, c.window, c.mlpRatio, c.inputSize],
    [CONFIG.embedDim, CONFIG.patchSize, CONFIG.depths, CONFIG.heads, CONFIG.window, CONFIG.mlpRatio, CONFIG.inputSize],
  );
  t.deepEqual(
    c.modalities.map((m) => m.id),
    ['optical', 'multispectral'],
  );
  t.deepEqual(c.experts, CONFIG.experts);
  t.is(r.plan.feeds.find((f) => f.target === 's1.b0.modal.multispectral.3.fc2.bias')!.transform.op, 'slice');
});

test('BAD CHECKPOINT - missing, mis-shaped and foreign tensors are all reported at once, naming both shapes', async (t) => {
  const src = await reference();
  const dir = tempDir('bad');
  const file = join(dir, 'bad.safetensors');
  const tensors = src.tensors
    .filter((x) => x.name !== 'encoder.layers.1.blocks.0.attn.proj.bias')
    .map((x) => (x.name === 'encoder.norm.gamma' ? { ...x, dims: [x.dims[0]! / 2, 2] } : x));
  tensors.push({ name: 'foo.bar.weight', dims: [3], data: new Float32Array(3) });
  writeSafetensors(file, tensors);
  const e = await t.throwsAsync(
    convertCheckpoint({ checkpoint: file, config: CONFIG, outDir: join(dir, 'out'), allowUntrainedHeads: true }),
  );
  t.is((e as { code?: string }).code, 'E_CHECKPOINT_MISMATCH');
  t.regex(e!.message, /bad\.safetensors: 3 problem\(s\)/);
  t.regex(
    e!.message,
    /missing encoder\.layers\.1\.blocks\.0\.attn\.proj\.bias \[16\] \(for s2\.b0\.attn\.proj\.bias\)/,
  );
  t.regex(
    e!.message,
    /encoder\.norm\.gamma is \[32,2\] in the checkpoint but the config needs \[64\] \(for s4\.out_norm\.weight\)/,
  );
  t.regex(e!.message, /unexpected foo\.bar\.weight \[3\]/);
});

test('BAD CHECKPOINT - a config that does not match names the config the checkpoint looks like', async (t) => {
  const src = await reference();
  const dir = tempDir('bad');
  const file = join(dir, 'model.ckpt');
  writeCkpt(file, src.tensors);
  const e = await t.throwsAsync(
    convertCheckpoint({
      checkpoint: file,
      config: resolveConfig('ringmoe-tiny'),
      dryRun: true,
      allowUntrainedHeads: true,
    }),
  );
  t.is((e as { code?: string }).code, 'E_CHECKPOINT_MISMATCH');
  t.regex(
    e!.message,
    /converting to config ringmoe-tiny \(given\); the checkpoint looks like attention v1, embedDim 8, patchSize 4, depths \[2,1,1,1\], heads \[1,2,4,8\], window 4, mlpRatio 2, inputSize 64x64, modalities \[optical,multispectral\]/,
  );
  t.regex(
    e!.message,
    /missing encoder\.patch_embed1\.projection\.weight \[8,8,4,4\] \(for embed\.sar-l1\.proj\.weight\)/,
  );
  t.regex(
    e!.message,
    /missing encoder\.layers\.0\.blocks\.0\.mlp\.special_ffn\.1\.mapping\.weight \[4,8,16\] \(for s1\.b0\.modal\.sar-l1\.0\.fc1\.weight and 3 more\)/,
  );
});

test('BAD CHECKPOINT - heads the checkpoint lacks are refused unless allowed; wrong dtype, foreign names, a link, truncation', async (t) => {
  const src = await reference();
  const dir = tempDir('bad');
  const code = async (p: Promise<unknown>) => ((await t.throwsAsync(p)) as { code?: string } | undefined)?.code;
  const ok = join(dir, 'model.ckpt');
  writeCkpt(ok, src.tensors);
  const e = await t.throwsAsync(convertCheckpoint({ checkpoint: ok, config: CONFIG, dryRun: true }));
  t.is((e as { code?: string }).code, 'E_CHECKPOINT_UNTRAINED_HEADS');
  t.regex(e!.message, /emits task heads the checkpoint does not hold: segmentation, detection, depth/);
  const noHead = join(dir, 'nohead.ckpt');
  writeCkpt(
    noHead,
    src.tensors.filter((x) => !x.name.startsWith('head.')),
  );
  const r = await convertCheckpoint({ checkpoint: noHead, config: CONFIG, dryRun: true, allowUntrainedHeads: true });
  t.deepEqual(r.plan.untrainedHeads, ['classification', 'segmentation', 'detection', 'depth']);
  const ints = join(dir, 'ints.ckpt');
  writeCkpt(
    ints,
    src.tensors.map((x) => (x.name === 'encoder.norm.beta' ? { ...x, dtype: 'int32' } : x)),
  );
  const e2 = await t.throwsAsync(
    convertCheckpoint({ checkpoint: ints, config: CONFIG, dryRun: true, allowUntrainedHeads: true }),
  );
  t.is((e2 as { code?: string }).code, 'E_CHECKPOINT_MISMATCH');
  t.regex(e2!.message, /encoder\.norm\.beta is int32; weights must be Float32, Float16 or BFloat16/);
  const foreign = join(dir, 'resnet.safetensors');
  writeSafetensors(foreign, [
    { name: 'conv1.weight', dims: [4, 3, 7, 7], data: new Float32Array(4 * 3 * 49) },
    { name: 'fc.weight', dims: [2, 4], data: new Float32Array(8) },
  ]);
  const e3 = await t.throwsAsync(convertCheckpoint({ checkpoint: foreign, dryRun: true }));
  t.is((e3 as { code?: string }).code, 'E_CHECKPOINT_FOREIGN');
  t.regex(e3!.message, /no released RingMoE tensors .* it holds conv1\.weight, fc\.weight/);
  const link = join(dir, 'link.ckpt');
  symlinkSync(ok, link);
  t.is(await code(convertCheckpoint({ checkpoint: link, config: CONFIG, dryRun: true })), 'E_PATH_UNSAFE');
  const cut = join(dir, 'cut.ckpt');
  const bytes = readFileSync(ok);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  t.is(await code(convertCheckpoint({ checkpoint: cut, config: CONFIG, dryRun: true })), 'E_CHECKPOINT_TRUNCATED');
});
