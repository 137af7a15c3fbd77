/**
 * Autoregressive generation on a causal-LM expert with a KV cache: greedy, beam search and nucleus
 * (top-p) sampling; a token budget, stop sequences, a seed and a per-token streaming callback.
 *
 * Sequences start from a prefix cache (the visual prefix; empty for text-only use) and a prompt of
 * token ids. Prompts of a batch are left-padded: padding has attention mask 0, and the text
 * positions of each row count from 0 at its first real token, so a row's tokens are the same
 * whether it runs alone or in a batch. With `kvCache: false` every step recomputes the whole
 * sequence instead of feeding one token against the cache (a check, not a mode for production).
 */
import { EdgeError } from '../core/errors.js';
import { expectInteger, expectNumber, expectOneOf, invalidOption } from '../core/validate.js';
import { logitsAt, type CausalLm, type StepOutput } from './causal-lm.js';
import { cloneCache, selectRows, type KvCache } from './kv-cache.js';
import { argmax, logSoftmax, sampleTopP, SeededRandom } from './sampling.js';
import type { VlmTokenizer } from './tokenizer.js';

export type GenerationStrategy = 'greedy' | 'beam' | 'top-p';
export type FinishReason = 'eos' | 'stop' | 'max-tokens' | 'max-positions';

/** One generated token, as it is chosen (beam search reports the best beam's tokens once it is done). */
export interface TokenEvent {
  expert: string;
  /** Request index within the call. */
  row: number;
  token: number;
  /** Decoded text of the row so far. */
  text: string;
}

export interface GenerationOptions {
  /** Default `greedy`. */
  strategy?: GenerationStrategy;
  /** Most new tokens per sequence (default 16, 1..512). */
  maxTokens?: number;
  /** Beam search width (default 3, 2..8). */
  beams?: number;
  /** Nucleus mass for top-p (default 0.9, 0 < p ≤ 1). */
  topP?: number;
  /** Softmax temperature for top-p (default 1, > 0). */
  temperature?: number;
  /** Seed of top-p sampling (default 0); request r of a call samples from stream r. */
  seed?: number;
  /** Generation ends where the text first contains one of these (the stop text is cut off). */
  stop?: string[];
  /** Called with every token as it is chosen. */
  onToken?: (event: TokenEvent) => void;
  /** false: recompute the full sequence at every step instead of using the KV cache (default true). */
  kvCache?: boolean;
}

export interface ResolvedGeneration {
  strategy: GenerationStrategy;
  maxTokens: number;
  beams: number;
  topP: number;
  temperature: number;
  seed: number;
  stop: string[];
  kvCache: boolean;
  onToken?: (event: TokenEvent) => void;
}

/** One sequence's result. */
export interface Generated {
  tokens: number[];
  text: string;
  finishReason: FinishReason;
  /** Sum of the chosen tokens' log-probabilities (temperature 1). */
  logProb: number;
  /** Decoder calls made. */
  steps: number;
}

/**
 * Checks and completes generation options.
 * @throws EdgeError E_INVALID_ARGUMENT naming the option
 */
export function resolveGeneration(o: GenerationOptions = {}, field = 'generation'): ResolvedGeneration {
  if (typeof o !== 'object' || o === null) throw invalidOption(field, 'an object', o);
  const stop = o.stop ?? [];
  if (
    !Array.isArray(stop) ||
    stop.some((s) => typeof s !== 'string' || s.length === 0 || s.length > 64) ||
    stop.length > 16
  )
    throw invalidOption(`${field}.stop`, 'at most 16 non-empty strings of up to 64 characters', o.stop);
  if (o.onToken !== undefined && typeof o.onToken !== 'function')
    throw invalidOption(`${field}.onToken`, 'a function', o.onToken);
  const topP = expectNumber(`${field}.topP`, o.topP ?? 0.9, 0, 1);
  if (topP === 0) throw invalidOption(`${field}.topP`, 'a number above 0 and at most 1', topP);
  const temperature = expectNumber(`${field}.temperature`, o.temperature ?? 1, 0.01, 100);
  return {
    strategy: expectOneOf(`${field}.strategy`, o.strategy ?? 'greedy', ['greedy', 'beam', 'top-p'] as const),
    maxTokens: expectInteger(`${field}.maxTokens`, o.maxTokens ?? 16, 1, 512),
    beams: expectInteger(`${field}.beams`, o.beams ?? 3, 2, 8),
    topP,
    temperature,
    seed: expectInteger(`${field}.seed`, o.seed ?? 0, 0, 2 ** 31 - 1),
    stop,
    kvCache: o.kvCache ?? true,
    ...(o.onToken ? { onToken: o.onToken } : {}),
  };
}

