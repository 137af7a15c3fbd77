/**
 * One expert decoder as a causal LM: a loaded session of a graph in the standard ONNX causal-LM
 * convention, checked against the package's decoder spec, and one forward step that turns token ids,
 * attention mask, position ids and the past cache into next-token logits and the grown cache.
 */
import { EdgeError } from '../core/errors.js';
import type { BackendSession } from '../core/backend.js';
import type { HostTensor } from '../core/host-tensor.js';
import { pastNames, presentName, type KvCache } from './kv-cache.js';
import type { VlmDecoderSpec } from '../package/vlm-manifest.js';

/** Logits of one forward step: [batch, sequence, vocab] row-major. */
export interface StepOutput {
  logits: Float32Array;
  sequence: number;
  cache: KvCache;
}

export class CausalLm {
  private readonly past: string[];

  /** @throws EdgeError E_MODEL_OUTPUT when the graph's inputs or outputs are not the standard causal-LM names */
  constructor(
    readonly id: string,
    readonly session: BackendSession,
    readonly spec: VlmDecoderSpec,
  ) {
    this.past = pastNames(spec);
    const wantIn = ['input_ids', 'attention_mask', 'position_ids', ...this.past];
    const wantOut = ['logits', ...this.past.map(presentName)];
    const missing = [
      ...wantIn.filter((n) => !session.inputNames.includes(n)),
      ...wantOut.filter((n) => !session.outputNames.includes(n)),
    ];
    if (missing.length) {
      throw new EdgeError(
        'E_MODEL_OUTPUT',
        `expert ${id}: the decoder graph lacks ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', …' : ''} (not a standard causal-LM export with a KV cache for ${spec.layers} layers)`,
        { field: `vlm.experts.${id}.decoder` },
      );
    }
  }

  /**
   * One forward pass.
   * @param ids [batch][sequence] token ids
   * @param mask [batch][cache.length + sequence] 1 = attend, 0 = padding
   * @param positions [batch][sequence] position ids
   * @param cache the past (its tensors may be moved to a worker and must not be used again)
   * @throws EdgeError E_INVALID_ARGUMENT for ragged rows or positions past `maxPositions`; E_INFERENCE; E_MODEL_OUTPUT
   */
  async step(
    ids: readonly (readonly number[])[],
    mask: readonly (readonly number[])[],
    positions: readonly (readonly number[])[],
    cache: KvCache,
  ): Promise<StepOutput> {
    const batch = ids.length;
    const seq = ids[0]?.length ?? 0;
    const total = cache.length + seq;
    if (
      batch !== cache.batch ||
      seq === 0 ||
      ids.some((r) => r.length !== seq) ||
      positions.some((r) => r.length !== seq) ||
      mask.length !== batch ||
      mask.some((r) => r.length !== total)
    ) {
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `expert ${this.id}: step needs ${cache.batch} rows of equal length, a mask of ${total} per row and positions per token`,
        { field: 'ids' },
      );
    }
    for (const r of positions)
      for (const p of r)
        if (p < 0 || p >= this.spec.maxPositions)
          throw new EdgeError(
            'E_INVALID_ARGUMENT',
            `expert ${this.id}: position ${p} is outside the decoder's ${this.spec.maxPositions} positions`,
            { field: 'position_ids' },
          );
    const i64 = (rows: readonly (readonly number[])[]): HostTensor => ({
      dtype: 'int64',
      shape: [rows.length, rows[0]!.length],
      data: BigInt64Array.from(rows.flat(), (x) => BigInt(x)),
    });
    const feeds: Record<string, HostTensor> = {
      input_ids: i64(ids),
      attention_mask: i64(mask),
      position_ids: i64(positions),
      ...cache.tensors,
    };
    const outNames = ['logits', ...this.past.map(presentName)];
    const out = await this.session.run(feeds, outNames);
    const logits = out.logits;
    if (!logits || !(logits.data instanceof Float32Array) || logits.data.length !== batch * seq * this.spec.vocab) {
      throw new EdgeError(
        'E_MODEL_OUTPUT',
        `expert ${this.id}: logits are not [${batch}, ${seq}, ${this.spec.vocab}] float32`,
        { field: 'logits' },
      );
    }
    const tensors: Record<string, HostTensor> = {};
    for (const n of this.past) {
      const t = out[presentName(n)];
      if (!t || t.shape.length !== 4 || t.shape[0] !== batch || t.shape[2] !== total)
        throw new EdgeError(
          'E_MODEL_OUTPUT',
          `expert ${this.id}: ${presentName(n)} is not [${batch}, heads, ${total}, headDim]`,
          { field: presentName(n) },
        );
      tensors[n] = t;
    }
    return { logits: logits.data, sequence: seq, cache: { batch, length: total, tensors } };
  }
}

/** Logits of row `row`, position `pos` of a step output. */
export function logitsAt(out: StepOutput, vocab: number, row: number, pos: number): Float32Array {
  const off = (row * out.sequence + pos) * vocab;
  return out.logits.subarray(off, off + vocab);
}
