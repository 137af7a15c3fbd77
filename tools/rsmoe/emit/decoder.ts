/**
 * One RS-MoE expert: a GPT-style causal LM in the I/O convention of standard ONNX exports of causal
 * LMs (Hugging Face Optimum's `decoder_model_merged` naming), so a real exported 1B model can take
 * its place, plus the visual-prefix projector that feeds it the image.
 *
 * Decoder inputs: `input_ids` [B, S] int64, `attention_mask` [B, P+S] int64 (1 = attend),
 * `position_ids` [B, S] int64, `past_key_values.{i}.key|value` [B, H, P, hd]. Outputs: `logits`
 * [B, S, V], `present.{i}.key|value` [B, H, P+S, hd]. Token s of the call sits at cache index P+s
 * and attends to cache indices ≤ P+s whose mask is 1.
 *
 * Prefix input: `visual_tokens` [B, Q, Dv]; outputs `past_key_values.{i}.key|value` [B, H, Q, hd]:
 * the Q-Former's tokens as each layer's keys and values (prefix conditioning), which the runtime
 * hands to the decoder as its initial cache with mask 1 over those Q positions.
 */
import { attr } from '../../onnx/builder.js';
import type { RsMoeConfig } from '../config.js';
import type { RsEmit } from './layers.js';

/** Large negative additive bias for masked attention (finite, so fully masked rows stay finite). */
const MASKED = -1e9;

export function emitPrefix(e: RsEmit, c: RsMoeConfig, p: string): void {
  const b = e.b;
  const { dim, layers, heads } = c.decoder;
  const hd = dim / heads;
  const vt = b.input('visual_tokens', 'float32', ['batch', c.qformer.queries, c.vision.dim]);
  const h = e.layerNorm(vt, c.vision.dim, `${p}.prefix.norm`);
  for (let i = 0; i < layers; i++) {
    for (const kv of ['key', 'value'] as const) {
      const t = e.splitHeads(e.linear(h, c.vision.dim, dim, `${p}.prefix.${i}.${kv}`), heads, hd);
      b.output(t, `past_key_values.${i}.${kv}`, 'float32', ['batch', heads, c.qformer.queries, hd]);
    }
  }
}

export function emitDecoder(e: RsEmit, c: RsMoeConfig, p: string, vocab: number): void {
  const b = e.b;
  const { dim, layers, heads, hidden, maxPositions } = c.decoder;
  const hd = dim / heads;
  const ids = b.input('input_ids', 'int64', ['batch', 'sequence']);
  const mask = b.input('attention_mask', 'int64', ['batch', 'total']);
  const pos = b.input('position_ids', 'int64', ['batch', 'sequence']);
  const past = Array.from({ length: layers }, (_, i) => ({
    key: b.input(`past_key_values.${i}.key`, 'float32', ['batch', heads, 'past', hd]),
    value: b.input(`past_key_values.${i}.value`, 'float32', ['batch', heads, 'past', hd]),
  }));

  // Additive attention bias [B, 1, S, T]: padding (mask 0) and the future are masked.
  const seqLen = b.op('Gather', [b.op('Shape', [ids]), b.int64(1)], { axis: attr.i(0) });
  const total = b.op('Gather', [b.op('Shape', [mask]), b.int64(1)], { axis: attr.i(0) });
  const qIdx = b.op('Range', [b.op('Sub', [total, seqLen]), total, b.int64(1)]);
  const kIdx = b.op('Range', [b.int64(0), total, b.int64(1)]);
  const allowed = b.op('LessOrEqual', [
    b.op('Unsqueeze', [kIdx, b.int64s([0])]),
    b.op('Unsqueeze', [qIdx, b.int64s([1])]),
  ]);
  const causal = b.op('Where', [allowed, b.float(0), b.float(MASKED)]);
  const keep = b.op('Cast', [mask], { to: attr.i(1) });
  const pad = b.op('Mul', [b.op('Sub', [b.float(1), keep]), b.float(MASKED)]);
  const bias = b.op('Add', [b.op('Unsqueeze', [causal, b.int64s([0, 1])]), b.op('Unsqueeze', [pad, b.int64s([1, 2])])]);

  const wte = e.param(`${p}.embed_tokens`, [vocab, dim], { kind: 'normal', std: 1 });
  const wpe = e.param(`${p}.embed_positions`, [maxPositions, dim], { kind: 'normal', std: 0.1 });
  let x = b.op('Add', [
    b.op('Gather', [wte, ids], { axis: attr.i(0) }),
    b.op('Gather', [wpe, pos], { axis: attr.i(0) }),
  ]);
  for (let i = 0; i < layers; i++) {
    const n = `${p}.layers.${i}`;
    const h = e.layerNorm(x, dim, `${n}.norm1`);
    const q = e.splitHeads(e.linear(h, dim, dim, `${n}.attn.q`), heads, hd);
    const k = b.op('Concat', [past[i]!.key, e.splitHeads(e.linear(h, dim, dim, `${n}.attn.k`), heads, hd)], {
      axis: attr.i(2),
    });
    const v = b.op('Concat', [past[i]!.value, e.splitHeads(e.linear(h, dim, dim, `${n}.attn.v`), heads, hd)], {
      axis: attr.i(2),
    });
    b.output(k, `present.${i}.key`, 'float32', ['batch', heads, 'total', hd]);
    b.output(v, `present.${i}.value`, 'float32', ['batch', heads, 'total', hd]);
    x = b.op('Add', [x, e.linear(e.mergeHeads(e.attend(q, k, v, hd, bias), dim), dim, dim, `${n}.attn.proj`)]);
    x = b.op('Add', [x, e.mlp(e.layerNorm(x, dim, `${n}.norm2`), dim, hidden, `${n}.mlp`)]);
  }
  const logits = e.linear(e.layerNorm(x, dim, `${p}.norm`), dim, vocab, `${p}.lm_head`, false);
  b.output(logits, 'logits', 'float32', ['batch', 'sequence', vocab]);
}
