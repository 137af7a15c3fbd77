/**
 * KV caches of causal-LM decoders in the standard ONNX export convention
 * (`past_key_values.{i}.key|value` in, `present.{i}.key|value` out, each [B, kvHeads, T, headDim]),
 * and what they cost in memory per generated token.
 */
import type { HostTensor } from '../core/host-tensor.js';
import type { VlmDecoderSpec } from '../package/vlm-manifest.js';

/** One decoder's cache: batch rows, cached positions, and the tensors by past_key_values name. */
export interface KvCache {
  batch: number;
  length: number;
  tensors: Record<string, HostTensor>;
}

/** `past_key_values.{i}.key|value` names, layer by layer. */
export function pastNames(spec: VlmDecoderSpec): string[] {
  return Array.from({ length: spec.layers }, (_, i) => [
    `past_key_values.${i}.key`,
    `past_key_values.${i}.value`,
  ]).flat();
}

/** The present output that becomes past input `name` on the next step. */
export function presentName(pastName: string): string {
  return pastName.replace(/^past_key_values\./, 'present.');
}

/** A cache with no positions (the start of a text-only generation). */
export function emptyCache(spec: VlmDecoderSpec, batch: number): KvCache {
  const tensors: Record<string, HostTensor> = {};
  for (const n of pastNames(spec))
    tensors[n] = { dtype: 'float32', shape: [batch, spec.kvHeads, 0, spec.headDim], data: new Float32Array(0) };
  return { batch, length: 0, tensors };
}

/** A new cache holding rows `rows` of `c` (in that order; rows may repeat: beam expansion and reordering). */
export function selectRows(c: KvCache, rows: readonly number[]): KvCache {
  const tensors: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(c.tensors)) {
    const rowSize = t.data.length / c.batch;
    const src = t.data as Float32Array;
    const out = new Float32Array(rowSize * rows.length);
    rows.forEach((r, i) => out.set(src.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize));
    tensors[name] = { dtype: t.dtype, shape: [rows.length, ...t.shape.slice(1)], data: out };
  }
  return { batch: rows.length, length: c.length, tensors };
}

/** A deep copy (feeds may be moved to a worker thread and detached). */
export function cloneCache(c: KvCache): KvCache {
  return selectRows(
    c,
    Array.from({ length: c.batch }, (_, i) => i),
  );
}

/**
 * Bytes of KV cache one sequence holds per cached token: 2 (key and value) × layers × kvHeads ×
 * headDim × bytes per element.
 * @example
 * // Llama-3.2-1B: 16 layers, 8 KV heads of 64, fp16 → 32 KiB per token
 * kvBytesPerToken({ layers: 16, kvHeads: 8, headDim: 64, ... }, 2) === 32768
 */
export function kvBytesPerToken(
  spec: Pick<VlmDecoderSpec, 'layers' | 'kvHeads' | 'headDim'>,
  bytesPerElement = 4,
): number {
  return 2 * spec.layers * spec.kvHeads * spec.headDim * bytesPerElement;
}

/** Peak KV-cache bytes of one expert generating for `batch` sequences of up to `tokens` cached positions each. */
export function kvCacheBytes(
  spec: Pick<VlmDecoderSpec, 'layers' | 'kvHeads' | 'headDim'>,
  tokens: number,
  batch = 1,
  bytesPerElement = 4,
): number {
  return kvBytesPerToken(spec, bytesPerElement) * tokens * batch;
}
