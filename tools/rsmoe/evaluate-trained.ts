/**
 * Scores an RS-MoE runtime on held-out Statlog scenes through the SDK (`VlmRuntime.run`): BLEU-4
 * and CIDEr-D of the fused captions, VQA exact-match accuracy of the fused answers (overall and per
 * question type), each against the template baseline (the most frequent training caption; the most
 * frequent training answer per question type), the exact-match rate of each expert's own part, and
 * latency: time to first token and generated tokens per second of single requests (medians).
 * Given the training recipe's greedy PyTorch outputs (`pytorch-heldout.json`), it also reports how
 * many of the SDK's expert texts equal PyTorch's (the same greedy decoding, so they should all).
 */
import { readFile } from 'node:fs/promises';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import type { Frame } from '../../sdk/internal.js';
import type { VlmRequest, VlmResult, VlmRuntime } from '../../sdk/internal.js';
import { bleu4, captionWords, ciderD, exactMatch } from './caption-metrics.js';
import { renderScene, type HeldOutSet, type StatlogTable } from './statlog-scenes.js';

/** The recipe's `pytorch-heldout.json`: every expert's greedy text per held-out scene and sample. */
export interface PytorchOutputs {
  scenes: { caption: Record<string, string>; vqa: { question: string; experts: Record<string, string> }[] }[];
}

/**
 * Reads and checks `pytorch-heldout.json`.
 * @throws EdgeError E_IO, E_DATASET naming the scene
 */
export async function loadPytorchOutputs(file: string): Promise<PytorchOutputs> {
  let v: PytorchOutputs;
  try {
    v = JSON.parse(await readFile(file, 'utf8')) as PytorchOutputs;
  } catch (err) {
    throw new EdgeError(
      err instanceof SyntaxError ? 'E_DATASET' : 'E_IO',
      `cannot read the PyTorch outputs: ${messageOf(err)}`,
      { file, cause: err },
    );
  }
  if (!Array.isArray(v?.scenes) || v.scenes.length === 0)
    throw new EdgeError('E_DATASET', 'the PyTorch outputs need a non-empty scenes array', { file, field: 'scenes' });
  v.scenes.forEach((s, i) => {
    if (
      typeof s?.caption !== 'object' ||
      s.caption === null ||
      !Array.isArray(s.vqa) ||
      s.vqa.some((q) => typeof q?.question !== 'string' || typeof q.experts !== 'object' || q.experts === null)
    ) {
      throw new EdgeError('E_DATASET', `scene ${i} needs caption (expert → text) and vqa [{question, experts}]`, {
        file,
        field: `scenes[${i}]`,
      });
    }
  });
  return v;
}