/** Text of `tokens` and whether a stop sequence ended it (cut before the stop text). */
function textOf(
  tok: VlmTokenizer,
  tokens: readonly number[],
  stop: readonly string[],
): { text: string; stopped: boolean } {
  const text = tok.decode(tokens);
  let cut = -1;
  for (const s of stop) {
    const i = text.indexOf(s);
    if (i >= 0 && (cut < 0 || i < cut)) cut = i;
  }
  return cut < 0 ? { text, stopped: false } : { text: text.slice(0, cut).trimEnd(), stopped: true };
}

/** Left-padded prompt rows: ids, text mask and text positions. */
function padPrompts(
  prompts: readonly number[][],
  pad: number,
): { ids: number[][]; mask: number[][]; positions: number[][] } {
  const L = Math.max(...prompts.map((p) => p.length));
  const ids = prompts.map((p) => [...new Array<number>(L - p.length).fill(pad), ...p]);
  const mask = prompts.map((p) => [...new Array<number>(L - p.length).fill(0), ...new Array<number>(p.length).fill(1)]);
  const positions = prompts.map((p) => Array.from({ length: L }, (_, j) => Math.max(0, j - (L - p.length))));
  return { ids, mask, positions };
}

/**
 * Generates one continuation per prompt.
 * @param lm the expert decoder
 * @param prompts token ids per request (each non-empty; usually BOS + the routed prompt)
 * @param prefix the cache every sequence starts from, one row per request (consumed)
 * @throws EdgeError E_INVALID_ARGUMENT (options, empty prompts, prompt longer than the decoder's
 *   positions), E_INFERENCE, E_MODEL_OUTPUT
 */
export async function generate(
  lm: CausalLm,
  tok: VlmTokenizer,
  prompts: readonly number[][],
  prefix: KvCache,
  options: ResolvedGeneration,
): Promise<Generated[]> {
  if (prompts.length === 0 || prompts.length !== prefix.batch)
    throw new EdgeError('E_INVALID_ARGUMENT', `${prompts.length} prompt(s) for a prefix of ${prefix.batch} row(s)`, {
      field: 'prompts',
    });
  const longest = Math.max(...prompts.map((p) => p.length));
  if (prompts.some((p) => p.length === 0))
    throw new EdgeError('E_INVALID_ARGUMENT', 'a prompt has no tokens', { field: 'prompts' });
  if (longest >= lm.spec.maxPositions)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `a prompt of ${longest} tokens leaves no room in the decoder's ${lm.spec.maxPositions} positions`,
      { field: 'prompts', hint: 'shorten the question' },
    );
  if (options.strategy === 'beam') {
    const out: Generated[] = [];
    for (const [r, p] of prompts.entries())
      out.push(await beamSearch(lm, tok, p, selectRows(prefix, new Array<number>(options.beams).fill(r)), r, options));
    return out;
  }
  return sampleBatch(lm, tok, prompts, prefix, options);
}

