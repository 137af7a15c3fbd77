/**
 * FP16 packages: every float32 weight is stored as float16 (half the bytes) and read through a
 * Cast to float32, so the graph's types and outputs are unchanged. onnxruntime (CPU) folds the
 * casts when it loads the graph; TensorRT folds them into constants and, built with FP16 enabled
 * (weakly typed networks, TensorRT ≤ 10), chooses half-precision kernels itself. A strongly typed
 * build (TensorRT 11, optional in 10.x) follows the graph's types and so computes in float32: see
 * docs/quantization.md.
 */
import { attr } from '../onnx/builder.js';
import { AttributeProtoSchema, DataType, create, type GraphProto, type NodeProto } from '../onnx/proto.js';
import { appendNodes, makeNode, type ClusterTracker } from './graph-edit.js';

/** Tensor name the Cast of a half weight writes. */
export const castName = (weight: string) => `${weight}::f32`;

/**
 * Inserts a Cast after every float16 initializer and re-routes its readers.
 * @returns the number of casts added
 */
export function castHalfInitializers(graph: GraphProto, tracker: ClusterTracker): number {
  const half = new Set(graph.initializer.filter((t) => t.dataType === DataType.FLOAT16).map((t) => t.name));
  const to = create(AttributeProtoSchema, { ...(attr.i(DataType.FLOAT) as object), name: 'to' });
  const added: NodeProto[] = [];
  const used = new Set<string>();
  for (const n of graph.node) {
    n.input = n.input.map((i) => {
      if (!half.has(i)) return i;
      used.add(i);
      tracker.serve(n.name, [`${i}::Cast`]);
      return castName(i);
    });
  }
  for (const w of used) added.push(makeNode(`${w}::Cast`, 'Cast', [w], [castName(w)], [to]));
  appendNodes(graph, added);
  return added.length;
}
