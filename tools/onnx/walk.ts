/**
 * Visiting a graph and all its subgraphs (If/Loop/Scan bodies and any other graph attribute).
 */
import type { GraphProto, NodeProto } from './proto.js';

/**
 * Calls `visit` for `graph` and then for every subgraph, depth first. `path` names the subgraph by
 * the chain of node name and attribute that holds it (`""` for the main graph).
 */
export function forEachGraph(graph: GraphProto, visit: (g: GraphProto, path: string) => void, path = ''): void {
  visit(graph, path);
  for (const node of graph.node) {
    for (const attr of node.attribute) {
      const label = `${path}${path ? '/' : ''}${node.name || node.opType}.${attr.name}`;
      if (attr.g) forEachGraph(attr.g, visit, label);
      attr.graphs.forEach((g, i) => forEachGraph(g, visit, `${label}[${i}]`));
    }
  }
}

/** The subgraphs directly held by a node's attributes. */
export function subgraphsOf(node: NodeProto): GraphProto[] {
  const out: GraphProto[] = [];
  for (const attr of node.attribute) {
    if (attr.g) out.push(attr.g);
    out.push(...attr.graphs);
  }
  return out;
}
