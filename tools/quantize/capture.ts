/**
 * Activation statistics on the host: a temporary copy of an entry's graph exposes every float
 * activation as a graph output, onnxruntime runs it over the calibration batches, and each
 * tensor's values feed a {@link TensorStats}. Outputs of value-preserving nodes (Reshape,
 * Transpose, Identity, ...) are not captured: they hold exactly their input's values, so they
 * share its statistics.
 *
 * Experts of a sparse MoE see only the tokens their router sends them, so an expert the
 * calibration frames rarely (or never) pick would get poor (or no) ranges. The temporary graph
 * therefore also runs a shadow copy of each sparse expert's FFN on every token of its block, and
 * the expert's activations take the statistics of that shadow: every expert is calibrated on the
 * whole token distribution of its block, as the dense lowering does by construction.
 */
import { clone } from '@bufbuild/protobuf';
import { EdgeError } from '../../sdk/internal.js';
import type { HostTensor } from '../../sdk/internal.js';
import { OrtBackend } from '../../sdk/internal.js';
import type { MoeClusterRecord } from '../../sdk/internal.js';
import {
  NodeProtoSchema,
  ModelProtoSchema,
  ValueInfoProtoSchema,
  create,
  type GraphProto,
  type ModelProto,
  type NodeProto,
} from '../onnx/proto.js';
import { TensorStats, type TensorStatsData } from './histogram.js';
import { writeScratchModel } from './scratch-model.js';

/** Ops whose (first) output holds exactly the values of their first input. */
export const VALUE_PRESERVING_OPS: ReadonlySet<string> = new Set([
  'Reshape',
  'Transpose',
  'Identity',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
]);
/** Ops whose outputs are never float activations worth a range. */
const NON_FLOAT_OPS: ReadonlySet<string> = new Set([
  'Shape',
  'Size',
  'NonZero',
  'ArgMax',
  'ArgMin',
  'Equal',
  'Greater',
  'Less',
  'Not',
  'And',
  'Or',
  'ConstantOfShape',
]);

export interface CapturePlan {
  /** Tensors exposed as outputs of the temporary graph. */
  captured: string[];
  /** Tensor → the captured (or input) tensor holding the same values. */
  aliases: Map<string, string>;
  /** Graph inputs (their statistics come from the feeds). */
  inputs: string[];
}

/** Which tensors of `graph` to capture and which to alias. */
export function planCapture(graph: GraphProto): CapturePlan {
  const inits = new Set(graph.initializer.map((t) => t.name));
  const inputs = graph.input.map((v) => v.name).filter((n) => !inits.has(n));
  const aliases = new Map<string, string>();
  const captured: string[] = [];
  const root = (t: string) => aliases.get(t) ?? t;
  for (const n of graph.node) {
    if (n.domain !== '' && n.domain !== 'ai.onnx') continue;
    if (VALUE_PRESERVING_OPS.has(n.opType) && n.input[0] && !inits.has(n.input[0])) {
      aliases.set(n.output[0]!, root(n.input[0]));
      continue;
    }
    if (NON_FLOAT_OPS.has(n.opType)) continue;
    for (const o of n.output) if (o) captured.push(o);
  }
  return { captured, aliases, inputs };
}

/** Suffix of shadow tensors (an expert FFN run on all tokens of its block). */
const SHADOW = '::all-tokens';

/**
 * Shadow FFNs for the sparse experts of `clusters`: for each expert, the nodes it owns downstream
 * of the gather of its tokens (Gather; GatherND in packages generated before one scatter per group), re-run on the
 * cluster's whole input. Returns the nodes to add and, for each
 * original tensor, the shadow tensor whose statistics it takes.
 */
