import test from 'ava';
import type { CheckpointIndex, CheckpointTensor } from '../../../tools/convert/checkpoint.js';
import { describeConfig, inferReleasedConfig, resolveInferred } from '../../../tools/convert/infer-config.js';
import { builderFlavours, planConversion } from '../../../tools/convert/plan.js';
import { releasedFeeds } from '../../../tools/convert/released-names.js';
import { applyTransform, fuseQkv, gatherBias, transpose2d } from '../../../tools/convert/transforms.js';
import { resolveConfig, stageGeometry } from '../../../tools/ringmoe/config.js';

/** An index of dims only (no file): planning and inference never read data. */
function index(entries: [string, number[]][]): CheckpointIndex {
  const tensors = new Map<string, CheckpointTensor>(
    entries.map(([name, dims]) => [name, { name, dtype: 'float32', dims, pieces: [] }]),
  );
  return { file: 'synthetic.ckpt', format: 'ckpt', tensors };
}

const seq = (n: number, scale = 1) => Float32Array.from({ length: n }, (_, i) => (i + 1) * scale);

test('q/k/v weights [out, in] fuse into [in, 3·out] with columns q | k | v; transpose is [out, in] → [in, out]', (t) => {
  const D = 3;
  const q = seq(9);
  const k = seq(9, 10);
  const v = seq(9, 100);
  const w = fuseQkv(q, k, v, D);
  for (let i = 0; i < D; i++) {
    for (let o = 0; o < D; o++) {
      t.is(w[i * 9 + o], q[o * D + i]);
      t.is(w[i * 9 + D + o], k[o * D + i]);
      t.is(w[i * 9 + 2 * D + o], v[o * D + i]);
    }
  }
  t.deepEqual(transpose2d(Float32Array.of(1, 2, 3, 4, 5, 6), 2, 3), Float32Array.of(1, 4, 2, 5, 3, 6));
});

test('v1 relative position bias: bias[0, h, i, j] = table[(r_i − r_j + w − 1)(2w − 1) + (c_i − c_j + w − 1), h]', (t) => {
  const w = 3;
  const heads = 2;
  const n = (2 * w - 1) ** 2;
  const table = Float32Array.from({ length: n * heads }, (_, x) => x * 0.5 - 7);
  const bias = gatherBias(table, w, heads);
  t.is(bias.length, heads * 81);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < 9; i++) {
      for (let j = 0; j < 9; j++) {
        const idx = (Math.floor(i / w) - Math.floor(j / w) + w - 1) * (2 * w - 1) + ((i % w) - (j % w) + w - 1);
        t.is(bias[(h * 9 + i) * 9 + j], table[idx * heads + h]);
      }
    }
  }
  // the diagonal is the zero offset, the centre row of the table
  t.is(bias[0], table[12 * heads]);
});

/** Released v1 names and shapes of a config (what the MindSpore checkpoint holds). */
function releasedV1Index(c: ReturnType<typeof resolveConfig>, extra: [string, number[]][] = []): CheckpointIndex {
  const names = new Set<string>();
  const entries = new Map<string, number[]>();
  for (const f of releasedFeeds(c, 'v1', names)) for (const s of f.sources) entries.set(s.name, s.dims);
  const K = c.taskHeads.classification.labels.length;
  const last = stageGeometry(c).at(-1)!.dim;
  return index([...entries, ['head.cls.fc.weight', [K, last]], ['head.cls.fc.bias', [K]], ...extra]);
}

test('v1 released names: q/k/v with three biases into qkv, the table into the derived bias, routers and expert slices', (t) => {
  const c = resolveConfig({
    base: 'ringmoe-tiny',
    name: 'v1-map',
    modalities: ['optical', 'sar-l2'],
    fusion: [],
    change: [],
  });
  const feeds = releasedFeeds(c, 'v1', new Set());
  const by = new Map(feeds.map((f) => [f.target, f]));
  const qkvb = by.get('s2.b0.attn.qkv.bias')!;
  t.deepEqual(
    qkvb.sources.map((s) => [s.name, s.optional ?? false]),
    [
      ['encoder.layers.1.blocks.0.attn.q.bias', false],
      ['encoder.layers.1.blocks.0.attn.k.bias', false],
      ['encoder.layers.1.blocks.0.attn.v.bias', false],
    ],
  );
  const rpb = by.get('s1.b1.attn.relative_position_bias')!;
  t.deepEqual(rpb.transform, { op: 'table-bias', window: 4, heads: 1 });
  t.deepEqual(rpb.sources[0], {
    name: 'encoder.layers.0.blocks.1.attn.relative_position_bias.relative_position_bias_table',
    dims: [49, 1],
  });
  t.deepEqual(by.get('s1.b1.attn.relative_position_bias_table')!.sources[0]!.dims, [49, 1]);
  const e = by.get('s1.b0.modal.sar-l2.3.fc2.bias')!;
  t.deepEqual(e.sources[0], {
    name: 'encoder.layers.0.blocks.0.mlp.special_ffn.2.projection.bias',
    dims: [1, 4, 1, 8],
  });
  t.deepEqual(e.transform, { op: 'slice', start: 24, count: 8 });
  const r = by.get('s3.b0.router.modal.optical.weight')!;
  t.deepEqual(r.sources[0], { name: 'encoder.layers.2.blocks.0.mlp.special_router.0.dense.weight', dims: [4, 32] });
  t.is(r.transform.op, 'transpose');
  t.deepEqual(by.get('s2.merge.reduction.weight')!.sources[0], {
    name: 'encoder.layers.0.downsample.reduction.weight',
    dims: [16, 32],
  });
  t.is(by.get('s1.out_norm.weight')!.transform.op, 'const');
  t.deepEqual(by.get('s4.out_norm.weight')!.sources[0]!.name, 'encoder.norm.gamma');
  t.deepEqual(by.get('s1.b0.shared.fc1.weight')!.sources[0], {
    name: 'encoder.layers.0.blocks.0.mlp.public_ffn.mapping.weight',
    dims: [8, 16],
  });
  // a v1 table converts through the plan's transform to the gathered bias
  const table = seq(49);
  const got = applyTransform(rpb, () => table);
  t.deepEqual(got, gatherBias(table, 4, 1));
});

