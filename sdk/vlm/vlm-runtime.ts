/**
 * The RS-MoE runtime: `caption(frame)` and `ask(frame, question)` on a vision-language MoE package.
 *
 * A request goes: frame → preprocessing (the package's input size, RGB normalisation) → vision graph
 * (ViT + instruction-aware Q-Former, with the user's instruction or question) → visual tokens →
 * Instruction Router (one prompt per expert) → every expert at once: its prefix projector turns the
 * visual tokens into its initial KV cache, its decoder generates → fusion → one result, published
 * over MQTT (task `caption` or `vqa`) with the prompt each expert received.
 *
 * This is its own runtime rather than a mode of `createRuntime`: the RingMoE runtime is a
 * frame-in, tensors-out pipeline with fixed-shape batched entries and per-task decoders, while a
 * VLM request is autoregressive — dozens of decoder calls with a growing cache and per-expert
 * prompts. Both share the package format, preprocessing, backends and the MQTT publisher.
 *
 * Experts run concurrently: with the default backend every session lives on its own worker
 * thread, so the experts' decoders really decode in parallel.
 */
import { createHash } from 'node:crypto';
import { EdgeError } from '../core/errors.js';
import { invalidOption, rejectUnknownKeys } from '../core/validate.js';
import { ResultPublisher } from '../mqtt/publisher.js';
import type { ResultPublisherOptions } from '../mqtt/options.js';
import { openPackage, type ModelPackage } from '../package/open-package.js';
import type { Backend, BackendSession } from '../core/backend.js';
import type { HostTensor } from '../core/host-tensor.js';
import { OrtWorkerBackend } from '../runtime/backends/ort-worker.js';
import { resultId } from '../runtime/result-publishing.js';
import type { Frame } from '../sensors/frame.js';
import { preprocessFrame } from '../sensors/preprocess/preprocess.js';
import { CausalLm } from './causal-lm.js';
import { fuseAnswer, fuseCaption } from './fusion.js';
import {
  generate,
  resolveGeneration,
  scoreContinuations,
  type FinishReason,
  type GenerationOptions,
  type ResolvedGeneration,
} from './generate.js';
import { kvBytesPerToken, pastNames, type KvCache } from './kv-cache.js';
import { DEFAULT_CAPTION_INSTRUCTION, normaliseInstruction, route, type RoutedPrompt, type VlmTask } from './router.js';
import { loadVlmTokenizer, type VlmTokenizer } from './tokenizer.js';
import { vlmSection, type VlmExpertRecord, type VlmManifest } from '../package/vlm-manifest.js';

export interface VlmRuntimeOptions {
  /** Package directory or an opened package. */
  package: string | ModelPackage;
  /** Inference backend (default: onnxruntime with each session on its own worker thread). */
  backend?: Backend;
  /** Intra-op threads per session (default 1: the experts already run side by side). */
  threads?: number;
  /** Package verification on open (default `full`). */
  verify?: 'full' | 'size' | 'none';
  /** Publish every result through this publisher (the caller closes it). */
  publisher?: ResultPublisher;
  /** Or create a publisher from these options (closed by `close()`). */
  mqtt?: ResultPublisherOptions;
  /** Default generation options of every request. */
  generation?: GenerationOptions;
}

/** One request of {@link VlmRuntime.run}. */
export interface VlmRequest {
  frame: Frame;
  task: VlmTask;
  /** The question (vqa; required). */
  question?: string;
  /** The caption instruction (caption; default "describe this scene ."). */
  instruction?: string;
}

/** What one expert did for a request. */
export interface VlmExpertOutput {
  id: string;
  role: string;
  /** The prompt the Instruction Router gave it. */
  prompt: string;
  text: string;
  tokens: number[];
  finishReason: FinishReason;
  meanLogProb: number;
  /** Decoder calls made for the batch this request was in. */
  steps: number;
}

/** A caption or an answer. Also the `result` of the MQTT result message. */
export interface VlmResult {
  frameId: string;
  timestamp: number | string;
  task: VlmTask;
  /** The normalised question (vqa) or instruction (caption). */
  question?: string;
  instruction?: string;
  /** The fused caption or answer. */
  text: string;
  experts: VlmExpertOutput[];
  fusion: {
    strategy: 'ordered-dedup' | 'majority-vote';
    votes?: Record<string, number>;
    agreeing?: string[];
    contributions?: Record<string, number>;
  };
  model: { name: string; packageHash: string; seededWeights: boolean };
  generation: Omit<ResolvedGeneration, 'onToken' | 'kvCache'>;
  latencyMs: { preprocess: number; vision: number; experts: Record<string, number>; total: number };
  /** Present for seeded reference weights: the text is meaningless. */
  note?: string;
}

export const SEEDED_WEIGHTS_NOTE =
  'seeded reference weights: the pipeline is real but the generated text is meaningless (no trained RS-MoE weights)';

