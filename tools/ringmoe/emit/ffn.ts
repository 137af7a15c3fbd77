/**
 * The expert FFN, Linear(d→h) → GELU → Linear(h→d), emitted from existing initializers.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import type { FfnTensors } from '../../../sdk/internal.js';

/** Exact GELU, 0.5·x·(1 + erf(x/√2)) (runtimes fuse the pattern into one kernel). */
export function gelu(b: GraphBuilder, x: string): string {
  const e = b.op('Erf', [b.op('Div', [x, b.float(Math.SQRT2)])]);
  return b.op('Mul', [b.op('Mul', [x, b.op('Add', [e, b.float(1)])]), b.float(0.5)]);
}

/** y = GELU(x·W1 + b1)·W2 + b2, weights stored [in, out]. */
export function ffn(b: GraphBuilder, x: string, t: FfnTensors): string {
  const h = gelu(b, b.op('Add', [b.op('MatMul', [x, t.fc1Weight]), t.fc1Bias]));
  return b.op('Add', [b.op('MatMul', [h, t.fc2Weight]), t.fc2Bias]);
}
