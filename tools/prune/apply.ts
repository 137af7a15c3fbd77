/**
 * `applyPrunePlan`: the writing half of pruning. Kept files are copied as files (never whole in
 * memory, see copy-kept.ts); meanwhile new tensors (sliced routers, dense FFNs) are computed one
 * tensor at a time and the MoE clusters of re-emitted graphs are spliced; everything goes through
 * PackageWriter (marker → files → manifest last), so an interrupted run leaves a directory
 * openPackage refuses.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { BlockExpertMap, EntryManifest, ExpertRecord, PackageManifest, RouterRecord } from '../../sdk/internal.js';
import { VERSION } from '../../sdk/internal.js';
import type { ModelPackage } from '../../sdk/internal.js';
import { readInitializerRecords } from '../onnx/initializer-records.js';
import { readModel } from '../onnx/model-io.js';
import { elementCount, type TensorProto } from '../onnx/proto.js';
import { externalInfo } from '../onnx/tensor-data.js';
import { PackageWriter } from '../package/package-writer.js';
import { ffnParams } from '../ringmoe/params.js';
import { copyKeptFiles } from './copy-kept.js';
import { denseFfn } from './dense-merge.js';
import type { PrunePlan } from './plan-types.js';
import { SourceTensors } from './source-tensors.js';
import { respliceGraph } from './splice.js';

/** Where and how `applyPrunePlan` writes the pruned package. */
export interface ApplyOptions {
  outDir: string;
  force?: boolean;
  /** Package name (default `<source>-<strategy>-<modalities>`). */
  name?: string;
  /** Progress in steps (files copied, tensors written, graphs spliced). */
  onProgress?: (done: number, total: number, label: string) => void;
  /**
   * Runs when every graph and weight file is written, before the manifest: returns reports to add
   * (relative path → JSON value), e.g. the fidelity report measured on the written files.
   */
  beforeFinalize?: (
    dir: string,
    draft: Omit<PackageManifest, 'format' | 'formatVersion' | 'files'>,
  ) => Promise<Record<string, unknown>>;
}

/** Derived constants stored beside head weights but not learnable (as the reference generator counts). */
const DERIVED = /\.(centres|signs|limits)\b|relative_position_bias|attn_mask|logit_scale_exp/;

/** The expert map after pruning: kept records (routers restricted), dense records added. */
function prunedExperts(plan: PrunePlan, blocks: BlockExpertMap[], denseNotes: Map<string, string>): BlockExpertMap[] {
  return blocks.map((b) => {
    const bp = plan.blocks.find((x) => x.id === b.id)!;
    const routers: RouterRecord[] = [];
    for (const r of b.routers) {
      const rp = bp.routers.find((x) => x.id === r.id)!;
      if (rp.action === 'keep') routers.push(r);
      else if (rp.action === 'slice') routers.push({ ...r, experts: rp.experts, params: b.dim * rp.experts.length });
    }
    const experts: ExpertRecord[] = b.experts
      .filter((e) => bp.keep.includes(e.id))
      .map((e) => {
        if (e.router && !routers.some((r) => r.id === e.router)) {
          const { router: _dropped, ...rest } = e;
          void _dropped;
          return rest;
        }
        return e;
      });
    if (bp.dense) {
      const d = bp.dense;
      experts.push({
        id: d.id,
        kind: 'dense',
        modality: d.modality,
        index: 0,
        file: d.file,
        tensors: {
          fc1Weight: `${d.id}.fc1.weight`,
          fc1Bias: `${d.id}.fc1.bias`,
          fc2Weight: `${d.id}.fc2.weight`,
          fc2Bias: `${d.id}.fc2.bias`,
        },
        dim: d.dim,
        hidden: d.hidden,
        params: ffnParams(d.dim, d.hidden),
        origin: {
          strategy: plan.options.strategy,
          from: d.groups.flatMap((g) => g.experts),
          note: denseNotes.get(d.id) ?? '',
        },
      });
    }
    return { ...b, routers, experts };
  });
}

function weightFilesOf(graph: { initializer: TensorProto[] }): string[] {
  return [
    ...new Set(graph.initializer.map((t) => externalInfo(t)?.location).filter((x): x is string => x !== undefined)),
  ].sort();
}