export interface VlmRuntime {
  readonly manifest: VlmManifest;
  readonly name: string;
  readonly packageHash: string;
  /** Experts this runtime runs, in fusion order. */
  readonly experts: readonly string[];
  /** KV-cache bytes per generated token per sequence, summed over the experts. */
  readonly kvBytesPerToken: number;
  /** Describes the frame. */
  caption(frame: Frame, options?: { instruction?: string; generation?: GenerationOptions }): Promise<VlmResult>;
  /** Answers a question about the frame. */
  ask(frame: Frame, question: string, options?: { generation?: GenerationOptions }): Promise<VlmResult>;
  /** Several requests as one batch (one vision call, one batched generation per expert). */
  run(requests: readonly VlmRequest[], options?: { generation?: GenerationOptions }): Promise<VlmResult[]>;
  /**
   * Teacher forcing: the log-probability of each given token, per request and expert, after that
   * expert's routed prompt (e.g. another model's outputs: perplexity of a quantized expert on the
   * unquantized one's text).
   */
  score(
    requests: readonly VlmRequest[],
    continuations: readonly Record<string, readonly number[]>[],
  ): Promise<Record<string, number[]>[]>;
  close(): Promise<void>;
}

interface LoadedExpert {
  record: VlmExpertRecord;
  prefix: BackendSession;
  lm: CausalLm;
}

/**
 * Opens an RS-MoE package and loads its sessions.
 * @throws EdgeError E_PACKAGE_* (package), E_PACKAGE_MANIFEST (not an RS-MoE package), E_BACKEND_INIT,
 *   E_MODEL_OUTPUT (a decoder not in the causal-LM convention), E_INVALID_ARGUMENT (options)
 */
export async function createVlmRuntime(options: VlmRuntimeOptions): Promise<VlmRuntime> {
  if (typeof options !== 'object' || options === null) throw invalidOption('options', 'an object', options);
  rejectUnknownKeys('options', options as unknown as Record<string, unknown>, [
    'package',
    'backend',
    'threads',
    'verify',
    'publisher',
    'mqtt',
    'generation',
  ]);
  resolveGeneration(options.generation, 'options.generation');
  const pkg =
    typeof options.package === 'string'
      ? await openPackage(options.package, { verify: options.verify ?? 'full' })
      : options.package;
  const vlm = vlmSection(pkg.manifest, pkg.path('ringmoe.json'));
  const tok = await loadVlmTokenizer(vlm, (rel) => pkg.path(rel));
  let backend = options.backend;
  if (!backend) {
    backend = new OrtWorkerBackend();
  }
  const sessions: BackendSession[] = [];
  const load = async (entry: string): Promise<BackendSession> => {
    const s = await backend.load({ graphPath: pkg.path(pkg.entry(entry).graph), threads: options.threads ?? 1 });
    sessions.push(s);
    return s;
  };
  let publisher = options.publisher;
  let ownPublisher = false;
  try {
    const vision = await load(vlm.vision.entry);
    const experts: LoadedExpert[] = [];
    for (const e of vlm.experts) {
      if (e.decoder.vocab !== tok.vocabSize)
        throw new EdgeError(
          'E_PACKAGE_MANIFEST',
          `expert ${e.id}: decoder vocabulary ${e.decoder.vocab} differs from the tokenizer's ${tok.vocabSize}`,
          { field: `vlm.experts.${e.id}.decoder.vocab` },
        );
      experts.push({
        record: e,
        prefix: await load(e.prefixEntry),
        lm: new CausalLm(e.id, await load(e.decoderEntry), e.decoder),
      });
    }
    if (!publisher && options.mqtt) {
      publisher = await ResultPublisher.create({
        modelVersion: `${pkg.manifest.name}@${pkg.packageHash.slice(0, 12)}`,
        ...options.mqtt,
      });
      ownPublisher = true;
    }
    return new VlmRuntimeImpl(
      pkg,
      vlm,
      tok,
      vision,
      experts,
      sessions,
      options.generation ?? {},
      publisher,
      ownPublisher,
    );
  } catch (err) {
    await Promise.all(sessions.map((s) => s.dispose()));
    throw err;
  }
}

class VlmRuntimeImpl implements VlmRuntime {
  private closed = false;
  readonly experts: readonly string[];
  readonly kvBytesPerToken: number;
  readonly name: string;
  readonly packageHash: string;

  constructor(
    pkg: ModelPackage,
    readonly manifest: VlmManifest,
    private readonly tok: VlmTokenizer,
    private readonly vision: BackendSession,
    private readonly loaded: LoadedExpert[],
    private readonly sessions: BackendSession[],
    private readonly defaultOptions: GenerationOptions,
    readonly publisher: ResultPublisher | undefined,
    private readonly ownPublisher: boolean,
  ) {
    this.experts = loaded.map((e) => e.record.id);
    this.kvBytesPerToken = loaded.reduce((s, e) => s + kvBytesPerToken(e.record.decoder), 0);
    this.name = pkg.manifest.name;
    this.packageHash = pkg.packageHash;
  }

