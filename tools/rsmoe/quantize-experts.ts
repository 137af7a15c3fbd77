/**
 * Weight-only 4-bit / 8-bit quantization of an RS-MoE package's expert decoders for onnxruntime on
 * the CPU: every MatMul of a decoder whose weight is a 2-D float initializer becomes onnxruntime's
 * block-wise `MatMulNBits` (com.microsoft), everything else (embeddings, norms, biases, the visual
 * prefix projectors, the vision graph) stays float32. Activations stay float: no calibration.
 *
 * The quantized package is checked against its source on real frames: both runtimes caption and
 * answer the same requests with greedy decoding, and the report gives per expert the token
 * agreement (equal tokens at equal positions over the longer output), the share of identical
 * outputs, the mean log-probability each model gave its own tokens, and the perplexity of the
 * unquantized expert's outputs under each model (teacher forcing). It is written to
 * `reports/quantization.json` inside the package.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';
import {
  PACKAGE_FORMAT,
  PACKAGE_FORMAT_VERSION,
  type EntryManifest,
  type PackageManifest,
} from '../../sdk/internal.js';
import { VERSION } from '../../sdk/internal.js';
import { openPackage, type ModelPackage } from '../../sdk/internal.js';
import type { Backend } from '../../sdk/internal.js';
import type { Frame } from '../../sdk/internal.js';
import type { VlmRequest, VlmResult } from '../../sdk/internal.js';
import { vlmSection, type VlmManifest } from '../../sdk/internal.js';
import { attr } from '../onnx/builder.js';
import { removeUnusedInitializers } from '../onnx/graph.js';
import { readModel } from '../onnx/model-io.js';
import { create, DataType, OperatorSetIdProtoSchema, type AttributeProto, type ModelProto } from '../onnx/proto.js';
import { ExternalDataReader, asTypedArray, externalInfo } from '../onnx/tensor-data.js';
import { hashPackageFiles, PackageWriter } from '../package/package-writer.js';
import { quantizeNBits } from './matmul-nbits.js';

export interface QuantizeExpertsOptions {
  dir: string;
  outDir: string;
  bits: 4 | 8;
  /** Rows per quantization block (power of two ≥ 16; default 32). */
  blockSize?: number;
  /** Frames for the fidelity check (optical). Each is captioned and asked every question. */
  frames: Frame[];
  /** Questions of the fidelity check (default: two harbour / land-use questions). */
  questions?: string[];
  /** New tokens per expert in the fidelity check (default 16). */
  maxTokens?: number;
  force?: boolean;
  name?: string;
  /** Backend of the fidelity runs (default onnxruntime on the calling thread). */
  backend?: Backend;
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface ExpertFidelity {
  expert: string;
  /** Equal tokens at equal positions / tokens of the longer output, over all requests. */
  tokenAgreement: number;
  /** Requests whose token sequence is identical. */
  identical: number;
  requests: number;
  /** Mean log-probability per token each model gave its own greedy output. */
  meanLogProb: { source: number; quantized: number };
  /** Perplexity of the unquantized expert's greedy outputs under each model (teacher forcing). */
  perplexity: { source: number; quantized: number };
  /** MatMuls quantized and bytes of their weights before → after. */
  matmuls: number;
  weightBytes: { before: number; after: number };
}

export interface QuantizationReport {
  method: 'MatMulNBits';
  bits: 4 | 8;
  blockSize: number;
  source: { name: string; packageHash: string };
  frames: string[];
  questions: string[];
  maxTokens: number;
  experts: ExpertFidelity[];
  note?: string;
}

const DEFAULT_QUESTIONS = ['how many ships are in the harbour?', 'what is the main land use in this scene?'];

/**
 * Writes the quantized package and its fidelity report.
 * @throws EdgeError E_QUANTIZE (bits, block size), E_INVALID_ARGUMENT (no frames), E_OUTPUT_EXISTS,
 *   E_PACKAGE_* of the source, E_EXTERNAL_DATA
 */
