/**
 * Graph utilities: producers and consumers (subgraph-aware), topological order, dead-node and
 * unused-initializer removal, subgraph extraction, renaming, validation, lifting constants.
 * All functions work on a GraphProto in place unless they say they return a new graph.
 */
import { EdgeError } from '../../sdk/internal.js';
import {
  GraphProtoSchema,
  ValueInfoProtoSchema,
  create,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './proto.js';
import { subgraphsOf } from './walk.js';

/** Names a subgraph uses but does not define itself: its outer-scope references. */
export function outerScopeReferences(graph: GraphProto): Set<string> {
  const defined = new Set<string>([...graph.input.map((v) => v.name), ...graph.initializer.map((t) => t.name)]);
  for (const n of graph.node) for (const o of n.output) if (o) defined.add(o);
  const used = new Set<string>();
  for (const n of graph.node) {
    for (const i of n.input) if (i && !defined.has(i)) used.add(i);
    for (const sg of subgraphsOf(n)) for (const r of outerScopeReferences(sg)) if (!defined.has(r)) used.add(r);
  }
  for (const o of graph.output) if (!defined.has(o.name)) used.add(o.name);
  return used;
}

/** A node's inputs, explicit (non-empty) and implicit (outer-scope names its subgraphs use). */
export function nodeInputs(node: NodeProto): string[] {
  const out = node.input.filter((i) => i !== '');
  for (const sg of subgraphsOf(node)) for (const r of outerScopeReferences(sg)) if (!out.includes(r)) out.push(r);
  return out;
}

/** Index of a graph: who produces and who consumes each tensor. Rebuild after editing. */
export class GraphIndex {
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly initializers = new Map<string, TensorProto>();
  readonly inputs = new Set<string>();
  readonly outputs = new Set<string>();

  constructor(readonly graph: GraphProto) {
    for (const t of graph.initializer) this.initializers.set(t.name, t);
    for (const v of graph.input) this.inputs.add(v.name);
    for (const v of graph.output) this.outputs.add(v.name);
    for (const n of graph.node) {
      for (const o of n.output) if (o) this.producer.set(o, n);
      for (const i of nodeInputs(n)) {
        const list = this.consumers.get(i);
        if (list) list.push(n);
        else this.consumers.set(i, [n]);
      }
    }
  }

  /** Nodes reading `tensor` (including through subgraphs). */
  consumersOf(tensor: string): NodeProto[] {
    return this.consumers.get(tensor) ?? [];
  }
}

/**
 * Nodes in an order where every node comes after the producers of its inputs (Kahn's algorithm,
 * stable: ties keep the original order).
 * @throws EdgeError E_ONNX_INVALID on a cycle
 */
export function topologicalOrder(graph: GraphProto): NodeProto[] {
  const producerIndex = new Map<string, number>();
  graph.node.forEach((n, i) => n.output.forEach((o) => o && producerIndex.set(o, i)));
  const deps = graph.node.map(
    (n) =>
      new Set(
        nodeInputs(n)
          .map((i) => producerIndex.get(i))
          .filter((x): x is number => x !== undefined),
      ),
  );
  const dependents: number[][] = graph.node.map(() => []);
  deps.forEach((ds, i) => ds.forEach((d) => dependents[d]!.push(i)));
  const remaining = deps.map((d) => d.size);
  const ready: number[] = [];
  remaining.forEach((r, i) => r === 0 && ready.push(i));
  const order: NodeProto[] = [];
  // A min-heap would be O(n log n); a sorted insert is fine for graphs of tens of thousands of nodes.
  while (ready.length) {
    const i = ready.shift()!;
    order.push(graph.node[i]!);
    for (const j of dependents[i]!) {
      if (--remaining[j]! === 0) {
        let k = ready.findIndex((x) => x > j);
        if (k < 0) k = ready.length;
        ready.splice(k, 0, j);
      }
    }
  }
  if (order.length !== graph.node.length) {
    const stuck = graph.node
      .filter((_, i) => remaining[i]! > 0)
      .slice(0, 5)
      .map((n) => n.name || n.opType);
    throw new EdgeError(
      'E_ONNX_INVALID',
      `graph ${JSON.stringify(graph.name)} has a cycle through nodes ${stuck.join(', ')}`,
    );
  }
  return order;
}

/** Reorders `graph.node` topologically in place. */
export function sortTopologically(graph: GraphProto): void {
  graph.node = topologicalOrder(graph);
}

/** Nodes needed to compute `outputs` (all graph outputs by default). */
export function liveNodes(
  graph: GraphProto,
  outputs: Iterable<string> = graph.output.map((o) => o.name),
): Set<NodeProto> {
  const index = new GraphIndex(graph);
  const live = new Set<NodeProto>();
  const stack = [...outputs];
  const seen = new Set<string>();
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const p = index.producer.get(t);
    if (!p || live.has(p)) continue;
    live.add(p);
    stack.push(...nodeInputs(p));
  }
  return live;
}

