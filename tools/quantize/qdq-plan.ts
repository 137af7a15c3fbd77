/**
 * Where explicit INT8 goes in a graph (pure: graph in, plan out). Q/DQ pairs are placed the way
 * TensorRT's explicit quantization expects: on the inputs of weighted MatMul / Gemm / Conv nodes
 * (activation: per-tensor; weight: per output channel, zero point 0), never on their outputs.
 *
 * What stays float, and why:
 * - routers (the MatMul before each ArgMax, named by the package's expert map): they decide which
 *   expert a token reaches; kept float so a routing decision is exactly what fp32 would decide on
 *   the same token, and they are d×4 products: nothing to gain;
 * - first layers (weighted nodes fed from a graph input without a weighted node in between: the
 *   patch embeddings): they see raw sensor radiometry, which differs most between modalities;
 * - last layers (weighted nodes with no weighted node downstream: classifier, segmentation,
 *   depth, detection and change outputs): small, and they write the values users read;
 * - activation × activation products (attention q·kᵀ and attention·v) and everything that is not
 *   a weighted product: LayerNorm, Softmax, GELU, ArgMax, the top-k, resizes.
 */
import type { GraphProto, NodeProto, TensorProto } from '../onnx/proto.js';
import { DataType } from '../onnx/proto.js';
import { GraphIndex, topologicalOrder } from '../onnx/graph.js';

export type SkipReason =
  'router' | 'first-layer' | 'last-layer' | 'weight-not-float' | 'shared-weight-conflict' | 'not-matmul';

/** One weighted node that gets Q/DQ on both inputs. */
export interface QuantizedNode {
  node: string;
  op: 'MatMul' | 'Gemm' | 'Conv';
  /** Activation tensor (input 0). */
  activation: string;
  /** Weight initializer (input 1). */
  weight: string;
  /** Per-channel axis of the weight: the output channels. */
  axis: number;
}

export interface SkippedNode {
  node: string;
  op: string;
  weight: string;
  reason: SkipReason;
}

export interface QdqPlan {
  quantized: QuantizedNode[];
  skipped: SkippedNode[];
  /** Distinct activation tensors that get one Q/DQ pair each. */
  activations: string[];
  /** Distinct weights quantized (name → axis). */
  weights: Map<string, number>;
}

const WEIGHTED = new Set(['MatMul', 'Gemm', 'Conv']);

function weightOf(n: NodeProto, inits: Map<string, TensorProto>): TensorProto | undefined {
  if (n.domain !== '' || !WEIGHTED.has(n.opType)) return undefined;
  const w = inits.get(n.input[1] ?? '');
  if (!w) return undefined;
  const rank = w.dims.length;
  if (n.opType === 'Conv' ? rank < 3 : rank !== 2) return undefined;
  return w;
}

function axisOf(n: NodeProto): number {
  if (n.opType === 'Conv') return 0;
  if (n.opType === 'Gemm') return n.attribute.some((a) => a.name === 'transB' && a.i === 1n) ? 0 : 1;
  return 1;
}

/**
 * Plans Q/DQ for one graph.
 * @param routerWeights weight names of routers (from the package's expert map), kept float
 */
export function planQdq(graph: GraphProto, routerWeights: ReadonlySet<string>): QdqPlan {
  const index = new GraphIndex(graph);
  const inits = index.initializers;
  const order = topologicalOrder(graph);
  const weighted = new Set(order.filter((n) => weightOf(n, inits) && !routerWeights.has(n.input[1]!)));
  // Forward: does a weighted node lie upstream of a tensor?
  const fromWeighted = new Set<string>();
  for (const n of order) {
    const flagged = weighted.has(n) || n.input.some((i) => fromWeighted.has(i));
    if (flagged) for (const o of n.output) if (o) fromWeighted.add(o);
  }
  // Backward: does a weighted node lie downstream of a tensor?
  const toWeighted = new Set<string>();
  for (const n of [...order].reverse()) {
    if (weighted.has(n) || n.output.some((o) => toWeighted.has(o)))
      for (const i of n.input) if (i && !inits.has(i)) toWeighted.add(i);
  }
  const quantized: QuantizedNode[] = [];
  const skipped: SkippedNode[] = [];
  for (const n of order) {
    const w = weightOf(n, inits);
    if (!w) continue;
    const base = { node: n.name || n.output[0]!, op: n.opType, weight: w.name };
    if (routerWeights.has(w.name)) skipped.push({ ...base, reason: 'router' });
    else if (w.dataType !== DataType.FLOAT) skipped.push({ ...base, reason: 'weight-not-float' });
    else if (!fromWeighted.has(n.input[0]!)) skipped.push({ ...base, reason: 'first-layer' });
    else if (!n.output.some((o) => toWeighted.has(o))) skipped.push({ ...base, reason: 'last-layer' });
    else
      quantized.push({
        node: base.node,
        op: n.opType as QuantizedNode['op'],
        activation: n.input[0]!,
        weight: w.name,
        axis: axisOf(n),
      });
  }
  return finish(quantized, skipped);
}

function finish(quantized: QuantizedNode[], skipped: SkippedNode[]): QdqPlan {
  const weights = new Map<string, number>();
  for (const q of quantized) weights.set(q.weight, q.axis);
  return { quantized, skipped, activations: [...new Set(quantized.map((q) => q.activation))], weights };
}

/**
 * Makes the plans of all graphs of a package agree on weights: graphs share weight files, so a
 * weight is stored as INT8 only if every graph that reads it as a weight quantizes it (with the
 * same axis); elsewhere the node stays float and is reported as `shared-weight-conflict`.
 */
export function reconcilePlans(plans: QdqPlan[]): QdqPlan[] {
  const veto = new Set<string>();
  const axes = new Map<string, number>();
  for (const p of plans) {
    for (const s of p.skipped) if (s.reason !== 'weight-not-float') veto.add(s.weight);
    for (const q of p.quantized) {
      const a = axes.get(q.weight);
      if (a !== undefined && a !== q.axis) veto.add(q.weight);
      axes.set(q.weight, q.axis);
    }
  }
  return plans.map((p) => {
    const keep = p.quantized.filter((q) => !veto.has(q.weight));
    const moved: SkippedNode[] = p.quantized
      .filter((q) => veto.has(q.weight))
      .map((q) => ({ node: q.node, op: q.op, weight: q.weight, reason: 'shared-weight-conflict' }));
    return finish(keep, [...p.skipped, ...moved]);
  });
}