/** What {@link writeTensorsAndGraphs} leaves for the manifest. */
interface Rewritten {
  experts: BlockExpertMap[];
  entries: EntryManifest[];
  heads: number;
}

/**
 * Computes the new tensors (sliced routers, dense FFNs) into the writer's weight store, re-emits the
 * MoE clusters of re-graphed entries and counts the head parameters of every kept entry.
 */
async function writeTensorsAndGraphs(
  plan: PrunePlan,
  source: ModelPackage,
  src: SourceTensors | undefined,
  writer: PackageWriter,
  step: (label: string) => void,
): Promise<Rewritten> {
  const m = source.manifest;
  // New tensors: sliced routers, then dense FFNs; one tensor in memory at a time (plus the merge's working set).
  const fresh: TensorProto[] = [];
  const routerOf = new Map(m.experts!.blocks.flatMap((b) => b.routers.map((r) => [r.id, { r, dim: b.dim }] as const)));
  for (const bp of plan.blocks) {
    for (const rp of bp.routers.filter((x) => x.action === 'slice')) {
      const { r, dim } = routerOf.get(rp.id)!;
      const full = await src!.float32(r.weight);
      const n = r.experts.length;
      const k = rp.columns.length;
      const sliced = new Float32Array(dim * k);
      for (let row = 0; row < dim; row++) rp.columns.forEach((c, j) => (sliced[row * k + j] = full[row * n + c]!));
      writer.weights.put(r.weight, r.file, 'float32', [dim, k], new Uint8Array(sliced.buffer));
      fresh.push(writer.weights.initializer(r.weight));
      step(r.file);
    }
  }
  const expertById = new Map(m.experts!.blocks.flatMap((b) => b.experts.map((e) => [e.id, e] as const)));
  const denseNotes = new Map<string, string>();
  for (const bp of plan.blocks) {
    const d = bp.dense;
    if (!d) continue;
    const ffn = await denseFfn(src!, d, expertById, plan.options.strategy, plan.options.fold ?? 'auto');
    const names = [`${d.id}.fc1.weight`, `${d.id}.fc1.bias`, `${d.id}.fc2.weight`, `${d.id}.fc2.bias`];
    const shapes = [[d.dim, d.hidden], [d.hidden], [d.hidden, d.dim], [d.dim]];
    [ffn.w1, ffn.b1, ffn.w2, ffn.b2].forEach((t, i) => {
      writer.weights.put(
        names[i]!,
        d.file,
        'float32',
        shapes[i]!,
        new Uint8Array(t.buffer, t.byteOffset, t.byteLength),
      );
      fresh.push(writer.weights.initializer(names[i]!));
    });
    denseNotes.set(d.id, ffn.note);
    step(d.file);
  }
  writer.weights.close();

  const experts = prunedExperts(plan, m.experts!.blocks, denseNotes);
  const blockMap = new Map(experts.map((b) => [b.id, b]));
  const entries: EntryManifest[] = [];
  let heads = 0;
  const countedHeads = new Set<string>();
  const countHeads = (initializers: readonly { name: string; dims: readonly (number | bigint)[] }[]) => {
    for (const t of initializers) {
      if (
        (t.name.startsWith('head.') || t.name.startsWith('fusion.')) &&
        !DERIVED.test(t.name) &&
        !countedHeads.has(t.name)
      ) {
        countedHeads.add(t.name);
        heads += elementCount(t.dims);
      }
    }
  };
  for (const entry of m.entries) {
    const copied = plan.entries.copied.includes(entry.name);
    if (!copied && !plan.entries.regraphed.includes(entry.name)) continue;
    if (copied) {
      // A copied graph is only counted: its initializers' names and dims, not its nodes.
      countHeads(await readInitializerRecords(source.path(entry.graph), source.dir));
      entries.push(entry);
      continue;
    }
    const model = await readModel(source.path(entry.graph));
    const graph = model.proto.graph!;
    countHeads(graph.initializer);
    const moe = respliceGraph(graph, entry.moe ?? [], blockMap, fresh, entry.graph);
    await writer.writeGraph(entry.graph, model.proto);
    entries.push({ ...entry, moe, weightFiles: weightFilesOf(graph) });
    step(entry.graph);
  }
  return { experts, entries, heads };
}

