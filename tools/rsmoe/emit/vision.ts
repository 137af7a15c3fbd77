/**
 * The RS-MoE vision graph: a small ViT image encoder and an instruction-aware Q-Former.
 *
 * Inputs `image` [N, 3, S, S] (RGB normalised with the package's mean/std), `instruction_ids`
 * [N, L] and `instruction_mask` [N, L] (int64, 1 = token). The Q-Former's learned queries are
 * shifted by the masked mean of the instruction's embeddings (so the visual tokens depend on what
 * was asked, as in InstructBLIP's instruction-aware Q-Former), attend to each other, then to the
 * image patches. Output `visual_tokens` [N, Q, D].
 */
import { attr } from '../../onnx/builder.js';
import type { RsMoeConfig } from '../config.js';
import type { RsEmit } from './layers.js';

export function emitVision(e: RsEmit, c: RsMoeConfig, vocab: number): void {
  const b = e.b;
  const { patch, dim, layers, heads, hidden } = c.vision;
  const grid = c.inputSize / patch;
  const L = c.maxInstructionTokens;
  const image = b.input('image', 'float32', ['N', 3, c.inputSize, c.inputSize]);
  const ids = b.input('instruction_ids', 'int64', ['N', L]);
  const mask = b.input('instruction_mask', 'int64', ['N', L]);

  const w = e.param('vision.patch.weight', [dim, 3, patch, patch], { kind: 'fanin', fanIn: 3 * patch * patch });
  const bias = e.param('vision.patch.bias', [dim], { kind: 'normal', std: 0.02 });
  const conv = b.op('Conv', [image, w, bias], {
    kernel_shape: attr.ints([patch, patch]),
    strides: attr.ints([patch, patch]),
  });
  let x = b.op('Transpose', [b.op('Reshape', [conv, b.int64s([0, dim, -1])])], { perm: attr.ints([0, 2, 1]) });
  x = b.op('Add', [x, e.param('vision.pos', [1, grid * grid, dim], { kind: 'normal', std: 0.02 })]);
  for (let i = 0; i < layers; i++) {
    const n = `vision.blocks.${i}`;
    const h = e.layerNorm(x, dim, `${n}.norm1`);
    x = b.op('Add', [x, e.mha(h, h, dim, heads, `${n}.attn`)]);
    x = b.op('Add', [x, e.mlp(e.layerNorm(x, dim, `${n}.norm2`), dim, hidden, `${n}.mlp`)]);
  }
  const patches = e.layerNorm(x, dim, 'vision.norm');

  // Instruction: masked mean of token embeddings → [N, 1, D].
  const emb = b.op('Gather', [e.param('qformer.instruction_embed', [vocab, dim], { kind: 'normal', std: 0.5 }), ids], {
    axis: attr.i(0),
  });
  const m = b.op('Unsqueeze', [b.op('Cast', [mask], { to: attr.i(1) }), b.int64s([-1])]);
  const sum = b.op('ReduceSum', [b.op('Mul', [emb, m]), b.int64s([1])], { keepdims: attr.i(1) });
  const count = b.op('Max', [b.op('ReduceSum', [m, b.int64s([1])], { keepdims: attr.i(1) }), b.float(1)]);
  const instr = e.linear(b.op('Div', [sum, count]), dim, dim, 'qformer.instruction_proj');

  let q = b.op('Add', [e.param('qformer.queries', [1, c.qformer.queries, dim], { kind: 'normal', std: 0.5 }), instr]);
  const hq = e.layerNorm(q, dim, 'qformer.norm1');
  q = b.op('Add', [q, e.mha(hq, hq, dim, c.qformer.heads, 'qformer.self_attn')]);
  q = b.op('Add', [
    q,
    e.mha(e.layerNorm(q, dim, 'qformer.norm2'), patches, dim, c.qformer.heads, 'qformer.cross_attn'),
  ]);
  q = b.op('Add', [q, e.mlp(e.layerNorm(q, dim, 'qformer.norm3'), dim, c.qformer.hidden, 'qformer.mlp')]);
  b.output(e.layerNorm(q, dim, 'qformer.norm'), 'visual_tokens', 'float32', ['N', c.qformer.queries, dim]);
}