export function expertShadows(
  graph: GraphProto,
  clusters: readonly MoeClusterRecord[],
): { nodes: NodeProto[]; takeFrom: Map<string, string> } {
  const byName = new Map(graph.node.map((n) => [n.name, n]));
  const nodes: NodeProto[] = [];
  const takeFrom = new Map<string, string>();
  for (const c of clusters) {
    if (c.lowering !== 'sparse') continue;
    for (const owned of Object.values(c.owners)) {
      const own = owned.map((n) => byName.get(n)).filter((n): n is NodeProto => n !== undefined);
      const gather = own.find((n) => n.opType === 'Gather' || n.opType === 'GatherND');
      if (!gather) continue;
      const rename = new Map<string, string>([[gather.output[0]!, c.input]]);
      takeFrom.set(gather.output[0]!, c.input);
      for (const n of own) {
        if (n === gather || n.opType === 'ScatterND' || !n.input.some((i) => rename.has(i))) continue;
        const outputs = n.output.map((o) => `${o}${SHADOW}`);
        n.output.forEach((o, k) => {
          rename.set(o, outputs[k]!);
          takeFrom.set(o, outputs[k]!);
        });
        nodes.push(
          create(NodeProtoSchema, {
            ...n,
            name: `${n.name}${SHADOW}`,
            input: n.input.map((i) => rename.get(i) ?? i),
            output: outputs,
          }),
        );
      }
    }
  }
  return { nodes, takeFrom };
}

export interface CollectOptions {
  /** The entry's model (not modified) and the directory its external data is relative to. */
  model: ModelProto;
  baseDir: string;
  weightFiles: readonly string[];
  /** The entry's MoE clusters (sparse experts get shadow FFNs on all tokens). */
  clusters?: readonly MoeClusterRecord[];
  batches: AsyncIterable<Record<string, HostTensor>> | Iterable<Record<string, HostTensor>>;
  bins?: number;
  /** Called after each batch with the frames seen so far. */
  onBatch?: (frames: number) => void;
}

/**
 * Runs the calibration batches and returns the statistics of every float activation (captured
 * and aliased) and of the graph inputs.
 * @throws EdgeError E_CALIBRATION when no batch was given or a run fails
 */
export async function collectStatistics(o: CollectOptions): Promise<Map<string, TensorStatsData>> {
  const model = clone(ModelProtoSchema, o.model);
  const graph = model.graph!;
  const plan = planCapture(graph);
  const shadows = expertShadows(graph, o.clusters ?? []);
  graph.node.push(...shadows.nodes);
  plan.captured.push(...shadows.nodes.flatMap((n) => n.output));
  const present = new Set(graph.output.map((v) => v.name));
  for (const t of plan.captured) if (!present.has(t)) graph.output.push(create(ValueInfoProtoSchema, { name: t }));
  const scratch = await writeScratchModel(model, o.baseDir, o.weightFiles);
  const stats = new Map<string, TensorStats>();
  const statsOf = (name: string) => {
    let s = stats.get(name);
    if (!s) stats.set(name, (s = new TensorStats(o.bins)));
    return s;
  };
  let frames = 0;
  try {
    const session = await new OrtBackend().load({ graphPath: scratch.path });
    try {
      for await (const feeds of o.batches) {
        for (const name of plan.inputs) {
          const t = feeds[name];
          if (!t)
            throw new EdgeError('E_CALIBRATION', `calibration batch has no tensor for graph input ${name}`, {
              field: name,
            });
          statsOf(name).add(t.data as Float32Array);
        }
        const out = await session.run(feeds).catch((err: unknown) => {
          throw new EdgeError(
            'E_CALIBRATION',
            `running the graph on calibration frames failed: ${(err as Error).message}`,
            { cause: err },
          );
        });
        for (const [name, t] of Object.entries(out))
          if (t.dtype === 'float32') statsOf(name).add(t.data as Float32Array);
        frames += (Object.values(feeds)[0]?.shape[0] ?? 0) as number;
        o.onBatch?.(frames);
      }
    } finally {
      await session.dispose();
    }
  } finally {
    await scratch.dispose();
  }
  if (frames === 0) throw new EdgeError('E_CALIBRATION', 'no calibration frames reached the graph');
  const result = new Map<string, TensorStatsData>();
  for (const [name, s] of stats) result.set(name, s.toJSON());
  const resolve = (t: string) => result.get(plan.aliases.get(t) ?? t);
  for (const [tensor, from] of shadows.takeFrom) {
    const s = resolve(from);
    if (s) result.set(tensor, s);
  }
  for (const [alias, source] of plan.aliases) {
    const s = result.get(source);
    if (s) result.set(alias, s);
  }
  for (const name of [...result.keys()]) if (name.endsWith(SHADOW)) result.delete(name);
  return result;
}