  caption(frame: Frame, options: { instruction?: string; generation?: GenerationOptions } = {}): Promise<VlmResult> {
    return this.run(
      [{ frame, task: 'caption', ...(options.instruction !== undefined ? { instruction: options.instruction } : {}) }],
      options,
    ).then((r) => r[0]!);
  }

  ask(frame: Frame, question: string, options: { generation?: GenerationOptions } = {}): Promise<VlmResult> {
    return this.run([{ frame, task: 'vqa', question }], options).then((r) => r[0]!);
  }

  async run(requests: readonly VlmRequest[], options: { generation?: GenerationOptions } = {}): Promise<VlmResult[]> {
    const gen = resolveGeneration({ ...this.defaultOptions, ...(options.generation ?? {}) }, 'generation');
    const t0 = performance.now();
    const { texts, visual, routed, t1, t2 } = await this.prepare(requests);
    const expertMs: Record<string, number> = {};
    const outputs = await Promise.all(
      this.loaded.map(async (e, k) => {
        const te = performance.now();
        const prefix = await this.prefixOf(e, visual);
        const prompts = routed.map((p) => [this.tok.bos, ...this.tok.encode(p[k]!.prompt)]);
        const out = await generate(e.lm, this.tok, prompts, prefix, gen);
        expertMs[e.record.id] = performance.now() - te;
        return out;
      }),
    );
    const total = performance.now() - t0;
    const { onToken: _o, kvCache: _k, ...genInfo } = gen;
    const results = requests.map((r, i): VlmResult => {
      const experts: VlmExpertOutput[] = this.loaded.map((e, k) => {
        const g = outputs[k]![i]!;
        return {
          id: e.record.id,
          role: e.record.role,
          prompt: routed[i]![k]!.prompt,
          text: g.text,
          tokens: g.tokens,
          finishReason: g.finishReason,
          meanLogProb: g.logProb / Math.max(1, g.tokens.length),
          steps: g.steps,
        };
      });
      const fused =
        r.task === 'caption'
          ? (() => {
              const f = fuseCaption(experts.map((x) => ({ expert: x.id, text: x.text, meanLogProb: x.meanLogProb })));
              return { text: f.text, fusion: { strategy: 'ordered-dedup' as const, contributions: f.contributions } };
            })()
          : (() => {
              const f = fuseAnswer(experts.map((x) => ({ expert: x.id, text: x.text, meanLogProb: x.meanLogProb })));
              return {
                text: f.text,
                fusion: { strategy: 'majority-vote' as const, votes: f.votes, agreeing: f.agreeing },
              };
            })();
      return {
        frameId: r.frame.id,
        timestamp: r.frame.timestamp,
        task: r.task,
        ...(r.task === 'vqa' ? { question: texts[i]! } : { instruction: texts[i]! }),
        text: fused.text,
        experts,
        fusion: fused.fusion,
        model: { name: this.name, packageHash: this.packageHash, seededWeights: this.manifest.seededWeights },
        generation: genInfo,
        latencyMs: { preprocess: t1 - t0, vision: t2 - t1, experts: expertMs, total },
        ...(this.manifest.seededWeights ? { note: SEEDED_WEIGHTS_NOTE } : {}),
      };
    });
    if (this.publisher)
      for (const r of results)
        await this.publisher.publishResult(r.task, r, { id: vlmResultId(r), frameId: r.frameId });
    return results;
  }

  async score(
    requests: readonly VlmRequest[],
    continuations: readonly Record<string, readonly number[]>[],
  ): Promise<Record<string, number[]>[]> {
    if (!Array.isArray(continuations) || continuations.length !== requests?.length)
      throw invalidOption('continuations', 'one record of expert → token ids per request', continuations);
    const { visual, routed } = await this.prepare(requests);
    const perExpert = await Promise.all(
      this.loaded.map(async (e, k) => {
        const prompts = routed.map((p) => [this.tok.bos, ...this.tok.encode(p[k]!.prompt)]);
        const tokens = continuations.map((c, i) => {
          const xs = c[e.record.id];
          if (!Array.isArray(xs) || xs.some((x) => !Number.isSafeInteger(x) || x < 0 || x >= e.record.decoder.vocab))
            throw invalidOption(`continuations[${i}].${e.record.id}`, 'an array of token ids', xs);
          return xs;
        });
        return scoreContinuations(e.lm, prompts, await this.prefixOf(e, visual), tokens);
      }),
    );
    return requests.map((_, i) => Object.fromEntries(this.loaded.map((e, k) => [e.record.id, perExpert[k]![i]!])));
  }

