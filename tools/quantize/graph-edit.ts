/**
 * Graph edits shared by the INT8 and FP16 rewrites: point initializers at the new weight files,
 * add nodes, re-route chosen consumers to a new tensor, and keep the package's MoE cluster records
 * (which nodes belong to which expert) true after nodes are added.
 */
import type { MoeClusterRecord } from '../../sdk/internal.js';
import { externalTensor } from '../onnx/builder.js';
import { sortTopologically } from '../onnx/graph.js';
import {
  NodeProtoSchema,
  create,
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
} from '../onnx/proto.js';
import { externalInfo } from '../onnx/tensor-data.js';
import type { StoredTensor } from '../package/weight-store.js';

/** Replaces every external initializer by the stored record of the same name (new file, offset, type). */
export function pointAtStore(graph: GraphProto, stored: Map<string, StoredTensor>): void {
  graph.initializer = graph.initializer.map((t) => {
    if (!externalInfo(t)) return t;
    const s = stored.get(t.name);
    return s ? externalTensor(s.name, s.dtype, s.dims, s) : t;
  });
}

/** Adds an initializer for a stored tensor (e.g. a weight's scales) unless present. */
export function addStoredInitializer(graph: GraphProto, s: StoredTensor, present: Set<string>): string {
  if (!present.has(s.name)) {
    graph.initializer.push(externalTensor(s.name, s.dtype, s.dims, s));
    present.add(s.name);
  }
  return s.name;
}

/** Adds an inline initializer unless present. */
export function addInlineInitializer(graph: GraphProto, t: TensorProto, present: Set<string>): string {
  if (!present.has(t.name)) {
    graph.initializer.push(t);
    present.add(t.name);
  }
  return t.name;
}

/** A node; `attrs` are ready AttributeProtos (with names). */
export function makeNode(
  name: string,
  opType: string,
  inputs: string[],
  outputs: string[],
  attribute: AttributeProto[] = [],
): NodeProto {
  return create(NodeProtoSchema, { name, opType, domain: '', input: inputs, output: outputs, attribute });
}

/**
 * Records who consumes what so added nodes can join the MoE cluster (and expert) of the node
 * they serve.
 */
export class ClusterTracker {
  private readonly added = new Map<string, string[]>();

  /** Notes that `nodes` were added to serve `consumer`. */
  serve(consumer: string, nodes: string[]): void {
    const list = this.added.get(consumer) ?? [];
    for (const n of nodes) if (!list.includes(n)) list.push(n);
    this.added.set(consumer, list);
  }

  /** Cluster records with added nodes placed beside the nodes they serve. */
  update(records: MoeClusterRecord[] | undefined): MoeClusterRecord[] | undefined {
    if (!records) return records;
    return records.map((r) => {
      const inCluster = new Set(r.nodes);
      const extra = [...this.added].filter(([c]) => inCluster.has(c)).flatMap(([, n]) => n);
      const owners = Object.fromEntries(
        Object.entries(r.owners).map(([id, nodes]) => {
          const own = new Set(nodes);
          return [
            id,
            [
              ...nodes,
              ...[...this.added]
                .filter(([c]) => own.has(c))
                .flatMap(([, n]) => n)
                .filter((n) => !own.has(n)),
            ],
          ];
        }),
      );
      return { ...r, nodes: [...r.nodes, ...extra.filter((n) => !inCluster.has(n))], owners };
    });
  }
}

/** Appends nodes and restores topological order. */
export function appendNodes(graph: GraphProto, nodes: NodeProto[]): void {
  graph.node.push(...nodes);
  sortTopologically(graph);
}
