import test from 'ava';
import { join } from 'node:path';
import type { PackageManifest } from '../../../sdk/package/package-manifest.js';
import type { HostTensor } from '../../../sdk/core/host-tensor.js';
import { convertCheckpoint } from '../../../tools/convert/convert.js';
import { resolveConfig, type RingMoEConfig } from '../../../tools/ringmoe/config.js';
import { writeReferencePackage } from '../../../tools/ringmoe/reference.js';
import { writeSafetensors, type TestTensor } from '../../helpers/checkpoint-writers.js';
import { packageTensors, swinCheckpoint } from '../../helpers/package-checkpoints.js';
import { randomFeeds, runEntry, tempDir } from '../../helpers/packages.js';

const CONFIG: RingMoEConfig = resolveConfig({
  base: 'ringmoe-tiny',
  name: 'upcycle-test',
  attention: 'v2',
  modalities: ['optical', 'sar-l2', 'multispectral'],
  fusion: [],
  change: [],
});

let dense: Promise<{ dir: string; manifest: PackageManifest; tensors: TestTensor[] }> | undefined;
/** An upcycled reference package (every expert of a block the same FFN) as a dense HF SwinV2 state dict. */
function denseSource() {
  dense ??= (async () => {
    const dir = join(tempDir('dense'), 'package');
    const manifest = await writeReferencePackage({ config: CONFIG, outDir: dir, seed: 0, upcycled: true });
    return { dir, manifest, tensors: swinCheckpoint(await packageTensors(dir, manifest), CONFIG, 0) };
  })();
  return dense;
}

function scaledDiff(a: HostTensor, b: HostTensor): number {
  if (a.shape.join() !== b.shape.join()) return Infinity;
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!) / Math.max(1, Math.abs(x[i]!)));
  return m;
}

test("--from swin: every expert of a block is the dense FFN, routers come from --seed, and the optical outputs equal the dense source's", async (t) => {
  const src = await denseSource();
  const dir = tempDir('up');
  const file = join(dir, 'swinv2.safetensors');
  writeSafetensors(file, src.tensors);
  const out = join(dir, 'package');
  const r = await convertCheckpoint({
    checkpoint: file,
    from: 'swin',
    config: CONFIG,
    outDir: out,
    seed: 5,
    allowUntrainedHeads: true,
  });
  t.is(r.plan.family, 'swinv2-hf');
  t.is(r.plan.flavour, 'v2');
  const p = await packageTensors(out, r.manifest!);
  const byName = new Map(src.tensors.map((x) => [x.name, x]));
  const T = (x: TestTensor) => {
    const [rows, cols] = x.dims as [number, number];
    const o = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) o[j * rows + i] = x.data[i * cols + j]!;
    return o;
  };
  let experts = 0;
  for (const block of r.manifest!.experts!.blocks) {
    const [s, b] = block.id.slice(1).split('.b').map(Number) as [number, number];
    const P = `swinv2.encoder.layers.${s - 1}.blocks.${b}.`;
    const fc1 = T(byName.get(`${P}intermediate.dense.weight`)!);
    const fc2 = T(byName.get(`${P}output.dense.weight`)!);
    for (const e of block.experts) {
      t.deepEqual(p.get(e.tensors.fc1Weight)!.data, fc1, `${e.id} fc1`);
      t.deepEqual(p.get(e.tensors.fc2Weight)!.data, fc2, `${e.id} fc2`);
      t.deepEqual(p.get(e.tensors.fc1Bias)!.data, byName.get(`${P}intermediate.dense.bias`)!.data);
      t.deepEqual(p.get(e.tensors.fc2Bias)!.data, byName.get(`${P}output.dense.bias`)!.data);
      experts++;
    }
    for (const router of block.routers)
      t.notDeepEqual(
        p.get(router.weight)!.data,
        (await packageTensors(src.dir, src.manifest)).get(router.weight)!.data,
        `${router.id} seeded from --seed 5, not 0`,
      );
  }
  t.is(experts, 5 * (3 * 4 + 4 + 1));
  t.deepEqual(
    p.get('embed.sar-l2.proj.weight')!.data,
    p.get('embed.optical.proj.weight')!.data,
    'sar-l2 takes the RGB patch embedding',
  );
  const optical = src.manifest.entries.find((e) => e.name === 'optical')!;
  const feeds = randomFeeds(optical, 2, 4);
  const a = await runEntry(src.dir, optical, feeds);
  const b = await runEntry(
    out,
    r.manifest!.entries.find((e) => e.name === 'optical')!,
    feeds,
  );
  for (const name of ['embedding', 'features_s4', 'features_s8', 'features_s16', 'features_s32', 'cls_logits']) {
    const d = scaledDiff(a[name]!, b[name]!);
    t.true(d <= 1e-5, `${name}: ${d}`);
  }
  const params = r.manifest!.lineage.at(-1)!.params as {
    family: string;
    seeded: { tensor: string; reason: string }[];
    ignored: string[];
    initialised: { tensor: string }[];
  };
  t.is(params.family, 'swinv2-hf');
  t.true(
    params.seeded.some(
      (x) => x.tensor === 'embed.multispectral.proj.weight' && /multispectral \(4 channels\) is seeded/.test(x.reason),
    ),
  );
  t.is(params.seeded.filter((x) => x.tensor.includes('.router.')).length, 5 * 4);
  t.true(params.ignored.every((n) => /relative_(coords_table|position_index)$/.test(n)));
  t.deepEqual(
    params.initialised.filter((x) => x.tensor.includes('out_norm')).map((x) => x.tensor),
    [
      's1.out_norm.weight',
      's1.out_norm.bias',
      's2.out_norm.weight',
      's2.out_norm.bias',
      's3.out_norm.weight',
      's3.out_norm.bias',
    ],
  );
});