/** Removes nodes that no graph output depends on. Returns how many were removed. */
export function removeDeadNodes(graph: GraphProto): number {
  const live = liveNodes(graph);
  const before = graph.node.length;
  graph.node = graph.node.filter((n) => live.has(n));
  return before - graph.node.length;
}

/** Removes initializers no node (or subgraph) reads and no output names. Returns their names. */
export function removeUnusedInitializers(graph: GraphProto): string[] {
  const used = new Set<string>(graph.output.map((o) => o.name));
  for (const n of graph.node) for (const i of nodeInputs(n)) used.add(i);
  const removed = graph.initializer.filter((t) => !used.has(t.name)).map((t) => t.name);
  if (removed.length) {
    const drop = new Set(removed);
    graph.initializer = graph.initializer.filter((t) => !drop.has(t.name));
    graph.input = graph.input.filter((v) => !drop.has(v.name));
  }
  return removed;
}

/** Removes value_info entries for tensors that no longer exist. */
export function pruneValueInfo(graph: GraphProto): void {
  const exists = new Set<string>();
  for (const n of graph.node) for (const o of n.output) exists.add(o);
  graph.valueInfo = graph.valueInfo.filter((v) => exists.has(v.name));
}

/**
 * A new graph computing `outputs` from `inputs` (tensors that become graph inputs; their value_info
 * is looked up in the source graph). Initializers the kept nodes need are carried over (shared
 * objects, not copies: external data stays external).
 * @throws EdgeError E_ONNX_INVALID when an output cannot be computed from the given inputs
 */
export function extractSubgraph(
  graph: GraphProto,
  spec: { outputs: string[]; inputs?: string[]; name?: string },
): GraphProto {
  const stopAt = new Set(spec.inputs ?? graph.input.map((v) => v.name));
  const index = new GraphIndex(graph);
  const keep = new Set<NodeProto>();
  const needInit = new Set<string>();
  const stack = [...spec.outputs];
  const seen = new Set<string>();
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (stopAt.has(t)) continue;
    if (index.initializers.has(t)) {
      needInit.add(t);
      continue;
    }
    const p = index.producer.get(t);
    if (!p)
      throw new EdgeError(
        'E_ONNX_INVALID',
        `cannot extract: tensor ${JSON.stringify(t)} is neither produced in the graph nor one of the given inputs`,
      );
    if (keep.has(p)) continue;
    keep.add(p);
    stack.push(...nodeInputs(p));
  }
  const infos = new Map<string, ValueInfoProto>();
  for (const v of [...graph.input, ...graph.valueInfo, ...graph.output]) infos.set(v.name, v);
  const vi = (name: string): ValueInfoProto => infos.get(name) ?? create(ValueInfoProtoSchema, { name });
  const sub = create(GraphProtoSchema, {
    name: spec.name ?? `${graph.name}-extract`,
    node: graph.node.filter((n) => keep.has(n)),
    initializer: graph.initializer.filter((t) => needInit.has(t.name)),
    input: [...stopAt].filter((n) => seen.has(n)).map(vi),
    output: spec.outputs.map(vi),
    valueInfo: graph.valueInfo.filter((v) => seen.has(v.name) && !stopAt.has(v.name)),
  });
  return sub;
}