export async function quantizeExperts(
  o: QuantizeExpertsOptions,
): Promise<{ manifest: PackageManifest; report: QuantizationReport }> {
  const blockSize = o.blockSize ?? 32;
  if (o.bits !== 4 && o.bits !== 8)
    throw new EdgeError('E_QUANTIZE', `weight-only quantization of experts takes 4 or 8 bits, not ${String(o.bits)}`, {
      field: '--bits',
    });
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0)
    throw new EdgeError('E_QUANTIZE', `block size must be a power of two ≥ 16, got ${blockSize}`, {
      field: '--block-size',
    });
  if (!Array.isArray(o.frames) || o.frames.length === 0)
    throw new EdgeError('E_INVALID_ARGUMENT', 'the fidelity check needs at least one frame', {
      field: '--eval-frames',
    });
  const src = await openPackage(o.dir);
  const m = src.manifest;
  const vlm = vlmSection(m);
  if (vlm.experts.some((e) => e.quantization))
    throw new EdgeError('E_QUANTIZE', `package ${m.name} already has quantized experts`, { field: 'vlm.experts' });
  const writer = await PackageWriter.create(o.outDir, o.force !== undefined ? { force: o.force } : {});
  try {
    const expertEntries = new Set(vlm.experts.flatMap((e) => [e.prefixEntry, e.decoderEntry]));
    const expertFiles = new Set(
      m.entries.filter((e) => expertEntries.has(e.name)).flatMap((e) => [e.graph, ...e.weightFiles]),
    );
    for (const f of Object.keys(m.files)) {
      if (expertFiles.has(f) || f.startsWith('reports/')) continue;
      await mkdir(dirname(join(o.outDir, f)), { recursive: true });
      await copyFile(src.path(f), join(o.outDir, f));
      writer.setRole(f, m.files[f]!.role);
    }
    const reader = new ExternalDataReader(src.dir);
    const entries: EntryManifest[] = [];
    const stats = new Map<string, { matmuls: number; before: number; after: number }>();
    try {
      const total = vlm.experts.length;
      for (const [i, x] of vlm.experts.entries()) {
        const s = { matmuls: 0, before: 0, after: 0 };
        for (const entryName of [x.prefixEntry, x.decoderEntry]) {
          const entry = src.entry(entryName);
          const file =
            entryName === x.decoderEntry
              ? `weights/expert.${x.id}.q${o.bits}.bin`
              : `weights/expert.${x.id}.prefix.bin`;
          const model = await readModel(src.path(entry.graph));
          await rewriteGraph(
            model.proto,
            reader,
            writer,
            file,
            entryName === x.decoderEntry ? { bits: o.bits, blockSize, stats: s } : undefined,
          );
          await writer.writeGraph(entry.graph, model.proto);
          entries.push({ ...entry, weightFiles: [file] });
        }
        stats.set(x.id, s);
        o.onProgress?.(i + 1, total + 1, `expert ${x.id}`);
      }
    } finally {
      await reader.close();
    }
    const byName = new Map(entries.map((e) => [e.name, e]));
    const quantVlm: VlmManifest = {
      ...vlm,
      experts: vlm.experts.map((e) => ({ ...e, quantization: { bits: o.bits, blockSize } })),
    };
    const draft = {
      name: o.name ?? `${m.name}-q${o.bits}`,
      kind: m.kind,
      model: { ...m.model, precision: 'mixed' as const },
      modalities: m.modalities,
      entries: m.entries.map((e) => byName.get(e.name) ?? e),
      vlm: quantVlm,
      lineage: [
        ...m.lineage,
        {
          step: 'quantize',
          sourcePackage: src.packageHash,
          sourceName: m.name,
          params: { method: 'MatMulNBits', bits: o.bits, blockSize, scope: 'expert decoder MatMul weights' },
          tool: `ringmoe-edge ${VERSION}`,
        },
      ],
      ...(m.extensions ? { extensions: m.extensions } : {}),
    };
    // The fidelity check runs on the package as written so far (its files hashed, not yet finalised).
    writer.weights.close();
    const pending: ModelPackage = {
      dir: o.outDir,
      manifest: {
        format: PACKAGE_FORMAT,
        formatVersion: PACKAGE_FORMAT_VERSION,
        ...draft,
        files: await hashPackageFiles(o.outDir),
      },
      packageHash: 'pending',
      entry: (name) => draft.entries.find((e) => e.name === name) ?? src.entry(name),
      path: (rel) => join(o.outDir, rel),
    };
    const report = await fidelity(src, pending, o, blockSize, stats);
    o.onProgress?.(vlm.experts.length + 1, vlm.experts.length + 1, 'fidelity');
    await writer.writeJson('reports/quantization.json', report, 'report');
    const manifest = await writer.finalize({ ...draft, reports: { quantization: 'reports/quantization.json' } });
    return { manifest, report };
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/**
 * Moves a graph's external initializers into `file` of the new package and, with `quant`, turns
 * MatMuls by a 2-D float initializer into MatMulNBits.
 */
async function rewriteGraph(
  model: ModelProto,
  reader: ExternalDataReader,
  writer: PackageWriter,
  file: string,
  quant?: { bits: 4 | 8; blockSize: number; stats: { matmuls: number; before: number; after: number } },
): Promise<void> {
  const g = model.graph!;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  if (quant) {
    for (const node of g.node) {
      const w = node.opType === 'MatMul' && node.domain === '' ? inits.get(node.input[1] ?? '') : undefined;
      if (!w || w.dataType !== DataType.FLOAT || w.dims.length !== 2) continue;
      const [K, N] = w.dims.map(Number) as [number, number];
      const values = asTypedArray(await reader.read(w), DataType.FLOAT) as Float32Array;
      const q = quantizeNBits(values, K, N, quant.bits, quant.blockSize);
      const bq = writer.weights.put(
        `${w.name}.q${quant.bits}`,
        file,
        'uint8',
        [N, q.nBlocks, (quant.blockSize * quant.bits) / 8],
        q.packed,
      );
      const sc = writer.weights.tensor(`${w.name}.scales`, file, 'float32', [N, q.nBlocks], () => q.scales);
      g.initializer.push(writer.weights.initializer(bq.name), writer.weights.initializer(sc.name));
      node.opType = 'MatMulNBits';
      node.domain = 'com.microsoft';
      node.input = [node.input[0]!, bq.name, sc.name];
      node.attribute = (
        [
          ['K', attr.i(K)],
          ['N', attr.i(N)],
          ['bits', attr.i(quant.bits)],
          ['block_size', attr.i(quant.blockSize)],
        ] as const
      ).map(([name, a]) => ({ ...(a as AttributeProto), name }));
      quant.stats.matmuls++;
      quant.stats.before += values.byteLength;
      quant.stats.after += q.packed.byteLength + q.scales.byteLength;
    }
    removeUnusedInitializers(g);
    if (!model.opsetImport.some((x) => x.domain === 'com.microsoft'))
      model.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: 'com.microsoft', version: 1n }));
  }
  g.initializer = await Promise.all(
    g.initializer.map(async (t) => {
      if (!externalInfo(t) || writer.weights.get(t.name)?.location === file) return t;
      const bytes = await reader.read(t);
      const dtype = t.dataType === DataType.FLOAT ? 'float32' : t.dataType === DataType.INT64 ? 'int64' : undefined;
      if (!dtype)
        throw new EdgeError('E_QUANTIZE', `initializer ${t.name} has an element type the rewrite does not copy`, {
          field: t.name,
        });
      writer.weights.put(t.name, file, dtype, t.dims.map(Number), bytes);
      return writer.weights.initializer(t.name);
    }),
  );
}

