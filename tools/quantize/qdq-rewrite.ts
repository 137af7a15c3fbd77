/**
 * Writes a Q/DQ plan into a graph: each planned activation gets one QuantizeLinear →
 * DequantizeLinear pair (per-tensor scale, int8 zero point 0) read by the planned nodes only (other
 * readers, such as a router reading the same tokens, keep the float tensor); each planned weight,
 * now stored as int8 with per-channel scales, is read through one DequantizeLinear (axis = output
 * channels). Opset ≥ 13 (per-axis DequantizeLinear).
 */
import { EdgeError } from '../../sdk/internal.js';
import { attr, inlineTensor } from '../onnx/builder.js';
import type { GraphProto, NodeProto } from '../onnx/proto.js';
import { AttributeProtoSchema, create } from '../onnx/proto.js';
import type { StoredTensor } from '../package/weight-store.js';
import {
  addInlineInitializer,
  addStoredInitializer,
  appendNodes,
  makeNode,
  type ClusterTracker,
} from './graph-edit.js';
import type { QdqPlan } from './qdq-plan.js';

/** Name of the per-channel scale tensor stored beside an INT8 weight. */
export const weightScaleName = (weight: string) => `${weight}::scale`;
const ZERO_POINT = 'qdq::zero_point.int8';

function axisAttr(axis: number) {
  return create(AttributeProtoSchema, { ...(attr.i(axis) as object), name: 'axis' });
}

/**
 * Rewrites `graph` in place.
 * @param activationScales scale (threshold / 127, > 0) per planned activation
 * @param stored the new weight store's records (int8 weights and their scales)
 */
export function applyQdqPlan(
  graph: GraphProto,
  plan: QdqPlan,
  activationScales: Map<string, number>,
  stored: Map<string, StoredTensor>,
  tracker: ClusterTracker,
): { qPairs: number; weightDq: number } {
  const present = new Set(graph.initializer.map((t) => t.name));
  const byName = new Map<string, NodeProto>(graph.node.map((n) => [n.name, n]));
  const added: NodeProto[] = [];
  addInlineInitializer(graph, inlineTensor(ZERO_POINT, 'int8', [], Int8Array.of(0)), present);
  const actDq = new Map<string, string>();
  for (const t of plan.activations) {
    const scale = activationScales.get(t);
    if (scale === undefined || !(scale > 0) || !Number.isFinite(scale))
      throw new EdgeError('E_INTERNAL', `no usable scale for activation ${t}`);
    const s = addInlineInitializer(graph, inlineTensor(`${t}::scale`, 'float32', [], Float32Array.of(scale)), present);
    added.push(makeNode(`${t}::QuantizeLinear`, 'QuantizeLinear', [t, s, ZERO_POINT], [`${t}::q`]));
    added.push(makeNode(`${t}::DequantizeLinear`, 'DequantizeLinear', [`${t}::q`, s, ZERO_POINT], [`${t}::dq`]));
    actDq.set(t, `${t}::dq`);
  }
  const weightDq = new Map<string, string>();
  for (const [w, axis] of plan.weights) {
    const scale = stored.get(weightScaleName(w));
    if (!scale) throw new EdgeError('E_INTERNAL', `weight ${w} has no stored scales`);
    addStoredInitializer(graph, scale, present);
    // A scalar scale is a per-tensor weight (graphs below opset 13, whose DequantizeLinear has no axis).
    added.push(
      makeNode(
        `${w}::DequantizeLinear`,
        'DequantizeLinear',
        [w, scale.name],
        [`${w}::dq`],
        scale.dims.length === 0 ? [] : [axisAttr(axis)],
      ),
    );
    weightDq.set(w, `${w}::dq`);
  }
  for (const q of plan.quantized) {
    const n = byName.get(q.node);
    if (!n) throw new EdgeError('E_INTERNAL', `planned node ${q.node} is not in the graph`);
    n.input[0] = actDq.get(q.activation)!;
    n.input[1] = weightDq.get(q.weight)!;
    tracker.serve(q.node, [
      `${q.activation}::QuantizeLinear`,
      `${q.activation}::DequantizeLinear`,
      `${q.weight}::DequantizeLinear`,
    ]);
  }
  appendNodes(graph, added);
  return { qPairs: actDq.size, weightDq: weightDq.size };
}
