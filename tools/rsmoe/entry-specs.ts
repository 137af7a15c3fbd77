/**
 * The manifest entries of an RS-MoE package's graphs — kind, tasks, inputs and outputs of the
 * vision encoder and, per expert, of its prefix projector and of its decoder in the standard
 * causal-LM ONNX I/O. The seeded reference (reference.ts) and the packager of a trained run
 * (trained-package.ts) write the same interface from this one description.
 */
import type { EntryManifest, InputSpec, OutputSpec } from '../../sdk/internal.js';
import type { RsMoeConfig } from './config.js';

/** An entry without the fields its writer fills in (name, graph file, weight files). */
export type RsMoeEntrySpec = Omit<EntryManifest, 'name' | 'graph' | 'weightFiles'>;

/**
 * Entry specs by entry name: `vision`, then `expert.<id>.prefix` and `expert.<id>.decoder` for
 * each expert of `c`.
 * @param vocab the tokenizer's vocabulary size (the decoders' logits width)
 */
export function rsmoeEntrySpecs(c: RsMoeConfig, vocab: number): Record<string, RsMoeEntrySpec> {
  const { dim, layers, heads } = c.decoder;
  const hd = dim / heads;
  const L = c.maxInstructionTokens;
  const kvNames = (prefix: string) =>
    Array.from({ length: layers }, (_, i) => [`${prefix}.${i}.key`, `${prefix}.${i}.value`]).flat();
  const specs: Record<string, RsMoeEntrySpec> = {
    vision: {
      kind: 'vision',
      modalities: ['optical'],
      tasks: ['caption', 'vqa'],
      inputs: [
        {
          name: 'image',
          dtype: 'float32',
          shape: ['N', 3, c.inputSize, c.inputSize],
          role: 'image',
          modality: 'optical',
          layout: 'NCHW',
        },
        { name: 'instruction_ids', dtype: 'int64', shape: ['N', L], role: 'instruction-ids' },
        { name: 'instruction_mask', dtype: 'int64', shape: ['N', L], role: 'instruction-mask' },
      ],
      outputs: [
        {
          name: 'visual_tokens',
          dtype: 'float32',
          shape: ['N', c.qformer.queries, c.vision.dim],
          task: 'caption',
          kind: 'features',
          description: 'Q-Former visual tokens',
        },
      ],
    },
  };
  for (const x of c.experts) {
    const p = `expert.${x.id}`;
    specs[`${p}.prefix`] = {
      kind: 'prefix',
      modalities: ['optical'],
      tasks: ['caption', 'vqa'],
      inputs: [
        {
          name: 'visual_tokens',
          dtype: 'float32',
          shape: ['batch', c.qformer.queries, c.vision.dim],
          role: 'visual-tokens',
        },
      ],
      outputs: kvNames('past_key_values').map((name): OutputSpec => ({
        name,
        dtype: 'float32',
        shape: ['batch', heads, c.qformer.queries, hd],
        task: 'caption',
        kind: 'raw',
        description: 'visual prefix as the initial KV cache',
      })),
    };
    specs[`${p}.decoder`] = {
      kind: 'decoder',
      modalities: [],
      tasks: ['caption', 'vqa'],
      inputs: [
        { name: 'input_ids', dtype: 'int64', shape: ['batch', 'sequence'], role: 'input-ids' },
        { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'total'], role: 'attention-mask' },
        { name: 'position_ids', dtype: 'int64', shape: ['batch', 'sequence'], role: 'position-ids' },
        ...kvNames('past_key_values').map((name): InputSpec => ({
          name,
          dtype: 'float32',
          shape: ['batch', heads, 'past', hd],
          role: 'past-key-values',
        })),
      ],
      outputs: [
        { name: 'logits', dtype: 'float32', shape: ['batch', 'sequence', vocab], task: 'caption', kind: 'logits' },
        ...kvNames('present').map((name): OutputSpec => ({
          name,
          dtype: 'float32',
          shape: ['batch', heads, 'total', hd],
          task: 'caption',
          kind: 'raw',
        })),
      ],
    };
  }
  return specs;
}