test('v1 checkpoint shapes give back the config (heads and window from the tables, input size from a shift mask); a single-modality checkpoint has no index', (t) => {
  const c = resolveConfig({
    base: 'ringmoe-tiny',
    name: 'statlog-like',
    modalities: ['multispectral'],
    embedDim: 32,
    depths: [2, 2],
    heads: [2, 4],
    window: 3,
    mlpRatio: 4,
    inputSize: { height: 24, width: 24 },
    fusion: [],
    change: [],
  });
  const names = new Set(['encoder.patch_embed.projection.weight']);
  const entries = new Map<string, number[]>();
  for (const f of releasedFeeds(c, 'v1', names)) for (const s of f.sources) entries.set(s.name, s.dims);
  t.true(entries.has('encoder.layers.0.blocks.0.mlp.special_ffn.mapping.weight'));
  t.true(entries.has('encoder.layers.1.blocks.1.mlp.special_router.dense.weight'));
  for (const mask of [
    ['encoder.layers.0.blocks.1.attn_mask', [4, 9, 9]],
    ['encoder.layers.0.blocks.1.attention_mask', [1, 4, 1, 9, 9]],
  ] as [string, number[]][]) {
    const r = resolveInferred(inferReleasedConfig(index([...entries, mask])), 'x');
    t.deepEqual(r.inputSize, { height: 24, width: 24 }, mask[0]);
  }
  const idx = index([...entries, ['encoder.layers.0.blocks.1.attention_mask', [1, 4, 1, 9, 9]], ['global_step', [1]]]);
  const inferred = inferReleasedConfig(idx);
  const r = resolveInferred(inferred, idx.file);
  t.deepEqual(
    [r.embedDim, r.patchSize, r.depths, r.heads, r.window, r.inputSize, r.mlpRatio, r.experts],
    [32, 4, [2, 2], [2, 4], 3, { height: 24, width: 24 }, 4, { modalPerModality: 4, collaborative: 4, shared: 1 }],
  );
  t.deepEqual(
    r.modalities.map((m) => m.id),
    ['multispectral'],
  );
  t.is(inferred.written.attention, 'v1');
  t.regex(describeConfig(r), /attention v1, embedDim 32, patchSize 4, depths \[2,2\], heads \[2,4\], window 3/);
});

test('a v1 checkpoint is planned against a v1 config only where the graph builder emits v1; otherwise the plan says so', (t) => {
  const c = resolveConfig({ base: 'ringmoe-tiny', name: 'v1-plan', modalities: ['optical'], fusion: [], change: [] });
  const idx = releasedV1Index(c);
  if (builderFlavours().includes('v1')) {
    const plan = planConversion(idx, { allowUntrainedHeads: true });
    t.is(plan.flavour, 'v1');
    return;
  }
  const e = t.throws(() => planConversion(idx, { allowUntrainedHeads: true }));
  t.is((e as { code?: string }).code, 'E_CHECKPOINT_MISMATCH');
  t.regex(
    e!.message,
    /the checkpoint has v1 attention, which this build's graph builder does not emit \(it emits v2\)/,
  );
  const e2 = t.throws(() => planConversion(idx, { config: c, allowUntrainedHeads: true }));
  t.regex(e2!.message, /the checkpoint holds v1 attention tensors but config v1-plan's graphs are v2/);
});

test("a group of one expert has no router in the package; the checkpoint's [1, C] router is listed as ignored", (t) => {
  const c = resolveConfig({
    base: 'ringmoe-tiny',
    name: 'one-expert',
    modalities: ['optical'],
    experts: { modalPerModality: 1 },
    fusion: [],
    change: [],
  });
  const entries = new Map<string, number[]>();
  for (const f of releasedFeeds(c, c.attention, new Set()))
    for (const s of f.sources) if (!s.optional) entries.set(s.name, s.dims);
  const K = c.taskHeads.classification.labels.length;
  const idx = index([
    ...entries,
    ['head.cls.fc.weight', [K, 64]],
    ['head.cls.fc.bias', [K]],
    ['encoder.layers.0.blocks.0.mlp.special_router.0.dense.weight', [1, 8]],
  ]);
  const plan = planConversion(idx, { config: c, allowUntrainedHeads: true });
  t.deepEqual(plan.ignored, ['encoder.layers.0.blocks.0.mlp.special_router.0.dense.weight']);
  t.is(plan.feeds.find((f) => f.target === 's1.b0.modal.optical.0.fc1.weight')!.sources[0]!.dims.join(), '1,8,16');
});

test("BAD CHECKPOINT - the released code's unused WindowAttentionV3 (max instead of min on the logit scale) is refused, not converted as v2", (t) => {
  const idx = index([
    ['encoder.patch_embed.projection.weight', [8, 3, 4, 4]],
    ['encoder.layers.0.blocks.0.attn.logit_scale', [1, 1, 1]],
    ['encoder.layers.0.blocks.0.attn.relative_position_bias.cpb_mlp.0.weight', [512, 2]],
  ]);
  const e = t.throws(() => planConversion(idx, {}));
  t.is((e as { code?: string }).code, 'E_CHECKPOINT_FOREIGN');
  t.regex(e!.message, /WindowAttentionV3, which clamps the logit scale with max\(x, ln 100\)/);
});
