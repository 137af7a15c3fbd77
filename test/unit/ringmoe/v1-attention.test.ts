/**
 * The v1 attention graph against a direct TypeScript reimplementation of one Swin v1 block's
 * attention branch (as RingMoE's released code computes it), from the tensors the package stores:
 * x + LN1(proj(softmax((q·head_dim^-0.5)·kᵀ + table[idx] + mask)·v)) with cyclic shift, window
 * partition and Swin's −100 shift mask built here from its region slices.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModel } from '../../../tools/onnx/model-io.js';
import { SourceTensors } from '../../../tools/prune/source-tensors.js';
import { recordedConfig, resolveConfig, stageGeometry } from '../../../tools/ringmoe/config.js';
import { writeReferencePackage } from '../../../tools/ringmoe/reference.js';
import { truncNormal } from '../../../tools/frames/seeded.js';
import { randomFeeds, tempDir, tinyPackage } from '../../helpers/packages.js';
import { runWithOutputs } from '../prune/helpers.js';

// Two heads in stage 1 (16×16 tokens, window 4, shift 2), so head splitting and the mask are exercised.
const config = resolveConfig({
  base: 'ringmoe-tiny',
  name: 'ringmoe-v1-check',
  heads: [2, 2, 4, 8],
  modalities: ['optical'],
  fusion: [],
  change: [],
  tasks: ['classification'],
});
const seed = 5;
const pkg = (async () => {
  const dir = join(tempDir('v1'), 'pkg');
  const manifest = await writeReferencePackage({ config, outDir: dir, seed });
  return { dir, manifest };
})();

interface BlockWeights {
  qkvW: Float32Array;
  qkvB: Float32Array;
  projW: Float32Array;
  projB: Float32Array;
  table: Float32Array;
  normW: Float32Array;
  normB: Float32Array;
}

/** Swin's region label of each position of the shifted map (h/w slices [0, −w), [−w, −s), [−s, end)). */
function regionLabels(H: number, W: number, w: number, s: number): Int32Array {
  const slices = (size: number) => [
    [0, size - w],
    [size - w, size - s],
    [size - s, size],
  ];
  const label = new Int32Array(H * W);
  let cnt = 0;
  for (const [h0, h1] of slices(H)) {
    for (const [w0, w1] of slices(W)) {
      for (let y = h0!; y < h1!; y++) for (let x = w0!; x < w1!; x++) label[y * W + x] = cnt;
      cnt++;
    }
  }
  return label;
}

