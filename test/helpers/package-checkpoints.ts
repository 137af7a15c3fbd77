/**
 * Checkpoint tensors made from a seeded reference package: its tensors read back from the weight
 * files, renamed to released RingMoE names (with the released layouts) or to Hugging Face SwinV2
 * names (a dense model whose FFN is every expert of an upcycled package).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PackageManifest } from '../../sdk/package/package-manifest.js';
import { readModel } from '../../tools/onnx/model-io.js';
import { externalInfo } from '../../tools/onnx/tensor-data.js';
import { stageGeometry, type RingMoEConfig } from '../../tools/ringmoe/config.js';
import { blockExperts } from '../../tools/ringmoe/emit/experts.js';
import { truncNormal } from '../../tools/frames/seeded.js';
import { RELEASED_MODALITY_ORDER } from '../../tools/convert/released-names.js';
import { transpose2d } from '../../tools/convert/transforms.js';
import type { TestTensor } from './checkpoint-writers.js';

export interface PackageTensor {
  dims: number[];
  data: Float32Array;
}

/** Every float32 weight of a package, by name (read from its weight files). */
export async function packageTensors(dir: string, manifest: PackageManifest): Promise<Map<string, PackageTensor>> {
  const out = new Map<string, PackageTensor>();
  for (const e of manifest.entries) {
    const m = await readModel(join(dir, e.graph));
    for (const t of m.proto.graph!.initializer) {
      const ext = externalInfo(t);
      if (!ext || out.has(t.name) || t.dataType !== 1) continue;
      const dims = t.dims.map(Number);
      const n = dims.reduce((a, b) => a * b, 1);
      const bytes = readFileSync(join(dir, ext.location)).subarray(ext.offset, ext.offset + n * 4);
      out.set(t.name, {
        dims,
        data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
      });
    }
  }
  return out;
}

function get(p: Map<string, PackageTensor>, name: string): PackageTensor {
  const t = p.get(name);
  if (!t) throw new Error(`package has no tensor ${name}`);
  return t;
}

/** The seeded SwinV2 position-bias MLP of a block in torch layouts (fc1 [H, 2], fc1 bias [H], fc2 [heads, H]). */
export function seededCpbMlp(
  seed: number,
  block: string,
  heads: number,
  hidden: number,
): { fc1w: Float32Array; fc1b: Float32Array; fc2w: Float32Array } {
  const key = `${block}.attn`;
  const w1 = truncNormal(seed, `${key}.cpb.fc1.weight`, 2 * hidden, 1 / Math.sqrt(2));
  const b1 = truncNormal(seed, `${key}.cpb.fc1.bias`, hidden, 0.02);
  const w2 = truncNormal(seed, `${key}.cpb.fc2.weight`, hidden * heads, 1 / Math.sqrt(hidden));
  return { fc1w: transpose2d(w1, 2, hidden), fc1b: b1, fc2w: transpose2d(w2, hidden, heads) };
}

/** q, k or v weight [out, in] and bias out of a fused [D, 3D] qkv. */
function qkvPart(
  qkv: PackageTensor,
  bias: PackageTensor,
  part: number,
  D: number,
): { w: Float32Array; b: Float32Array } {
  const w = new Float32Array(D * D);
  for (let o = 0; o < D; o++) for (let i = 0; i < D; i++) w[o * D + i] = qkv.data[i * 3 * D + part * D + o]!;
  return { w, b: bias.data.slice(part * D, (part + 1) * D) };
}

/** Float32 logs whose float32 exp gives back exactly `x` (SwinV2 stores the log of the logit scale). */
function logOf(x: Float32Array): Float32Array {
  const f = new Float32Array(1);
  const bits = new Int32Array(f.buffer);
  return Float32Array.from(x, (v) => {
    f[0] = Math.log(v);
    for (const step of [0, 1, -1, 2, -2]) {
      const c = new Float32Array(1);
      new Int32Array(c.buffer)[0] = bits[0]! + step;
      if (Math.fround(Math.exp(c[0]!)) === v) return c[0]!;
    }
    return f[0]!;
  });
}