async function sampleBatch(
  lm: CausalLm,
  tok: VlmTokenizer,
  prompts: readonly number[][],
  prefix: KvCache,
  o: ResolvedGeneration,
): Promise<Generated[]> {
  const V = lm.spec.vocab;
  const B = prompts.length;
  const P = prefix.length;
  const start = padPrompts(prompts, tok.pad);
  const rngs = prompts.map((_, r) => new SeededRandom(o.seed, r));
  const rows = prompts.map(() => ({
    tokens: [] as number[],
    text: '',
    logProb: 0,
    done: undefined as FinishReason | undefined,
  }));
  const base = o.kvCache ? undefined : cloneCache(prefix);
  let steps = 1;
  let out: StepOutput = await lm.step(
    start.ids,
    start.mask.map((m) => [...new Array<number>(P).fill(1), ...m]),
    start.positions,
    prefix,
  );
  let lastPos = start.positions.map((p) => p[p.length - 1]!);
  let fed = 0; // tokens fed after the prompt
  for (let t = 0; t < o.maxTokens; t++) {
    const next: number[] = [];
    for (let r = 0; r < B; r++) {
      const row = rows[r]!;
      if (row.done) {
        next.push(tok.pad);
        continue;
      }
      const logits = logitsAt(out, V, r, out.sequence - 1);
      const id = o.strategy === 'top-p' ? sampleTopP(logits, o.topP, o.temperature, rngs[r]!) : argmax(logits);
      next.push(id);
      if (id === tok.eos) {
        row.done = 'eos';
        continue;
      }
      row.logProb += logSoftmax(logits)[id]!;
      row.tokens.push(id);
      const { text, stopped } = textOf(tok, row.tokens, o.stop);
      row.text = text;
      o.onToken?.({ expert: lm.id, row: r, token: id, text });
      if (stopped) row.done = 'stop';
      else if (lastPos[r]! + 1 >= lm.spec.maxPositions) row.done = 'max-positions';
    }
    if (rows.every((x) => x.done)) break;
    if (t === o.maxTokens - 1) break;
    fed++;
    lastPos = lastPos.map((p, r) => (rows[r]!.done ? p : p + 1));
    steps++;
    if (o.kvCache) {
      out = await lm.step(
        next.map((x) => [x]),
        start.mask.map((m) => [...new Array<number>(P).fill(1), ...m, ...new Array<number>(fed).fill(1)]),
        lastPos.map((p) => [p]),
        out.cache,
      );
    } else {
      // Full recomputation: prompt + every token so far, from the untouched prefix.
      const gen = rows.map((row) => row.tokens.concat(row.done === 'eos' ? [tok.eos] : []));
      const ids = start.ids.map((p, r) => [...p, ...padTo(gen[r]!, fed, tok.pad)]);
      const positions = start.positions.map((p, r) => [
        ...p,
        ...Array.from({ length: fed }, (_, j) => Math.min(p[p.length - 1]! + 1 + j, lastPos[r]!)),
      ]);
      out = await lm.step(
        ids,
        start.mask.map((m) => [...new Array<number>(P).fill(1), ...m, ...new Array<number>(fed).fill(1)]),
        positions,
        cloneCache(base!),
      );
    }
  }
  return rows.map((row) => ({
    tokens: row.tokens,
    text: row.text,
    finishReason: row.done ?? 'max-tokens',
    logProb: row.logProb,
    steps,
  }));
}

/** `xs` cut or padded with `pad` to exactly `n` items. */
function padTo(xs: readonly number[], n: number, pad: number): number[] {
  return xs.length >= n ? xs.slice(0, n) : [...xs, ...new Array<number>(n - xs.length).fill(pad)];
}

interface Beam {
  tokens: number[];
  score: number;
  parent: number;
}

/** Length-normalised beam score. */
const normalised = (b: { tokens: number[]; score: number }) => b.score / Math.max(1, b.tokens.length);