/** One v1 attention branch with residual post-norm on x [N, H·W, D] (row-major tokens). */
function referenceBlock(
  x: Float32Array,
  N: number,
  H: number,
  W: number,
  D: number,
  heads: number,
  w: number,
  shift: number,
  p: BlockWeights,
  eps: number,
): Float32Array {
  const hd = D / heads;
  const t = w * w;
  const scale = hd ** -0.5;
  const labels = shift ? regionLabels(H, W, w, shift) : undefined;
  const attn = new Float32Array(N * H * W * D);
  const tok = (n: number, y: number, xx: number) => (n * H * W + y * W + xx) * D;
  for (let n = 0; n < N; n++) {
    for (let wy = 0; wy < H / w; wy++) {
      for (let wx = 0; wx < W / w; wx++) {
        // Window tokens in shifted coordinates; shifted[y][x] = x[(y + s) mod H][(x + s) mod W].
        const pos = Array.from({ length: t }, (_, i) => ({ y: wy * w + Math.floor(i / w), x: wx * w + (i % w) }));
        const src = pos.map(({ y, x: c }) => tok(n, (y + shift) % H, (c + shift) % W));
        const q = new Float64Array(t * D);
        const k = new Float64Array(t * D);
        const v = new Float64Array(t * D);
        for (let i = 0; i < t; i++) {
          for (let o = 0; o < D; o++) {
            let sq = p.qkvB[o]!;
            let sk = p.qkvB[D + o]!;
            let sv = p.qkvB[2 * D + o]!;
            for (let c = 0; c < D; c++) {
              const xv = x[src[i]! + c]!;
              sq += xv * p.qkvW[c * 3 * D + o]!;
              sk += xv * p.qkvW[c * 3 * D + D + o]!;
              sv += xv * p.qkvW[c * 3 * D + 2 * D + o]!;
            }
            q[i * D + o] = sq;
            k[i * D + o] = sk;
            v[i * D + o] = sv;
          }
        }
        const out = new Float64Array(t * D);
        for (let h = 0; h < heads; h++) {
          for (let i = 0; i < t; i++) {
            const scores = new Float64Array(t);
            for (let j = 0; j < t; j++) {
              let s = 0;
              for (let d = 0; d < hd; d++) s += q[i * D + h * hd + d]! * scale * k[j * D + h * hd + d]!;
              const ri = Math.floor(i / w);
              const ci = i % w;
              const rj = Math.floor(j / w);
              const cj = j % w;
              s += p.table[((ri - rj + w - 1) * (2 * w - 1) + (ci - cj + w - 1)) * heads + h]!;
              if (labels && labels[pos[i]!.y * W + pos[i]!.x] !== labels[pos[j]!.y * W + pos[j]!.x]) s += -100;
              scores[j] = s;
            }
            const m = Math.max(...scores);
            let z = 0;
            for (let j = 0; j < t; j++) z += scores[j] = Math.exp(scores[j]! - m);
            for (let d = 0; d < hd; d++) {
              let s = 0;
              for (let j = 0; j < t; j++) s += (scores[j]! / z) * v[j * D + h * hd + d]!;
              out[i * D + h * hd + d] = s;
            }
          }
        }
        // Output projection, written back to the unshifted position.
        for (let i = 0; i < t; i++) {
          for (let o = 0; o < D; o++) {
            let s = p.projB[o]!;
            for (let c = 0; c < D; c++) s += out[i * D + c]! * p.projW[c * D + o]!;
            attn[src[i]! + o] = s;
          }
        }
      }
    }
  }
  const y = new Float32Array(x.length);
  for (let r = 0; r < N * H * W; r++) {
    let mean = 0;
    for (let c = 0; c < D; c++) mean += attn[r * D + c]!;
    mean /= D;
    let vr = 0;
    for (let c = 0; c < D; c++) vr += (attn[r * D + c]! - mean) ** 2;
    vr /= D;
    for (let c = 0; c < D; c++)
      y[r * D + c] = x[r * D + c]! + ((attn[r * D + c]! - mean) / Math.sqrt(vr + eps)) * p.normW[c]! + p.normB[c]!;
  }
  return y;
}

// Serial: runWithOutputs writes one temporary graph per entry inside the package directory.
for (const blockIndex of [0, 1]) {
  test.serial(
    `v1 block s1.b${blockIndex} (${blockIndex ? 'shifted, masked' : 'unshifted'}): onnxruntime equals a direct reimplementation from the stored weights (max abs diff <= 1e-5)`,
    async (t) => {
      const { dir, manifest } = await pkg;
      const block = `s1.b${blockIndex}`;
      const g = stageGeometry(config)[0]!;
      t.is(g.heads, 2);
      t.is(g.shift, 2);
      const entry = manifest.entries.find((e) => e.name === 'optical')!;
      // The residual Add closing the attention branch: its first input is the block input x.
      const model = await readModel(join(dir, entry.graph));
      const adds = model.proto.graph!.node.filter(
        (n) => n.name.startsWith(`optical/${block}/attn/`) && n.opType === 'Add',
      );
      const residual = adds[adds.length - 1]!;
      t.true(
        residual.input[1]!.includes('LayerNormalization'),
        `last Add of the attention scope is the residual (inputs ${residual.input.join(', ')})`,
      );
      const feeds = randomFeeds(entry, 2, 11);
      const out = await runWithOutputs(dir, entry, feeds, [
        { name: residual.input[0]!, dtype: 'float32' },
        { name: residual.output[0]!, dtype: 'float32' },
      ]);
      const x = out[residual.input[0]!]!.data as Float32Array;
      const got = out[residual.output[0]!]!.data as Float32Array;

      const src = await SourceTensors.open(dir, manifest, ['optical']);
      try {
        const w = g.window;
        const table = truncNormal(seed, `${block}.attn.relative_position_bias_table`, (2 * w - 1) ** 2 * g.heads, 0.02);
        const p: BlockWeights = {
          qkvW: await src.float32(`${block}.attn.qkv.weight`),
          qkvB: await src.float32(`${block}.attn.qkv.bias`),
          projW: await src.float32(`${block}.attn.proj.weight`),
          projB: await src.float32(`${block}.attn.proj.bias`),
          table,
          normW: await src.float32(`${block}.norm1.weight`),
          normB: await src.float32(`${block}.norm1.bias`),
        };
        t.deepEqual(src.dims(`${block}.attn.qkv.weight`), [g.dim, 3 * g.dim]);
        t.deepEqual(src.dims(`${block}.attn.relative_position_bias`), [1, g.heads, w * w, w * w]);
        // The k part of the bias is learned in v1 (SwinV2 has none).
        t.true(p.qkvB.subarray(g.dim, 2 * g.dim).some((b) => b !== 0));
        const want = referenceBlock(x, 2, g.height, g.width, g.dim, g.heads, w, blockIndex ? g.shift : 0, p, 1e-6);
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i]! - got[i]!));
        t.log(`max abs diff ${worst.toExponential(2)} over ${want.length} values`);
        t.true(worst <= 1e-5, `max abs diff ${worst}`);
        // And the residual branch is not trivially small: the attention output moves x.
        let moved = 0;
        for (let i = 0; i < want.length; i++) moved = Math.max(moved, Math.abs(want[i]! - x[i]!));
        t.true(moved > 0.1);
      } finally {
        await src.close();
      }
    },
  );
}

