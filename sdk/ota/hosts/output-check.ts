/**
 * Checks a model's outputs against its entry's documented contract: every output present, the
 * documented shape (symbolic dimensions free), and finite values in float outputs. A model that
 * loads and runs but produces NaN is as broken as one that crashes.
 */
import type { EntryManifest } from '../../package/package-manifest.js';
import type { HostTensor } from '../../core/host-tensor.js';

/**
 * The first problem with `outputs`, or undefined when they meet the contract.
 * @example
 * const problem = outputProblem(entry, await session.run(feeds));
 */
export function outputProblem(entry: EntryManifest, outputs: Record<string, HostTensor>): string | undefined {
  for (const spec of entry.outputs) {
    const t = outputs[spec.name];
    if (!t) return `output ${spec.name} is missing`;
    if (t.shape.length !== spec.shape.length || spec.shape.some((d, i) => typeof d === 'number' && d !== t.shape[i])) {
      return `output ${spec.name} has shape [${t.shape.join(', ')}], documented [${spec.shape.join(', ')}]`;
    }
    if (t.dtype === 'float32') {
      const data = t.data as Float32Array;
      for (let i = 0; i < data.length; i++) {
        if (!Number.isFinite(data[i]!)) return `output ${spec.name} holds ${data[i]} at index ${i}`;
      }
    }
  }
  return undefined;
}