export interface RsMoeEvalOptions {
  /** The recipe's PyTorch outputs on the first held-out scenes, to compare with. */
  pytorch?: PytorchOutputs;
  runtime: VlmRuntime;
  heldOut: HeldOutSet;
  table: StatlogTable;
  /** Score the first `limit` scenes (default all). */
  limit?: number;
  /** Requests per `run` call (default 32). */
  batch?: number;
  /** Most new tokens per expert (default 24). */
  maxTokens?: number;
  /** Single caption requests timed for latency (default 20; 0 = none). */
  timedRequests?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface RsMoeEvalReport {
  scenes: number;
  caption: {
    model: { bleu4: number; ciderD: number; precisions: number[]; brevityPenalty: number };
    baseline: { caption: string; bleu4: number; ciderD: number };
    /** Share of scenes where the expert's text equals its reference part (normalised words). */
    expertPartExact: Record<string, number>;
  };
  vqa: {
    questions: number;
    model: { accuracy: number; byType: Record<string, { questions: number; accuracy: number }> };
    baseline: { accuracy: number; byType: Record<string, { answer: string; accuracy: number }> };
    /** Accuracy of each expert's own first sentence (before the vote). */
    perExpert: Record<string, number>;
  };
  /** SDK expert texts equal to PyTorch's greedy texts (normalised words), over the scenes both have. */
  pytorchAgreement?: {
    scenes: number;
    expertTexts: number;
    equal: number;
    rate: number;
    firstMismatch?: { scene: number; expert: string; task: string; question?: string; sdk: string; pytorch: string };
  };
  timing?: {
    requests: number;
    medianTtftMs: number;
    medianTokensPerSecond: number;
    medianLatencyMs: number;
    medianTokens: number;
  };
  examples: { scene: number; reference: string; caption: string; question: string; answer: string; expected: string }[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Runs the evaluation.
 * @throws EdgeError E_INVALID_ARGUMENT (limit, batch), E_DATASET (a scene the table cannot render),
 *   and the runtime's errors
 */
export async function evaluateRsMoe(o: RsMoeEvalOptions): Promise<RsMoeEvalReport> {
  const limit = o.limit ?? o.heldOut.scenes.length;
  const batch = o.batch ?? 32;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new EdgeError('E_INVALID_ARGUMENT', 'limit must be a positive integer', { field: 'limit' });
  if (!Number.isSafeInteger(batch) || batch < 1 || batch > 64)
    throw new EdgeError('E_INVALID_ARGUMENT', 'batch must be 1..64', { field: 'batch' });
  const scenes = o.heldOut.scenes.slice(0, limit);
  const frames: Frame[] = scenes.map((s, i) => ({
    id: `heldout-${i}`,
    modality: 'optical',
    timestamp: 0,
    pixels: renderScene(o.table, s.rows),
  }));
  const requests: { scene: number; req: VlmRequest; answer?: string; type?: string }[] = [];
  scenes.forEach((s, i) => {
    requests.push({ scene: i, req: { frame: frames[i]!, task: 'caption' } });
    for (const q of s.qa)
      requests.push({
        scene: i,
        req: { frame: frames[i]!, task: 'vqa', question: q.question },
        answer: q.answer,
        type: q.type,
      });
  });
  const generation = { maxTokens: o.maxTokens ?? 24 };
  const results: VlmResult[] = [];
  for (let at = 0; at < requests.length; at += batch) {
    results.push(
      ...(await o.runtime.run(
        requests.slice(at, at + batch).map((r) => r.req),
        { generation },
      )),
    );
    o.onProgress?.(Math.min(requests.length, at + batch), requests.length);
  }

  const captions = requests.map((r, k) => ({ r, res: results[k]! })).filter((x) => x.r.req.task === 'caption');
  const items = captions.map((x) => ({ candidate: x.res.text, references: [scenes[x.r.scene]!.caption] }));
  const b = bleu4(items);
  const c = ciderD(items);
  const baseItems = items.map((it) => ({ candidate: o.heldOut.baseline.caption, references: it.references }));
  const roles = o.runtime.experts;
  const same = (a: string, b2: string) => captionWords(a).join(' ') === captionWords(b2).join(' ');
  const expertPartExact = Object.fromEntries(
    roles.map((id) => [
      id,
      captions.filter((x) =>
        same(
          x.res.experts.find((e) => e.id === id)?.text ?? '',
          scenes[x.r.scene]!.parts[x.res.experts.find((e) => e.id === id)?.role ?? id] ?? '',
        ),
      ).length / captions.length,
    ]),
  );

  const vqa = requests.map((r, k) => ({ r, res: results[k]! })).filter((x) => x.r.req.task === 'vqa');
  const types = [...new Set(vqa.map((x) => x.r.type!))].sort();
  const byType = Object.fromEntries(
    types.map((t) => {
      const xs = vqa.filter((x) => x.r.type === t);
      return [
        t,
        { questions: xs.length, accuracy: exactMatch(xs.map((x) => ({ answer: x.res.text, reference: x.r.answer! }))) },
      ];
    }),
  );
  const baseByType = Object.fromEntries(
    types.map((t) => {
      const answer = o.heldOut.baseline.answers[t] ?? '';
      const xs = vqa.filter((x) => x.r.type === t);
      return [t, { answer, accuracy: exactMatch(xs.map((x) => ({ answer, reference: x.r.answer! }))) }];
    }),
  );
  const perExpert = Object.fromEntries(
    roles.map((id) => [
      id,
      exactMatch(
        vqa.map((x) => ({
          answer: (x.res.experts.find((e) => e.id === id)?.text ?? '').split(/[.!?]/)[0]!,
          reference: x.r.answer!,
        })),
      ),
    ]),
  );

  let pytorchAgreement: RsMoeEvalReport['pytorchAgreement'];
  if (o.pytorch) {
    const n = Math.min(o.pytorch.scenes.length, scenes.length);
    let total = 0;
    let equal = 0;
    let firstMismatch: NonNullable<RsMoeEvalReport['pytorchAgreement']>['firstMismatch'];
    requests.forEach((r, k) => {
      if (r.scene >= n) return;
      const ps = o.pytorch!.scenes[r.scene]!;
      const qi = r.req.task === 'vqa' ? scenes[r.scene]!.qa.findIndex((q) => q.question === r.req.question) : -1;
      const want = r.req.task === 'caption' ? ps.caption : ps.vqa[qi]?.experts;
      if (r.req.task === 'vqa' && ps.vqa[qi]?.question !== r.req.question)
        throw new EdgeError(
          'E_DATASET',
          `PyTorch outputs of scene ${r.scene} do not hold the question ${JSON.stringify(r.req.question)}`,
          { field: `scenes[${r.scene}].vqa` },
        );
      for (const e of results[k]!.experts) {
        const p = want?.[e.id];
        if (p === undefined)
          throw new EdgeError('E_DATASET', `PyTorch outputs of scene ${r.scene} have no text of expert ${e.id}`, {
            field: `scenes[${r.scene}]`,
          });
        total++;
        if (same(e.text, p)) equal++;
        else
          firstMismatch ??= {
            scene: r.scene,
            expert: e.id,
            task: r.req.task,
            ...(r.req.question !== undefined ? { question: r.req.question } : {}),
            sdk: e.text,
            pytorch: p,
          };
      }
    });
    pytorchAgreement = {
      scenes: n,
      expertTexts: total,
      equal,
      rate: total ? equal / total : NaN,
      ...(firstMismatch ? { firstMismatch } : {}),
    };
  }

  let timing: RsMoeEvalReport['timing'];
  const timed = Math.min(o.timedRequests ?? 20, frames.length);
  if (timed > 0) {
    const ttft: number[] = [];
    const tps: number[] = [];
    const lat: number[] = [];
    const toks: number[] = [];
    for (let i = 0; i < timed; i++) {
      let first = NaN;
      const t0 = performance.now();
      const r = await o.runtime.caption(frames[i]!, {
        generation: { ...generation, onToken: () => void (Number.isNaN(first) && (first = performance.now() - t0)) },
      });
      const ms = performance.now() - t0;
      const n = r.experts.reduce((s, e) => s + e.tokens.length, 0);
      ttft.push(first);
      lat.push(ms);
      toks.push(n);
      tps.push(n / (ms / 1000));
    }
    timing = {
      requests: timed,
      medianTtftMs: median(ttft),
      medianTokensPerSecond: median(tps),
      medianLatencyMs: median(lat),
      medianTokens: median(toks),
    };
  }

  const examples = scenes.slice(0, 3).map((s, i) => {
    const cap = captions.find((x) => x.r.scene === i)!;
    const q = vqa.find((x) => x.r.scene === i)!;
    return {
      scene: i,
      reference: s.caption,
      caption: cap.res.text,
      question: q.r.req.question!,
      answer: q.res.text,
      expected: q.r.answer!,
    };
  });
  return {
    scenes: scenes.length,
    caption: {
      model: { bleu4: b.bleu4, ciderD: c.cider, precisions: b.precisions, brevityPenalty: b.brevityPenalty },
      baseline: { caption: o.heldOut.baseline.caption, bleu4: bleu4(baseItems).bleu4, ciderD: ciderD(baseItems).cider },
      expertPartExact,
    },
    vqa: {
      questions: vqa.length,
      model: { accuracy: exactMatch(vqa.map((x) => ({ answer: x.res.text, reference: x.r.answer! }))), byType },
      baseline: {
        accuracy: exactMatch(
          vqa.map((x) => ({ answer: o.heldOut.baseline.answers[x.r.type!] ?? '', reference: x.r.answer! })),
        ),
        byType: baseByType,
      },
      perExpert,
    },
    ...(pytorchAgreement ? { pytorchAgreement } : {}),
    ...(timing ? { timing } : {}),
    examples,
  };
}