/**
 * Writes the pruned package described by `plan` from the opened `source` package.
 * @throws EdgeError E_OUTPUT_EXISTS, E_PRUNE (plan made for another package), E_IO, E_ONNX_INVALID,
 *   E_PACKAGE_HASH_MISMATCH (a kept source file differs from its manifest record)
 */
export async function applyPrunePlan(plan: PrunePlan, source: ModelPackage, o: ApplyOptions): Promise<PackageManifest> {
  const m = source.manifest;
  if (plan.source.sha256 !== source.packageHash) {
    throw new EdgeError(
      'E_PRUNE',
      `the prune plan was made for package ${plan.source.name} (${plan.source.sha256.slice(0, 12)}…), not for ${m.name} (${source.packageHash.slice(0, 12)}…)`,
    );
  }
  const steps = plan.files.copy.length + plan.files.write.length;
  let done = 0;
  const step = (label: string) => o.onProgress?.(++done, steps, label);
  const writer = await PackageWriter.create(o.outDir, o.force !== undefined ? { force: o.force } : {});
  // Source tensors are indexed only when something is computed from them, and only from the kept
  // graphs (they hold every tensor a kept block needs).
  const needsTensors = plan.blocks.some((b) => b.dense || b.routers.some((r) => r.action === 'slice'));
  const src = needsTensors
    ? await SourceTensors.open(source.dir, m, [...plan.entries.copied, ...plan.entries.regraphed])
    : undefined;
  try {
    // The kept files are copied by the kernel in libuv's pool while the main thread computes new
    // tensors and re-emits graphs: on two cores the two overlap instead of adding up. The first
    // failure stops further copies; it is thrown once nothing is in flight.
    const stop = new AbortController();
    let failure: { error: unknown } | undefined;
    const fail = (error: unknown) => {
      failure ??= { error };
      stop.abort();
    };
    const copying = copyKeptFiles(
      source,
      plan.files.copy,
      o.outDir,
      (f, digest) => {
        writer.addWritten(f.path, f.role, digest);
        step(f.path);
      },
      stop.signal,
    ).catch(fail);
    const rewritten = await writeTensorsAndGraphs(plan, source, src, writer, step).catch(fail);
    await copying;
    if (failure) throw failure.error;
    const { experts, entries, heads } = rewritten!;

    const o2 = plan.options;
    const draft: Omit<PackageManifest, 'format' | 'formatVersion' | 'files'> = {
      name: o.name ?? `${m.name}-${o2.strategy}-${o2.modalities.join('+')}`,
      kind: 'ringmoe',
      model: { ...m.model, params: { backbone: plan.params.after, heads, total: plan.params.after + heads } },
      modalities: m.modalities.filter((x) => o2.modalities.includes(x.id)),
      ...(m.labels ? { labels: m.labels } : {}),
      entries,
      experts: { blocks: experts },
      lineage: [
        ...m.lineage,
        {
          step: 'prune',
          sourcePackage: source.packageHash,
          sourceName: m.name,
          params: {
            strategy: o2.strategy,
            modalities: o2.modalities,
            ...(o2.keepCollaborative !== undefined ? { keepCollaborative: o2.keepCollaborative } : {}),
            ...(o2.keepModal !== undefined ? { keepModal: o2.keepModal } : {}),
            ...(o2.fold !== undefined ? { fold: o2.fold } : {}),
            selection: plan.selection,
          },
          ...(plan.stats ? { statsSha256: plan.stats.sha256 } : {}),
          tool: `ringmoe-edge ${VERSION}`,
        },
      ],
      ...(m.extensions ? { extensions: m.extensions } : {}),
    };
    if (o.beforeFinalize) {
      const reports = await o.beforeFinalize(o.outDir, draft);
      for (const [rel, value] of Object.entries(reports)) await writer.writeJson(rel, value, 'report');
      if (Object.keys(reports).length)
        draft.reports = Object.fromEntries(
          Object.keys(reports).map((rel) => [rel.replace(/^reports\//, '').replace(/\.json$/, ''), rel]),
        );
    }
    return await writer.finalize(draft);
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    await src?.close();
  }
}