  /** Validation, preprocessing, the vision graph and the router for a batch of requests. */
  private async prepare(
    requests: readonly VlmRequest[],
  ): Promise<{ texts: string[]; visual: HostTensor; routed: RoutedPrompt[][]; t1: number; t2: number }> {
    if (this.closed) throw new EdgeError('E_CLOSED', 'the VLM runtime was closed');
    if (!Array.isArray(requests) || requests.length === 0 || requests.length > 64)
      throw invalidOption('requests', 'an array of 1 to 64 requests', requests);
    const texts = requests.map((r, i) => {
      if (r.task !== 'caption' && r.task !== 'vqa')
        throw invalidOption(`requests[${i}].task`, '"caption" or "vqa"', r.task);
      if (r.task === 'vqa') return normaliseInstruction(r.question, `requests[${i}].question`);
      return normaliseInstruction(r.instruction ?? DEFAULT_CAPTION_INSTRUCTION, `requests[${i}].instruction`);
    });
    const vis = this.manifest.vision;
    const images = await Promise.all(
      requests.map(async (r, i) => {
        if (r.frame?.modality !== 'optical')
          throw invalidOption(
            `requests[${i}].frame.modality`,
            '"optical" (RS-MoE reads RGB frames)',
            r.frame?.modality,
          );
        const pre = await preprocessFrame(r.frame, { inputSize: vis.inputSize, fit: 'resize' });
        return pre.batches[0]!.data;
      }),
    );
    const B = requests.length;
    const S = vis.inputSize;
    const image = new Float32Array(B * 3 * S * S);
    images.forEach((d, i) => image.set(d, i * 3 * S * S));
    const L = vis.maxInstructionTokens;
    const ids = new BigInt64Array(B * L).fill(BigInt(this.tok.pad));
    const mask = new BigInt64Array(B * L);
    texts.forEach((t, i) => {
      this.tok
        .encode(t)
        .slice(0, L)
        .forEach((id, j) => {
          ids[i * L + j] = BigInt(id);
          mask[i * L + j] = 1n;
        });
    });
    const t1 = performance.now();
    const vout = await this.vision.run(
      {
        image: { dtype: 'float32', shape: [B, 3, S, S], data: image },
        instruction_ids: { dtype: 'int64', shape: [B, L], data: ids },
        instruction_mask: { dtype: 'int64', shape: [B, L], data: mask },
      },
      ['visual_tokens'],
    );
    const visual = vout.visual_tokens;
    if (!visual || visual.shape.join() !== [B, vis.queries, vis.dim].join())
      throw new EdgeError(
        'E_MODEL_OUTPUT',
        `visual_tokens is [${visual?.shape}] but the package declares [${B}, ${vis.queries}, ${vis.dim}]`,
        { field: 'visual_tokens' },
      );
    const t2 = performance.now();
    const routed = requests.map((r, i) =>
      route(
        this.loaded.map((e) => e.record),
        r.task,
        texts[i]!,
      ),
    );
    return { texts, visual, routed, t1, t2 };
  }

  /** An expert's initial cache: its prefix projector on (a copy of) the visual tokens. */
  private async prefixOf(e: LoadedExpert, visual: HostTensor): Promise<KvCache> {
    const B = visual.shape[0]!;
    const copy: HostTensor = {
      dtype: 'float32',
      shape: [...visual.shape],
      data: (visual.data as Float32Array).slice(),
    };
    const pk = await e.prefix.run({ visual_tokens: copy });
    const tensors: Record<string, HostTensor> = {};
    for (const n of pastNames(e.record.decoder)) {
      const t = pk[n];
      if (!t || t.shape[0] !== B || t.shape.length !== 4)
        throw new EdgeError(
          'E_MODEL_OUTPUT',
          `expert ${e.record.id}: prefix output ${n} is missing or not [${B}, heads, Q, headDim]`,
          { field: n },
        );
      tensors[n] = t;
    }
    return { batch: B, length: tensors[pastNames(e.record.decoder)[0]!]!.shape[2]!, tensors };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.sessions.map((s) => s.dispose()));
    if (this.ownPublisher) await this.publisher?.close({ deadlineMs: 5000 });
  }
}

/**
 * The result id of a VLM result: like every runtime result, derived from the frame (so a frame
 * processed again yields the same id), plus a hash of the question so two questions about one
 * frame are two results.
 */
export function vlmResultId(r: Pick<VlmResult, 'frameId' | 'timestamp' | 'task' | 'question' | 'instruction'>): string {
  const text = r.question ?? r.instruction ?? '';
  return resultId(r.frameId, r.timestamp, `${r.task}:${createHash('sha256').update(text).digest('hex').slice(0, 12)}`);
}
