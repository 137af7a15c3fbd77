/**
 * The `cpu-dynamic` INT8 format: the weighted MatMuls of a Q/DQ plan become integer products whose
 * activations are quantized at run time, in standard ONNX operators that onnxruntime's CPU graph
 * optimiser fuses into its integer kernels:
 *
 *   x ─► DynamicQuantizeLinear ─► (x_q uint8, x_scale, x_zero)
 *   MatMulInteger(x_q, W int8, x_zero) ─► Cast(float) ─► Mul(·, Mul(x_scale, W_scale)) [─► Add(bias)]
 *
 * fused into MatMulIntegerToFloat (and, where the quantized tensor feeds one product only, with
 * its DynamicQuantizeLinear into DynamicQuantizeMatMul). Weights are int8, symmetric, one scale
 * per output column (the weight store's per-channel scales, axis 1); activations are uint8,
 * asymmetric, with their range taken from each tensor at run time, so no calibration is needed.
 * Products sharing an input share one DynamicQuantizeLinear.
 *
 * Only MatMul nodes with a 2-D weight take part (their weight is [K, N], columns = output
 * channels); Gemm and Conv nodes of the plan stay float and are reported by the caller.
 */
import { EdgeError } from '../../sdk/internal.js';
import { attr } from '../onnx/builder.js';
import { AttributeProtoSchema, DataType, create, type GraphProto, type NodeProto } from '../onnx/proto.js';
import type { StoredTensor } from '../package/weight-store.js';
import { addStoredInitializer, appendNodes, makeNode, type ClusterTracker } from './graph-edit.js';
import type { QdqPlan } from './qdq-plan.js';
import { weightScaleName } from './qdq-rewrite.js';

/** What the rewrite did, for the report. */
export interface DynamicRewriteSummary {
  /** MatMuls now computed in integers. */
  products: number;
  /** DynamicQuantizeLinear nodes (one per distinct activation). */
  quantizers: number;
}

/**
 * Rewrites `graph` in place.
 * @param stored the new weight store's records (int8 weights and their per-column scales)
 * @throws EdgeError E_INTERNAL when a planned node or a weight's scales are missing (a plan that
 *   does not belong to this graph)
 */
export function applyDynamicPlan(
  graph: GraphProto,
  plan: QdqPlan,
  stored: Map<string, StoredTensor>,
  tracker: ClusterTracker,
): DynamicRewriteSummary {
  const present = new Set(graph.initializer.map((t) => t.name));
  const byName = new Map<string, NodeProto>(graph.node.map((n) => [n.name, n]));
  const added: NodeProto[] = [];
  const quantizers = new Map<string, { q: string; scale: string; zero: string; node: string }>();
  const keep = new Set<NodeProto>();
  for (const p of plan.quantized) {
    const n = byName.get(p.node);
    if (!n) throw new EdgeError('E_INTERNAL', `planned node ${p.node} is not in the graph`);
    if (p.op !== 'MatMul') continue;
    const scale = stored.get(weightScaleName(p.weight));
    if (!scale) throw new EdgeError('E_INTERNAL', `weight ${p.weight} has no stored scales`);
    addStoredInitializer(graph, scale, present);
    let dq = quantizers.get(p.activation);
    if (!dq) {
      const base = `${p.activation}::DynamicQuantizeLinear`;
      dq = {
        q: `${p.activation}::u8`,
        scale: `${p.activation}::u8_scale`,
        zero: `${p.activation}::u8_zero`,
        node: base,
      };
      added.push(makeNode(base, 'DynamicQuantizeLinear', [p.activation], [dq.q, dq.scale, dq.zero]));
      quantizers.set(p.activation, dq);
    }
    const out = n.output[0]!;
    const names = {
      integer: `${p.node}::MatMulInteger`,
      cast: `${p.node}::Cast`,
      scale: `${p.node}::ScaleMul`,
      // The last node keeps the MatMul's name and output, so every reader (the bias Add
      // included) and the package's MoE cluster records stay true.
      mul: p.node,
    };
    added.push(makeNode(names.integer, 'MatMulInteger', [dq.q, p.weight, dq.zero], [`${p.node}::i32`]));
    added.push(makeNode(names.cast, 'Cast', [`${p.node}::i32`], [`${p.node}::f32`], [castTo(DataType.FLOAT)]));
    added.push(makeNode(names.scale, 'Mul', [dq.scale, scale.name], [`${p.node}::scale`]));
    added.push(makeNode(names.mul, 'Mul', [`${p.node}::f32`, `${p.node}::scale`], [out]));
    tracker.serve(p.node, [dq.node, names.integer, names.cast, names.scale]);
    keep.add(n);
  }
  graph.node = graph.node.filter((n) => !keep.has(n));
  appendNodes(graph, added);
  return { products: keep.size, quantizers: quantizers.size };
}

function castTo(type: DataType) {
  return create(AttributeProtoSchema, { ...(attr.i(type) as object), name: 'to' });
}
