/**
 * The graph onnxruntime actually runs on the CPU: a session is created with the runtime's
 * optimisation level (`all`) and `optimizedModelFilePath` in a temporary directory, the optimised
 * ONNX is read back with tools/onnx, and its nodes are counted by type. This is where an INT8
 * format shows whether its Q/DQ or integer pattern was fused (MatMulIntegerToFloat,
 * DynamicQuantizeMatMul, QLinearMatMul, ...) or left as float arithmetic around casts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { readModel } from '../onnx/model-io.js';

/** Node counts of an optimised graph. */
export interface OptimizedGraph {
  /** Node type → count, most frequent first; contrib operators carry their domain (`com.microsoft.`). */
  nodeTypes: Record<string, number>;
  /** Nodes in the optimised graph (top level). */
  nodes: number;
}

/** What creates the session (onnxruntime-node's, injectable for tests). */
export type SessionFactory = (
  graphPath: string,
  options: import('onnxruntime-node').InferenceSession.SessionOptions,
) => Promise<{ release(): Promise<void> }>;

const ortSession: SessionFactory = async (graphPath, options) => {
  const { InferenceSession } = await import('onnxruntime-node');
  return InferenceSession.create(graphPath, options);
};

/** Node type → count, most frequent first, then by name. */
export function countNodeTypes(nodes: readonly { opType: string; domain: string }[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const n of nodes) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/**
 * Optimises `graphPath` as the runtime's CPU session does and counts the node types of the result.
 * Weights of the optimised copy go to a file beside it (not into the protobuf), so reading it back
 * costs the graph, not the weights.
 * @throws EdgeError E_BACKEND_INIT when onnxruntime cannot load or optimise the graph; the
 *   tools/onnx read codes (E_ONNX_PARSE, ...) when the optimised file cannot be read
 */
export async function optimizedNodeTypes(
  graphPath: string,
  createSession: SessionFactory = ortSession,
): Promise<OptimizedGraph> {
  const dir = await mkdtemp(join(tmpdir(), 'ringmoe-edge-optimized-'));
  try {
    const out = join(dir, 'optimized.onnx');
    let session: { release(): Promise<void> };
    try {
      session = await createSession(graphPath, {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        optimizedModelFilePath: out,
        logSeverityLevel: 3,
        extra: {
          session: {
            optimized_model_external_initializers_file_name: 'optimized.weights',
            optimized_model_external_initializers_min_size_in_bytes: '1024',
          },
        },
      });
    } catch (err) {
      throw new EdgeError('E_BACKEND_INIT', `onnxruntime could not optimise the graph: ${messageOf(err)}`, {
        file: graphPath,
        cause: err,
      });
    }
    await session.release();
    const model = await readModel(out);
    const nodes = model.proto.graph?.node ?? [];
    return { nodeTypes: countNodeTypes(nodes), nodes: nodes.length };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