test('v1 graphs use the released layer-norm epsilons: 1e-6 in embedding, blocks and stage outputs, 1e-4 in patch merging', async (t) => {
  const { dir, manifest } = await pkg;
  const model = await readModel(join(dir, manifest.entries.find((e) => e.name === 'optical')!.graph));
  const eps = new Map<string, number>();
  for (const n of model.proto.graph!.node.filter((x) => x.opType === 'LayerNormalization'))
    eps.set(n.input[1]!.replace(/\.weight$/, ''), n.attribute.find((a) => a.name === 'epsilon')!.f);
  t.is(eps.get('embed.optical.norm'), Math.fround(1e-6));
  t.is(eps.get('s1.b0.norm1'), Math.fround(1e-6));
  t.is(eps.get('s1.b0.norm2'), Math.fround(1e-6));
  t.is(eps.get('s2.merge.norm'), Math.fround(1e-4));
  t.is(eps.get('s4.out_norm'), Math.fround(1e-6));
});

test('v2 packages keep the SwinV2 weights they had before v1 existed: ringmoe-tiny seed 0 trunk.bin, byte for byte', async (t) => {
  const { dir, manifest } = await tinyPackage({ attention: 'v2' });
  t.is(manifest.model.config!.attention, 'v2');
  // sha256 of weights/trunk.bin (every attention tensor, norms and merges) as written before the flavour field.
  t.is(
    createHash('sha256')
      .update(readFileSync(join(dir, 'weights', 'trunk.bin')))
      .digest('hex'),
    'c273292e29444927420cee8c0e6fa4e8f48dea3846557919fe921f2829833a64',
  );
});

test('a manifest recorded without attention resolves as v2 (its graphs are SwinV2); a new written config defaults to v1', (t) => {
  const recorded = structuredClone(config) as unknown as Record<string, unknown>;
  delete recorded.attention;
  delete recorded.tasks;
  const old = recordedConfig(recorded);
  t.is(old.attention, 'v2');
  t.deepEqual(old.tasks, ['classification', 'segmentation', 'detection', 'depth']);
  t.is(recordedConfig({ ...recorded, attention: 'v1' }).attention, 'v1');
  t.is(resolveConfig({ base: 'ringmoe-small' }).attention, 'v1');
  t.is(resolveConfig({ base: 'ringmoe-small', attention: 'v2' }).attention, 'v2');
});

test('BAD CALL - an unknown attention flavour, task head, or task names written into heads are E_CONFIG naming the field', (t) => {
  const e1 = t.throws(() => resolveConfig({ base: 'ringmoe-tiny', attention: 'v3' as 'v1' }, 'c.json'));
  t.is((e1 as { code?: string }).code, 'E_CONFIG');
  t.regex(e1!.message, /attention must be "v1" or "v2" \(got "v3"\)/);
  const e2 = t.throws(() =>
    resolveConfig({ base: 'ringmoe-tiny', tasks: ['classification', 'captioning' as 'depth'] }),
  );
  t.regex(e2!.message, /tasks\[1\] "captioning" is not a task head/);
  const e3 = t.throws(() => resolveConfig({ base: 'ringmoe-tiny', heads: ['classification'] as unknown as number[] }));
  t.regex(
    e3!.message,
    /heads lists the attention heads of each stage \(numbers\); the task heads an entry emits go in tasks/,
  );
});