async function beamSearch(
  lm: CausalLm,
  tok: VlmTokenizer,
  prompt: readonly number[],
  cache: KvCache,
  row: number,
  o: ResolvedGeneration,
): Promise<Generated> {
  const V = lm.spec.vocab;
  const K = o.beams;
  const P = cache.length;
  const mask = [...new Array<number>(P + prompt.length).fill(1)];
  const positions = prompt.map((_, j) => j);
  let steps = 1;
  let out = await lm.step(
    new Array(K).fill(0).map(() => [...prompt]),
    new Array(K).fill(0).map(() => mask),
    new Array(K).fill(0).map(() => positions),
    cache,
  );
  let alive: Beam[] = [{ tokens: [], score: 0, parent: 0 }];
  const finished: (Beam & { reason: FinishReason; text: string })[] = [];
  let pos = prompt.length - 1;
  let fed = 0;
  for (let t = 0; t < o.maxTokens; t++) {
    const candidates: Beam[] = [];
    alive.forEach((b, i) => {
      const lp = logSoftmax(logitsAt(out, V, i, out.sequence - 1));
      const top = Array.from(lp.keys())
        .sort((a, c) => lp[c]! - lp[a]! || a - c)
        .slice(0, 2 * K);
      for (const id of top) candidates.push({ tokens: [...b.tokens, id], score: b.score + lp[id]!, parent: i });
    });
    candidates.sort((a, b) => b.score - a.score);
    const next: Beam[] = [];
    for (const c of candidates) {
      if (next.length >= K) break;
      const last = c.tokens[c.tokens.length - 1]!;
      if (last === tok.eos) {
        const tokens = c.tokens.slice(0, -1);
        finished.push({ ...c, tokens, reason: 'eos', text: textOf(tok, tokens, o.stop).text });
        continue;
      }
      const { text, stopped } = textOf(tok, c.tokens, o.stop);
      if (stopped) finished.push({ ...c, reason: 'stop', text });
      else if (pos + 1 >= lm.spec.maxPositions) finished.push({ ...c, reason: 'max-positions', text });
      else next.push(c);
    }
    alive = next;
    if (finished.length >= K || alive.length === 0) break;
    if (t === o.maxTokens - 1) {
      for (const b of alive) finished.push({ ...b, reason: 'max-tokens', text: textOf(tok, b.tokens, o.stop).text });
      break;
    }
    fed++;
    pos++;
    steps++;
    const parents = alive.map((b) => b.parent);
    const grown = [...mask, ...new Array<number>(fed).fill(1)];
    out = await lm.step(
      alive.map((b) => [b.tokens[b.tokens.length - 1]!]),
      alive.map(() => grown),
      alive.map(() => [pos]),
      selectRows(out.cache, parents),
    );
    alive = alive.map((b, i) => ({ ...b, parent: i }));
  }
  const best = [...finished].sort((a, b) => normalised(b) - normalised(a))[0]!;
  for (const [i, id] of best.tokens.entries())
    o.onToken?.({ expert: lm.id, row, token: id, text: tok.decode(best.tokens.slice(0, i + 1)) });
  return { tokens: best.tokens, text: best.text, finishReason: best.reason, logProb: best.score, steps };
}

/**
 * Teacher forcing: log-probabilities (temperature 1) of `continuations[r]` after `prompts[r]`, each
 * request in one decoder call from its row of `prefix` (which is not consumed).
 * @throws EdgeError E_INVALID_ARGUMENT when a prompt + continuation exceeds the decoder's positions
 */
export async function scoreContinuations(
  lm: CausalLm,
  prompts: readonly number[][],
  prefix: KvCache,
  continuations: readonly (readonly number[])[],
): Promise<number[][]> {
  const out: number[][] = [];
  for (const [r, prompt] of prompts.entries()) {
    const tokens = continuations[r] ?? [];
    const seq = [...prompt, ...tokens];
    if (seq.length > lm.spec.maxPositions)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `prompt + continuation of ${seq.length} tokens exceed the decoder's ${lm.spec.maxPositions} positions`,
        { field: 'continuations' },
      );
    const step = await lm.step(
      [seq],
      [new Array<number>(prefix.length + seq.length).fill(1)],
      [seq.map((_, j) => j)],
      selectRows(prefix, [r]),
    );
    out.push(tokens.map((id, j) => logSoftmax(logitsAt(step, lm.spec.vocab, 0, prompt.length - 1 + j))[id]!));
  }
  return out;
}
