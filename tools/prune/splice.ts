/**
 * Local re-emission of MoE clusters: a cluster's nodes are removed from an entry graph and the
 * block's pruned MoE is emitted in their place by `emitMoe` (the builder code the reference
 * generator uses), inside the same `<pass>/<block>` scope, reading the same input tensor and
 * producing the original output tensor. Emission is deterministic, so re-emitting a cluster with
 * all its experts gives the identical computation.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { BlockExpertMap, ExpertRecord, MoeClusterRecord } from '../../sdk/internal.js';
import type { ModalityId } from '../../sdk/internal.js';
import { GraphBuilder } from '../onnx/builder.js';
import { removeUnusedInitializers, sortTopologically, validateGraph } from '../onnx/graph.js';
import type { GraphProto, NodeProto, TensorProto } from '../onnx/proto.js';
import { emitMoe, type MoeClusterSpec, type MoeGroupSpec } from '../ringmoe/emit/moe.js';

/**
 * The MoE layout a pass of `modality` runs through in a (pruned) block: its modal group, the
 * collaborative group, the shared expert, or the block's dense FFN for that modality — in the
 * order the reference generator emits them, each routed group in router output order.
 * @throws EdgeError E_PRUNE when the expert map is inconsistent (a group of several experts without router)
 */
export function clusterSpec(block: BlockExpertMap, modality: ModalityId): MoeClusterSpec {
  const groups: MoeGroupSpec[] = [];
  const add = (experts: ExpertRecord[]) => {
    if (experts.length === 0) return;
    const router = block.routers.find((r) => r.id === experts[0]!.router);
    if (!router) {
      if (experts.length > 1)
        throw new EdgeError(
          'E_PRUNE',
          `block ${block.id}: ${experts.length} ${experts[0]!.kind} experts without a router`,
        );
      groups.push({ experts: [{ id: experts[0]!.id, tensors: experts[0]!.tensors }] });
      return;
    }
    const ordered = router.experts.map((id) => {
      const e = experts.find((x) => x.id === id);
      if (!e)
        throw new EdgeError(
          'E_PRUNE',
          `block ${block.id}: router ${router.id} lists ${id}, which the block does not have`,
        );
      return e;
    });
    groups.push({
      router: { id: router.id, weight: router.weight },
      experts: ordered.map((e) => ({ id: e.id, tensors: e.tensors })),
    });
  };
  add(block.experts.filter((e) => e.kind === 'modal' && e.modality === modality));
  add(block.experts.filter((e) => e.kind === 'collaborative'));
  for (const e of block.experts.filter((x) => x.kind === 'shared' || (x.kind === 'dense' && x.modality === modality)))
    add([e]);
  if (groups.length === 0) throw new EdgeError('E_PRUNE', `block ${block.id} has no experts for ${modality}`);
  return { block: block.id, groups };
}

/** The `<pass>/<block>` scope a cluster's nodes were emitted in. */
function scopeOf(cluster: MoeClusterRecord): string {
  const first = cluster.nodes[0] ?? '';
  const at = first.indexOf('/moe/');
  if (at <= 0)
    throw new EdgeError(
      'E_PRUNE',
      `MoE cluster ${cluster.pass}:${cluster.block} names nodes outside a "<pass>/<block>/moe/" scope (${JSON.stringify(first)}); it cannot be re-emitted`,
    );
  return first.slice(0, at);
}

function renameIn(nodes: NodeProto[], from: string, to: string): void {
  for (const n of nodes) {
    n.input = n.input.map((x) => (x === from ? to : x));
    n.output = n.output.map((x) => (x === from ? to : x));
  }
}

/**
 * Replaces each listed cluster of `graph` (in place) with the MoE of its block in `blocks`.
 * @param initializers external initializers of new or changed tensors (sliced routers, dense FFNs); they replace same-named ones
 * @returns the new cluster records, in the order given
 * @throws EdgeError E_PRUNE (a cluster cannot be found or re-emitted), E_ONNX_INVALID (the result does not validate)
 */
export function respliceGraph(
  graph: GraphProto,
  clusters: MoeClusterRecord[],
  blocks: Map<string, BlockExpertMap>,
  initializers: TensorProto[],
  file?: string,
): MoeClusterRecord[] {
  const records: MoeClusterRecord[] = [];
  for (const cluster of clusters) {
    const block = blocks.get(cluster.block);
    if (!block)
      throw new EdgeError('E_PRUNE', `graph cluster of block ${cluster.block} has no block in the pruned expert map`);
    const remove = new Set(cluster.nodes);
    const at = graph.node.findIndex((n) => remove.has(n.name));
    if (at < 0)
      throw new EdgeError(
        'E_PRUNE',
        `MoE cluster ${cluster.pass}:${cluster.block} is not in graph ${graph.name}`,
        file !== undefined ? { file } : {},
      );
    const b = new GraphBuilder(graph.name);
    const { output, record } = b.scope(scopeOf(cluster), () =>
      emitMoe(b, clusterSpec(block, cluster.pass), cluster.input, cluster.lowering, cluster.pass),
    );
    const built = b.build();
    if (output !== cluster.output) {
      // Free the original name if an intermediate of the new cluster happens to carry it.
      if (built.node.some((n) => n.output.includes(cluster.output)))
        renameIn(built.node, cluster.output, `${cluster.output}.pruned`);
      renameIn(built.node, output, cluster.output);
    }
    const kept = graph.node.filter((n) => !remove.has(n.name));
    const before = graph.node.slice(0, at).filter((n) => !remove.has(n.name)).length;
    graph.node = [...kept.slice(0, before), ...built.node, ...kept.slice(before)];
    const have = new Set(graph.initializer.map((t) => t.name));
    for (const t of built.initializer) if (!have.has(t.name)) graph.initializer.push(t);
    records.push({ ...record, output: cluster.output });
  }
  const replace = new Map(initializers.map((t) => [t.name, t]));
  graph.initializer = [...graph.initializer.filter((t) => !replace.has(t.name)), ...initializers];
  removeUnusedInitializers(graph);
  sortTopologically(graph);
  validateGraph(graph, file !== undefined ? { file } : {});
  return records;
}