async function fidelity(
  src: ModelPackage,
  quantized: ModelPackage,
  o: QuantizeExpertsOptions,
  blockSize: number,
  stats: Map<string, { matmuls: number; before: number; after: number }>,
): Promise<QuantizationReport> {
  const { createVlmRuntime, SEEDED_WEIGHTS_NOTE } = await import('../../sdk/internal.js');
  const { OrtBackend } = await import('../../sdk/internal.js');
  const backend = o.backend ?? new OrtBackend();
  const questions = o.questions ?? DEFAULT_QUESTIONS;
  const maxTokens = o.maxTokens ?? 16;
  const requests: VlmRequest[] = o.frames.flatMap((frame) => [
    { frame, task: 'caption' as const },
    ...questions.map((question) => ({ frame, task: 'vqa' as const, question })),
  ]);
  /** Greedy outputs of `pkg`, and the log-probabilities it gives `reference` (default: its own outputs). */
  const runAll = async (
    pkg: ModelPackage,
    reference?: Record<string, number[]>[],
  ): Promise<{ results: VlmResult[]; tokens: Record<string, number[]>[]; scores: Record<string, number[]>[] }> => {
    const rt = await createVlmRuntime({ package: pkg, backend });
    try {
      const results: VlmResult[] = [];
      for (const r of requests) results.push(...(await rt.run([r], { generation: { maxTokens } })));
      const tokens = results.map((r) => Object.fromEntries(r.experts.map((e) => [e.id, e.tokens])));
      const scores: Record<string, number[]>[] = [];
      for (const [i, r] of requests.entries()) scores.push(...(await rt.score([r], [(reference ?? tokens)[i]!])));
      return { results, tokens, scores };
    } finally {
      await rt.close();
    }
  };
  const { results: a, tokens: reference, scores: sa } = await runAll(src);
  const { results: b, scores: sb } = await runAll(quantized, reference);
  const perplexity = (scores: Record<string, number[]>[], id: string) => {
    const lps = scores.flatMap((s) => s[id] ?? []);
    return lps.length ? Math.exp(-lps.reduce((x, y) => x + y, 0) / lps.length) : 1;
  };
  const vlm = vlmSection(src.manifest);
  const experts = vlm.experts.map((x, k): ExpertFidelity => {
    let equal = 0;
    let longer = 0;
    let identical = 0;
    let lpA = 0;
    let lpB = 0;
    a.forEach((ra, i) => {
      const ta = ra.experts[k]!.tokens;
      const tb = b[i]!.experts[k]!.tokens;
      for (let j = 0; j < Math.min(ta.length, tb.length); j++) if (ta[j] === tb[j]) equal++;
      longer += Math.max(ta.length, tb.length);
      if (ta.join() === tb.join()) identical++;
      lpA += ra.experts[k]!.meanLogProb;
      lpB += b[i]!.experts[k]!.meanLogProb;
    });
    const s = stats.get(x.id)!;
    return {
      expert: x.id,
      tokenAgreement: longer ? equal / longer : 1,
      identical,
      requests: a.length,
      meanLogProb: { source: lpA / a.length, quantized: lpB / a.length },
      perplexity: { source: perplexity(sa, x.id), quantized: perplexity(sb, x.id) },
      matmuls: s.matmuls,
      weightBytes: { before: s.before, after: s.after },
    };
  });
  return {
    method: 'MatMulNBits',
    bits: o.bits,
    blockSize,
    source: { name: src.manifest.name, packageHash: src.packageHash },
    frames: o.frames.map((f) => f.id),
    questions,
    maxTokens,
    experts,
    ...(vlm.seededWeights
      ? { note: `${SEEDED_WEIGHTS_NOTE}; agreement with the unquantized experts is still meaningful` }
      : {}),
  };
}