test('--from swin infers depths, width, heads and window from the SwinV2 shapes', async (t) => {
  const src = await denseSource();
  const file = join(tempDir('up'), 'swinv2.safetensors');
  writeSafetensors(file, src.tensors);
  const r = await convertCheckpoint({ checkpoint: file, from: 'swin', dryRun: true, allowUntrainedHeads: true });
  const c = r.plan.config;
  t.deepEqual(
    [c.embedDim, c.patchSize, c.depths, c.heads, c.window, c.mlpRatio, c.inputSize],
    [CONFIG.embedDim, CONFIG.patchSize, CONFIG.depths, CONFIG.heads, CONFIG.window, CONFIG.mlpRatio, CONFIG.inputSize],
  );
  t.deepEqual(
    c.modalities.map((m) => m.id),
    ['optical'],
  );
});

test('BAD CHECKPOINT - a Swin v1 checkpoint is refused saying why; HF names without --from swin get a hint', async (t) => {
  const src = await denseSource();
  const dir = tempDir('up');
  const v1 = join(dir, 'swin-v1.safetensors');
  writeSafetensors(v1, [
    { name: 'swin.embeddings.patch_embeddings.projection.weight', dims: [8, 3, 4, 4], data: new Float32Array(384) },
    {
      name: 'swin.encoder.layers.0.blocks.0.attention.self.relative_position_bias_table',
      dims: [49, 1],
      data: new Float32Array(49),
    },
  ]);
  const e = await t.throwsAsync(convertCheckpoint({ checkpoint: v1, from: 'swin', dryRun: true }));
  t.is((e as { code?: string }).code, 'E_CHECKPOINT_FOREIGN');
  t.regex(e!.message, /Swin v1 checkpoint .* pre-norm/);
  const v2 = join(dir, 'swinv2.safetensors');
  writeSafetensors(v2, src.tensors);
  const e2 = await t.throwsAsync(convertCheckpoint({ checkpoint: v2, dryRun: true }));
  t.is((e2 as { code?: string }).code, 'E_CHECKPOINT_FOREIGN');
  t.regex(e2!.message, /give --from swin/);
  const noBuffers = join(dir, 'nobuf.safetensors');
  writeSafetensors(
    noBuffers,
    src.tensors.filter((x) => !/relative_(coords_table|position_index)$/.test(x.name)),
  );
  const e3 = await t.throwsAsync(convertCheckpoint({ checkpoint: noBuffers, from: 'swin', dryRun: true }));
  t.regex(e3!.message, /window size is not in the checkpoint .*give --config/);
  const ok = await convertCheckpoint({
    checkpoint: noBuffers,
    from: 'swin',
    config: CONFIG,
    dryRun: true,
    allowUntrainedHeads: true,
  });
  t.is(ok.plan.configOrigin, 'given');
});
