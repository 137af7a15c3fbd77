/**
 * `ringmoe-edge reference`: writes a complete RingMoE model package with deterministic seeded
 * weights — the reference family every test, benchmark and demo runs on.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { BlockExpertMap, EntryManifest, LineageStep, ModelInfo, PackageManifest } from '../../sdk/internal.js';
import { VERSION } from '../../sdk/internal.js';
import { GraphBuilder, makeModel } from '../onnx/builder.js';
import { externalInfo } from '../onnx/tensor-data.js';
import { PackageWriter } from '../package/package-writer.js';
import { stageGeometry, type RingMoEConfig } from './config.js';
import { EmitContext, type WeightSource } from './emit/context.js';
import { emitEntry, plannedEntries } from './emit/entries.js';
import { blockExperts } from './emit/experts.js';
import { backboneParams, fullSelection, type ExpertSelection } from './params.js';

export interface ReferenceOptions {
  config: RingMoEConfig;
  outDir: string;
  seed?: number;
  lowering?: 'sparse' | 'dense';
  /** Sparse upcycling: every expert of a block a copy of one FFN (the same as expertSpread 0). */
  upcycled?: boolean;
  /** Distance between the experts of a block, 0 (copies) .. 1 (independent); default 0.3. */
  expertSpread?: number;
  opset?: number;
  force?: boolean;
  /** Called after each entry graph is written. */
  onEntry?: (done: number, total: number, name: string) => void;
  /** Weights to use instead of the seeded ones where it has them (a converted checkpoint). */
  source?: WeightSource;
  /**
   * Lineage to record instead of the `reference` step (e.g. a `convert` step); a function is
   * called once every entry has been emitted.
   */
  lineage?: LineageStep[] | (() => LineageStep[]);
  /** Graph doc string instead of the seeded-weights one. */
  doc?: string;
  /** How frames must be preprocessed for these weights (a trained model's recipe), recorded as `model.preprocessing`. */
  preprocessing?: ModelInfo['preprocessing'];
  /** Expert maps (stage by stage) to emit instead of the config's full MoE, with their selection (a converted dense checkpoint). */
  experts?: { blocks: BlockExpertMap[][]; selection: ExpertSelection };
}

/**
 * Default distance between the experts of a block: related but distinct (like a trained MoE that
 * was upcycled from one FFN), so a routing decision near a tie does not send a token to an
 * unrelated expert. 1 gives independent experts.
 */
export const DEFAULT_EXPERT_SPREAD = 0.3;

/** Derived constants stored beside weights but not learnable (excluded from parameter counts). */
const DERIVED = /\.(centres|signs|limits)\b|relative_position_bias|attn_mask|logit_scale_exp/;

/**
 * Generates the package. Same config + seed + options → byte-identical files.
 * @throws EdgeError E_OUTPUT_EXISTS, E_CONFIG, E_IO
 */
export async function writeReferencePackage(o: ReferenceOptions): Promise<PackageManifest> {
  const seed = o.seed ?? 0;
  const lowering = o.lowering ?? 'sparse';
  const opset = o.opset ?? 17;
  const c = o.config;
  const expertSpread = o.upcycled ? 0 : (o.expertSpread ?? DEFAULT_EXPERT_SPREAD);
  if (!(expertSpread >= 0 && expertSpread <= 1))
    throw new EdgeError('E_INVALID_ARGUMENT', `expertSpread must be between 0 and 1, got ${expertSpread}`, {
      field: 'expertSpread',
    });
  const geometry = stageGeometry(c);
  const blocks =
    o.experts?.blocks ?? geometry.map((g) => Array.from({ length: g.depth }, (_, i) => blockExperts(c, g, i)));
  const writer = await PackageWriter.create(o.outDir, o.force !== undefined ? { force: o.force } : {});
  try {
    const entries: EntryManifest[] = [];
    const planned = plannedEntries(c);
    for (const [i, { name, plan }] of planned.entries()) {
      const b = new GraphBuilder(`${c.name}:${name}`);
      const ctx = new EmitContext(b, writer.weights, c, geometry, { seed, lowering, expertSpread, opset }, o.source);
      const entry = emitEntry(ctx, name, plan, blocks);
      const graph = b.build();
      const weightFiles = [
        ...new Set(graph.initializer.map((t) => externalInfo(t)?.location).filter((x): x is string => x !== undefined)),
      ].sort();
      await writer.writeGraph(
        entry.graph,
        makeModel(graph, opset, {
          version: VERSION,
          doc: o.doc
            ? `${c.name} ${name} entry (${o.doc})`
            : `${c.name} ${name} entry (seeded reference weights, seed ${seed})`,
        }),
      );
      entries.push({ ...entry, weightFiles });
      o.onEntry?.(i + 1, planned.length, name);
    }
    const heads = countHeadParams(writer);
    const backbone = backboneParams(c, o.experts?.selection ?? fullSelection(c)).total;
    return await writer.finalize({
      name: c.name,
      kind: 'ringmoe',
      model: {
        configName: c.name,
        config: c as unknown as Record<string, unknown>,
        inputSize: c.inputSize,
        seed,
        lowering,
        precision: 'fp32',
        opset,
        params: { backbone, heads, total: backbone + heads },
        ...(o.preprocessing ? { preprocessing: o.preprocessing } : {}),
      },
      modalities: c.modalities,
      labels: headLabels(c),
      entries,
      experts: { blocks: blocks.flat() },
      lineage: (typeof o.lineage === 'function' ? o.lineage() : o.lineage) ?? [
        {
          step: 'reference',
          params: { config: c.name, seed, lowering, expertSpread, upcycled: expertSpread === 0, opset },
          tool: `ringmoe-edge ${VERSION}`,
        },
      ],
    });
  } catch (err) {
    writer.abort();
    throw err;
  }
}

function countHeadParams(writer: PackageWriter): number {
  let n = 0;
  for (const t of writer.weights.all()) {
    if ((t.name.startsWith('head.') || t.name.startsWith('fusion.')) && !DERIVED.test(t.name))
      n += t.dims.reduce((a, b) => a * b, 1);
  }
  return n;
}

/** Label lists of the labelled task heads the config emits (a head not emitted has none). */
export function headLabels(c: RingMoEConfig): PackageManifest['labels'] {
  const labels: NonNullable<PackageManifest['labels']> = {};
  for (const t of ['classification', 'segmentation', 'detection'] as const)
    if (c.tasks.includes(t)) labels[t] = c.taskHeads[t].labels;
  return labels;
}
