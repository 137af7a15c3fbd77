/**
 * RS-MoE (vision-language MoE) runtime: captions and answers from instruction-routed expert
 * language models. See docs/rsmoe.md.
 */
export {
  createVlmRuntime,
  vlmResultId,
  SEEDED_WEIGHTS_NOTE,
  type VlmRuntime,
  type VlmRuntimeOptions,
  type VlmRequest,
  type VlmResult,
  type VlmExpertOutput,
} from './vlm-runtime.js';
export {
  resolveGeneration,
  generate,
  type GenerationOptions,
  type GenerationStrategy,
  type Generated,
  type TokenEvent,
  type FinishReason,
} from './generate.js';
export {
  route,
  DEFAULT_ROUTER_TEMPLATES,
  DEFAULT_CAPTION_INSTRUCTION,
  type RoutedPrompt,
  type VlmTask,
} from './router.js';
export { fuseCaption, fuseAnswer } from './fusion.js';
export { CausalLm } from './causal-lm.js';
export { kvBytesPerToken, kvCacheBytes, emptyCache, type KvCache } from './kv-cache.js';
export { loadVlmTokenizer, type VlmTokenizer } from './tokenizer.js';
export { vlmSection, type VlmManifest, type VlmExpertRecord, type VlmDecoderSpec } from '../package/vlm-manifest.js';
export { VlmModelHost, probeFrame, type VlmModelHostOptions } from './vlm-model-host.js';
