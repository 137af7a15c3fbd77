/**
 * The hierarchical MoE layer of one block, lowered to ONNX from existing initializers. Used by the
 * reference generator and by the pruner, which re-emits a block's layer with fewer or merged
 * experts between the same input and output tensors.
 *
 * Sparse lowering (default): per routed group, ArgMax over the router logits picks one expert per
 * token; for each expert, Equal → NonZero → Gather selects its tokens and the FFN runs on those
 * only; one ScatterND per group writes the concatenated results back in token order — compute
 * grows with active experts, not total, and the dispatch costs one scatter per group, not one
 * per expert.
 * Dense lowering: every expert runs on every token and a one-hot mask of the router choice
 * combines them (static shapes, for engines without data-dependent shapes).
 * The top-1 combine weight is 1.0 (as in the released code), so both lowerings compute the same
 * values. ArgMax over logits equals ArgMax over softmax probabilities, so no Softmax is emitted.
 */
import { attr, type GraphBuilder } from '../../onnx/builder.js';
import type { FfnTensors, MoeClusterRecord } from '../../../sdk/internal.js';
import type { ModalityId } from '../../../sdk/internal.js';
import { ffn } from './ffn.js';

/**
 * Revision of the sparse lowering's graph; raised whenever its nodes change, so caches of generated
 * packages (the benchmarks') key on it. 1: a GatherND and a ScatterND per expert; 2: a Gather per
 * expert and one ScatterND per routed group.
 */
export const SPARSE_LOWERING_REVISION = 2;

export interface MoeExpertSpec {
  id: string;
  tensors: FfnTensors;
}

/** A group of experts; with more than one expert a bias-free top-1 router picks one per token. */
export interface MoeGroupSpec {
  router?: { id: string; weight: string };
  experts: MoeExpertSpec[];
}

export interface MoeClusterSpec {
  block: string;
  groups: MoeGroupSpec[];
}

/**
 * Emits the MoE between `input` ([T, D] tokens) and a new output tensor (sum over groups).
 * @returns the output tensor and the cluster record for the expert map
 */
export function emitMoe(
  b: GraphBuilder,
  spec: MoeClusterSpec,
  input: string,
  lowering: 'sparse' | 'dense',
  pass: ModalityId,
): { output: string; record: MoeClusterRecord } {
  const owners: Record<string, string[]> = {};
  const routerOutputs: Record<string, string> = {};
  const own = (id: string, nodes: string[]) => (owners[id] = [...(owners[id] ?? []), ...nodes]);
  const { value: output, nodes } = b.capture(() =>
    b.scope('moe', () => {
      const groupOutputs = spec.groups.map((group, gi) => {
        if (group.experts.length === 1 && !group.router) {
          const only = group.experts[0]!;
          const r = b.capture(() => b.scope(only.id.split('.').slice(2).join('.'), () => ffn(b, input, only.tensors)));
          own(only.id, r.nodes);
          return r.value;
        }
        if (!group.router)
          throw new Error(`MoE group ${gi} of ${spec.block} has ${group.experts.length} experts and no router`);
        const router = group.router;
        const routed = b.capture(() =>
          b.scope(router.id.split('.').slice(2).join('.'), () =>
            b.op('ArgMax', [b.op('MatMul', [input, router.weight])], { axis: attr.i(1), keepdims: attr.i(0) }),
          ),
        );
        own(router.id, routed.nodes);
        const choice = routed.value;
        routerOutputs[router.id] = choice;
        if (lowering === 'dense') {
          const parts = group.experts.map((e, k) => {
            const r = b.capture(() =>
              b.scope(e.id.split('.').slice(2).join('.'), () => {
                const mask = b.op('Cast', [b.op('Unsqueeze', [b.op('Equal', [choice, b.int64(k)]), b.int64s([1])])], {
                  to: attr.i(1),
                });
                return b.op('Mul', [ffn(b, input, e.tensors), mask]);
              }),
            );
            own(e.id, r.nodes);
            return r.value;
          });
          return parts.length === 1 ? parts[0]! : b.op('Sum', parts);
        }
        // Per expert: Equal → NonZero (the data-dependent shape TensorRT ≥ 8.5 builds) → Gather of its
        // tokens → FFN. The group's outputs are concatenated and written back by one ScatterND.
        const tokens: string[] = [];
        const outputs: string[] = [];
        group.experts.forEach((e, k) => {
          const r = b.capture(() =>
            b.scope(e.id.split('.').slice(2).join('.'), () => {
              const idx = b.op('Reshape', [b.op('NonZero', [b.op('Equal', [choice, b.int64(k)])]), b.int64s([-1])]);
              return { idx, y: ffn(b, b.op('Gather', [input, idx], { axis: attr.i(0) }), e.tensors) };
            }),
          );
          own(e.id, r.nodes);
          tokens.push(r.value.idx);
          outputs.push(r.value.y);
        });
        const concat = (xs: string[]) => (xs.length === 1 ? xs[0]! : b.op('Concat', xs, { axis: attr.i(0) }));
        // The router's ArgMax gives every token exactly one of the group's experts (a pruned router
        // is sliced to the experts kept), so the token lists together are a permutation of 0..T-1 and
        // the scatter overwrites every row of its data input: no zero tensor is needed.
        return b.op('ScatterND', [input, b.op('Unsqueeze', [concat(tokens), b.int64s([1])]), concat(outputs)]);
      });
      return groupOutputs.length === 1 ? b.op('Identity', [groupOutputs[0]!]) : b.op('Sum', groupOutputs);
    }),
  );
  return { output, record: { block: spec.block, pass, input, output, lowering, nodes, owners, routerOutputs } };
}