function stack(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * A package in released names: v1 as the released code names it (q/k/v with biases, the
 * relative-position bias table), v2 with the v2 attention names of docs/convert.md (q/k/v, no k
 * bias, logit_scale, cpb_mlp).
 */
export function releasedCheckpoint(
  p: Map<string, PackageTensor>,
  c: RingMoEConfig,
  seed: number,
  o: { stageNorms?: boolean; head?: boolean } = {},
): TestTensor[] {
  const out: TestTensor[] = [];
  const put = (name: string, dims: number[], data: Float32Array) => out.push({ name, dims, data });
  const T = (name: string) => {
    const t = get(p, name);
    return transpose2d(t.data, t.dims[0]!, t.dims[1]!);
  };
  const single = c.modalities.length === 1;
  const key = (m: string) => (single ? '' : String(RELEASED_MODALITY_ORDER.indexOf(m)));
  for (const m of c.modalities) {
    const e = `encoder.patch_embed${key(m.id)}`;
    put(`${e}.projection.weight`, get(p, `embed.${m.id}.proj.weight`).dims, get(p, `embed.${m.id}.proj.weight`).data);
    put(`${e}.projection.bias`, [c.embedDim], get(p, `embed.${m.id}.proj.bias`).data);
    put(`${e}.norm.gamma`, [c.embedDim], get(p, `embed.${m.id}.norm.weight`).data);
    put(`${e}.norm.beta`, [c.embedDim], get(p, `embed.${m.id}.norm.bias`).data);
  }
  const geometry = stageGeometry(c);
  for (const g of geometry) {
    const i = g.stage - 1;
    const D = g.dim;
    for (let j = 0; j < g.depth; j++) {
      const rec = blockExperts(c, g, j);
      const B = rec.id;
      const P = `encoder.layers.${i}.blocks.${j}.`;
      const qkv = get(p, `${B}.attn.qkv.weight`);
      const qkvb = get(p, `${B}.attn.qkv.bias`);
      const v1 = c.attention === 'v1';
      ['q', 'k', 'v'].forEach((n, part) => {
        const { w, b } = qkvPart(qkv, qkvb, part, D);
        put(`${P}attn.${n}.weight`, [D, D], w);
        // v1 (the released WindowAttention) has all three biases; our v2 names have no k bias.
        if (v1 || n !== 'k') put(`${P}attn.${n}.bias`, [D], b);
      });
      put(`${P}attn.proj.weight`, [D, D], T(`${B}.attn.proj.weight`));
      put(`${P}attn.proj.bias`, [D], get(p, `${B}.attn.proj.bias`).data);
      if (v1) {
        // The learned table is not stored in the package (only the bias derived from it): its seeded values.
        const rows = (2 * g.window - 1) ** 2;
        put(
          `${P}attn.relative_position_bias.relative_position_bias_table`,
          [rows, g.heads],
          truncNormal(seed, `${B}.attn.relative_position_bias_table`, rows * g.heads, 0.02),
        );
      } else {
        put(`${P}attn.logit_scale`, [g.heads, 1, 1], logOf(get(p, `${B}.attn.logit_scale_exp`).data));
        const cpb = seededCpbMlp(seed, B, g.heads, c.cpbHidden);
        put(`${P}attn.cpb_mlp.0.weight`, [c.cpbHidden, 2], cpb.fc1w);
        put(`${P}attn.cpb_mlp.0.bias`, [c.cpbHidden], cpb.fc1b);
        put(`${P}attn.cpb_mlp.2.weight`, [g.heads, c.cpbHidden], cpb.fc2w);
      }
      put(`${P}attn.relative_position_index`, [g.window ** 2, g.window ** 2], new Float32Array(g.window ** 4));
      for (const n of ['norm1', 'norm2']) {
        put(`${P}${n}.gamma`, [D], get(p, `${B}.${n}.weight`).data);
        put(`${P}${n}.beta`, [D], get(p, `${B}.${n}.bias`).data);
      }
      const groups: [string, typeof rec.experts][] = [
        ...c.modalities.map(
          (m) =>
            [
              `mlp.special_ffn${key(m.id) ? `.${key(m.id)}` : ''}`,
              rec.experts.filter((e) => e.kind === 'modal' && e.modality === m.id),
            ] as [string, typeof rec.experts],
        ),
        ['mlp.cross_ffn', rec.experts.filter((e) => e.kind === 'collaborative')],
      ];
      for (const [name, experts] of groups) {
        const E = experts.length;
        put(
          `${P}${name}.mapping.weight`,
          [E, D, g.hidden],
          stack(experts.map((e) => get(p, e.tensors.fc1Weight).data)),
        );
        put(`${P}${name}.mapping.bias`, [1, E, 1, g.hidden], stack(experts.map((e) => get(p, e.tensors.fc1Bias).data)));
        put(
          `${P}${name}.projection.weight`,
          [E, g.hidden, D],
          stack(experts.map((e) => get(p, e.tensors.fc2Weight).data)),
        );
        put(`${P}${name}.projection.bias`, [1, E, 1, D], stack(experts.map((e) => get(p, e.tensors.fc2Bias).data)));
      }
      const shared = rec.experts.find((e) => e.kind === 'shared');
      if (shared) {
        put(`${P}mlp.public_ffn.mapping.weight`, [D, g.hidden], get(p, shared.tensors.fc1Weight).data);
        put(`${P}mlp.public_ffn.mapping.bias`, [g.hidden], get(p, shared.tensors.fc1Bias).data);
        put(`${P}mlp.public_ffn.projection.weight`, [g.hidden, D], get(p, shared.tensors.fc2Weight).data);
        put(`${P}mlp.public_ffn.projection.bias`, [D], get(p, shared.tensors.fc2Bias).data);
      }
      for (const r of rec.routers) {
        const name =
          r.kind === 'modal'
            ? `mlp.special_router${key(r.modality!) ? `.${key(r.modality!)}` : ''}`
            : 'mlp.cross_router';
        put(`${P}${name}.dense.weight`, [r.experts.length, D], T(r.weight));
      }
    }
    if (g.stage > 1) {
      const C = geometry[i - 1]!.dim;
      put(
        `encoder.layers.${i - 1}.downsample.reduction.weight`,
        [2 * C, 4 * C],
        T(`s${g.stage}.merge.reduction.weight`),
      );
      put(`encoder.layers.${i - 1}.downsample.norm.gamma`, [g.dim], get(p, `s${g.stage}.merge.norm.weight`).data);
      put(`encoder.layers.${i - 1}.downsample.norm.beta`, [g.dim], get(p, `s${g.stage}.merge.norm.bias`).data);
    }
    const last = g.stage === geometry.length;
    if (last || o.stageNorms !== false) {
      const n = last ? 'encoder.norm' : `encoder.stage_norm${i}`;
      put(`${n}.gamma`, [g.dim], get(p, `s${g.stage}.out_norm.weight`).data);
      put(`${n}.beta`, [g.dim], get(p, `s${g.stage}.out_norm.bias`).data);
    }
  }
  if (o.head !== false) {
    const w = get(p, 'head.cls.fc.weight');
    put('head.cls.fc.weight', [w.dims[1]!, w.dims[0]!], T('head.cls.fc.weight'));
    put('head.cls.fc.bias', [w.dims[1]!], get(p, 'head.cls.fc.bias').data);
  }
  return out;
}

/**
 * A dense Hugging Face SwinV2 state dict (`swinv2.` names, torch layouts) made from an upcycled
 * package (every expert of a block the same FFN): the FFN is the block's shared expert.
 */
export function swinCheckpoint(
  p: Map<string, PackageTensor>,
  c: RingMoEConfig,
  seed: number,
  o: { head?: boolean; buffers?: boolean } = {},
): TestTensor[] {
  const out: TestTensor[] = [];
  const put = (name: string, dims: number[], data: Float32Array) => out.push({ name, dims, data });
  const T = (name: string) => {
    const t = get(p, name);
    return transpose2d(t.data, t.dims[0]!, t.dims[1]!);
  };
  const e = 'swinv2.embeddings.';
  put(
    `${e}patch_embeddings.projection.weight`,
    get(p, 'embed.optical.proj.weight').dims,
    get(p, 'embed.optical.proj.weight').data,
  );
  put(`${e}patch_embeddings.projection.bias`, [c.embedDim], get(p, 'embed.optical.proj.bias').data);
  put(`${e}norm.weight`, [c.embedDim], get(p, 'embed.optical.norm.weight').data);
  put(`${e}norm.bias`, [c.embedDim], get(p, 'embed.optical.norm.bias').data);
  const geometry = stageGeometry(c);
  for (const g of geometry) {
    const i = g.stage - 1;
    const D = g.dim;
    for (let j = 0; j < g.depth; j++) {
      const rec = blockExperts(c, g, j);
      const B = rec.id;
      const P = `swinv2.encoder.layers.${i}.blocks.${j}.`;
      const s = `${P}attention.self.`;
      const qkv = get(p, `${B}.attn.qkv.weight`);
      const qkvb = get(p, `${B}.attn.qkv.bias`);
      ['query', 'key', 'value'].forEach((n, part) => {
        const { w, b } = qkvPart(qkv, qkvb, part, D);
        put(`${s}${n}.weight`, [D, D], w);
        if (n !== 'key') put(`${s}${n}.bias`, [D], b);
      });
      put(`${s}logit_scale`, [g.heads, 1, 1], logOf(get(p, `${B}.attn.logit_scale_exp`).data));
      const cpb = seededCpbMlp(seed, B, g.heads, c.cpbHidden);
      put(`${s}continuous_position_bias_mlp.0.weight`, [c.cpbHidden, 2], cpb.fc1w);
      put(`${s}continuous_position_bias_mlp.0.bias`, [c.cpbHidden], cpb.fc1b);
      put(`${s}continuous_position_bias_mlp.2.weight`, [g.heads, c.cpbHidden], cpb.fc2w);
      if (o.buffers !== false) {
        const n = 2 * g.window - 1;
        put(`${s}relative_coords_table`, [1, n, n, 2], new Float32Array(n * n * 2));
        put(`${s}relative_position_index`, [g.window ** 2, g.window ** 2], new Float32Array(g.window ** 4));
      }
      put(`${P}attention.output.dense.weight`, [D, D], T(`${B}.attn.proj.weight`));
      put(`${P}attention.output.dense.bias`, [D], get(p, `${B}.attn.proj.bias`).data);
      put(`${P}layernorm_before.weight`, [D], get(p, `${B}.norm1.weight`).data);
      put(`${P}layernorm_before.bias`, [D], get(p, `${B}.norm1.bias`).data);
      put(`${P}layernorm_after.weight`, [D], get(p, `${B}.norm2.weight`).data);
      put(`${P}layernorm_after.bias`, [D], get(p, `${B}.norm2.bias`).data);
      const ffn = rec.experts.find((x) => x.kind === 'shared')!;
      put(`${P}intermediate.dense.weight`, [g.hidden, D], T(ffn.tensors.fc1Weight));
      put(`${P}intermediate.dense.bias`, [g.hidden], get(p, ffn.tensors.fc1Bias).data);
      put(`${P}output.dense.weight`, [D, g.hidden], T(ffn.tensors.fc2Weight));
      put(`${P}output.dense.bias`, [D], get(p, ffn.tensors.fc2Bias).data);
    }
    if (g.stage > 1) {
      const C = geometry[i - 1]!.dim;
      const d = `swinv2.encoder.layers.${i - 1}.downsample.`;
      put(`${d}reduction.weight`, [2 * C, 4 * C], T(`s${g.stage}.merge.reduction.weight`));
      put(`${d}norm.weight`, [g.dim], get(p, `s${g.stage}.merge.norm.weight`).data);
      put(`${d}norm.bias`, [g.dim], get(p, `s${g.stage}.merge.norm.bias`).data);
    }
  }
  const last = geometry[geometry.length - 1]!;
  put('swinv2.layernorm.weight', [last.dim], get(p, `s${last.stage}.out_norm.weight`).data);
  put('swinv2.layernorm.bias', [last.dim], get(p, `s${last.stage}.out_norm.bias`).data);
  if (o.head !== false) {
    const w = get(p, 'head.cls.fc.weight');
    put('classifier.weight', [w.dims[1]!, w.dims[0]!], T('head.cls.fc.weight'));
    put('classifier.bias', [w.dims[1]!], get(p, 'head.cls.fc.bias').data);
  }
  return out;
}
