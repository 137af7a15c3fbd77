/**
 * The `vlm` section of an RS-MoE package's ringmoe.json: where the tokenizer, the vision graph and
 * each expert's graphs are, the decoder dimensions the runtime needs to size its KV cache, the
 * router's prompt templates and the fusion rules. Types plus the structural check the runtime runs
 * before loading anything.
 */
import { EdgeError } from '../core/errors.js';
import type { PackageManifest } from './package-manifest.js';

/** What an expert specialises in (RS-MoE's caption sub-tasks). */
export type VlmExpertRole = 'theme' | 'objects' | 'relations';
export const VLM_EXPERT_ROLES: readonly VlmExpertRole[] = ['theme', 'objects', 'relations'];

/** Dimensions of a causal-LM decoder graph (standard ONNX export I/O). */
export interface VlmDecoderSpec {
  layers: number;
  heads: number;
  /** Key/value heads (= heads without grouped-query attention). */
  kvHeads: number;
  headDim: number;
  vocab: number;
  /** Largest position id the decoder has an embedding for, plus one. */
  maxPositions: number;
  /** Element type of the KV cache tensors. */
  cacheDtype: 'float32';
}

/** Prompt templates of one expert; `{instruction}` and `{question}` are replaced by the router. */
export interface VlmPromptTemplates {
  caption: string;
  vqa: string;
}

export interface VlmExpertRecord {
  id: string;
  role: VlmExpertRole;
  prompts: VlmPromptTemplates;
  /** Entry mapping visual tokens to the decoder's initial `past_key_values` (the visual prefix). */
  prefixEntry: string;
  /** Entry of the causal LM (`input_ids`, `attention_mask`, `position_ids`, `past_key_values.*`). */
  decoderEntry: string;
  decoder: VlmDecoderSpec;
  /** Learnable parameters of prefix projector + decoder. */
  params: number;
  /** Weight-only quantization applied to this expert's decoder, if any. */
  quantization?: { bits: 4 | 8; blockSize: number };
}

export interface VlmManifest {
  architecture: 'rs-moe';
  tokenizer: {
    /** tokenizer.json (Hugging Face format) and tokenizer_config.json, relative paths. */
    file: string;
    config: string;
    bos: number;
    eos: number;
    pad: number;
  };
  vision: {
    entry: string;
    inputSize: number;
    /** Visual tokens the Q-Former produces (learned queries). */
    queries: number;
    dim: number;
    /** Longest instruction (in tokens) the Q-Former's instruction input takes; longer ones are cut. */
    maxInstructionTokens: number;
    /** Per-channel RGB normalisation applied to 0..1 pixels. */
    mean: [number, number, number];
    std: [number, number, number];
  };
  experts: VlmExpertRecord[];
  /** Fusion rules (see sdk/vlm/fusion.ts). */
  fusion: { caption: 'ordered-dedup'; vqa: 'majority-vote' };
  /** True for seeded reference weights: the text they produce is meaningless. */
  seededWeights: boolean;
}

/**
 * The vlm section of `m`, checked.
 * @throws EdgeError E_PACKAGE_MANIFEST naming the field, when the package is not an RS-MoE package
 *   or its vlm section is malformed
 */
export function vlmSection(m: PackageManifest, file = 'ringmoe.json'): VlmManifest {
  const v = m.vlm as unknown;
  const problems: string[] = [];
  const obj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  const posInt = (x: unknown) => Number.isSafeInteger(x) && (x as number) > 0;
  if (m.kind !== 'rsmoe' || !obj(v)) {
    throw new EdgeError(
      'E_PACKAGE_MANIFEST',
      `package ${m.name} is a ${m.kind} package, not an RS-MoE (vision-language) package`,
      { file, field: 'kind', hint: 'write one with: ringmoe-edge reference rsmoe-tiny -o pkg/rsmoe' },
    );
  }
  const entries = new Set(m.entries.map((e) => e.name));
  if (v.architecture !== 'rs-moe') problems.push('vlm.architecture must be "rs-moe"');
  const t = v.tokenizer;
  if (
    !obj(t) ||
    typeof t.file !== 'string' ||
    typeof t.config !== 'string' ||
    !(t.file in m.files) ||
    !(t.config in m.files)
  )
    problems.push('vlm.tokenizer must name tokenizer.json and tokenizer_config.json files listed in files');
  else
    for (const k of ['bos', 'eos', 'pad'])
      if (!Number.isSafeInteger(t[k]) || (t[k] as number) < 0) problems.push(`vlm.tokenizer.${k} must be a token id`);
  const vis = v.vision;
  if (!obj(vis) || typeof vis.entry !== 'string' || !entries.has(vis.entry))
    problems.push('vlm.vision.entry must name an entry');
  else
    for (const k of ['inputSize', 'queries', 'dim', 'maxInstructionTokens'])
      if (!posInt(vis[k])) problems.push(`vlm.vision.${k} must be a positive integer`);
  if (!Array.isArray(v.experts) || v.experts.length === 0) problems.push('vlm.experts must be a non-empty array');
  else {
    const ids = new Set<string>();
    v.experts.forEach((e: unknown, i: number) => {
      if (!obj(e) || typeof e.id !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(e.id))
        return void problems.push(`vlm.experts[${i}].id must be a short lowercase id`);
      if (ids.has(e.id)) problems.push(`vlm.experts[${i}].id ${e.id} is used twice`);
      ids.add(e.id);
      if (!VLM_EXPERT_ROLES.includes(e.role as VlmExpertRole))
        problems.push(`vlm.experts[${i}].role must be one of ${VLM_EXPERT_ROLES.join(', ')}`);
      if (!obj(e.prompts) || typeof e.prompts.caption !== 'string' || typeof e.prompts.vqa !== 'string')
        problems.push(`vlm.experts[${i}].prompts must have caption and vqa templates`);
      for (const k of ['prefixEntry', 'decoderEntry'])
        if (typeof e[k] !== 'string' || !entries.has(e[k] as string))
          problems.push(`vlm.experts[${i}].${k} must name an entry`);
      const d = e.decoder;
      if (!obj(d)) problems.push(`vlm.experts[${i}].decoder must be an object`);
      else
        for (const k of ['layers', 'heads', 'kvHeads', 'headDim', 'vocab', 'maxPositions'])
          if (!posInt(d[k])) problems.push(`vlm.experts[${i}].decoder.${k} must be a positive integer`);
    });
  }
  if (problems.length)
    throw new EdgeError('E_PACKAGE_MANIFEST', `invalid RS-MoE manifest: ${problems.slice(0, 6).join('; ')}`, {
      file,
      field: 'vlm',
    });
  return v as unknown as VlmManifest;
}