/** Renames tensor `from` to `to` everywhere: producers, consumers (also inside subgraphs), IO, value_info, initializers. */
export function renameTensor(graph: GraphProto, from: string, to: string): void {
  const swap = (s: string) => (s === from ? to : s);
  for (const n of graph.node) {
    n.input = n.input.map(swap);
    n.output = n.output.map(swap);
    for (const sg of subgraphsOf(n)) {
      // Only outer-scope references are renamed inside a subgraph; a local redefinition shadows.
      if (outerScopeReferences(sg).has(from)) renameTensor(sg, from, to);
    }
  }
  for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) v.name = swap(v.name);
  for (const t of graph.initializer) t.name = swap(t.name);
}

/**
 * Structural checks: every node input is defined (graph input, initializer, earlier node output or
 * outer scope), every graph output is produced, no tensor has two producers, node names unique.
 * @throws EdgeError E_ONNX_INVALID listing the first problems found
 */
export function validateGraph(graph: GraphProto, where: { file?: string; outer?: Set<string> } = {}): void {
  const problems: string[] = [];
  const defined = new Set<string>([
    ...(where.outer ?? []),
    ...graph.input.map((v) => v.name),
    ...graph.initializer.map((t) => t.name),
  ]);
  const names = new Set<string>();
  for (const n of graph.node) {
    for (const i of n.input)
      if (i && !defined.has(i))
        problems.push(
          `node ${JSON.stringify(n.name || n.opType)} reads ${JSON.stringify(i)} before anything defines it`,
        );
    for (const sg of subgraphsOf(n)) {
      try {
        validateGraph(sg, { ...where, outer: new Set([...defined, ...n.output]) });
      } catch (err) {
        problems.push(`in a subgraph of ${JSON.stringify(n.name || n.opType)}: ${(err as Error).message}`);
      }
    }
    for (const o of n.output) {
      if (!o) continue;
      if (defined.has(o) && !where.outer?.has(o)) problems.push(`tensor ${JSON.stringify(o)} is defined twice`);
      defined.add(o);
    }
    if (n.name) {
      if (names.has(n.name)) problems.push(`node name ${JSON.stringify(n.name)} is used twice`);
      names.add(n.name);
    }
  }
  for (const o of graph.output)
    if (!defined.has(o.name)) problems.push(`graph output ${JSON.stringify(o.name)} is never produced`);
  if (problems.length) {
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new EdgeError(
      'E_ONNX_INVALID',
      `graph ${JSON.stringify(graph.name)}: ${problems.slice(0, 5).join('; ')}${more}`,
      where.file !== undefined ? { file: where.file } : {},
    );
  }
}

/**
 * Turns Constant nodes holding a tensor (`value` attribute) into initializers, so their data can
 * live in external files. Returns how many were lifted.
 */
export function liftConstantsToInitializers(graph: GraphProto, minBytes = 0): number {
  let lifted = 0;
  const kept: NodeProto[] = [];
  for (const n of graph.node) {
    const value = n.opType === 'Constant' && n.domain === '' && n.attribute.length === 1 ? n.attribute[0] : undefined;
    if (
      value?.name === 'value' &&
      value.t &&
      n.output.length === 1 &&
      (value.t.rawData.length >= minBytes || minBytes === 0)
    ) {
      value.t.name = n.output[0]!;
      graph.initializer.push(value.t);
      lifted++;
    } else kept.push(n);
  }
  graph.node = kept;
  return lifted;
}
