/**
 * Sparse (gather → expert → scatter) vs dense (every expert on every token, one-hot combine)
 * lowering of ringmoe-small, one modality, same weights, same inputs, same run.
 */
import { join } from 'node:path';
import { openPackage } from '../../sdk/package/open-package.js';
import { OrtBackend } from '../../sdk/runtime/backends/ort.js';
import { randomFeeds } from '../helpers/packages.js';
import { benchPackage, interleave, median, type Bench } from './harness.js';

export const bench: Bench = {
  name: 'sparse-vs-dense',
  description: 'ringmoe-small, optical entry: latency of the sparse lowering vs the dense lowering (onnxruntime CPU)',
  async run(log) {
    const sparseDir = await benchPackage('ringmoe-small', { lowering: 'sparse' }, log);
    const denseDir = await benchPackage('ringmoe-small', { lowering: 'dense' }, log);
    const entry = (await openPackage(sparseDir, { verify: 'size' })).entry('optical');
    const backend = new OrtBackend();
    const sparse = await backend.load({ graphPath: join(sparseDir, entry.graph) });
    const dense = await backend.load({ graphPath: join(denseDir, entry.graph) });
    const results = [];
    for (const batch of [1, 4]) {
      const feeds = randomFeeds(entry, batch, 11);
      const samples = await interleave(
        { sparse: () => sparse.run(feeds), dense: () => dense.run(feeds) },
        batch === 1 ? 15 : 7,
      );
      const s = median(samples.sparse!);
      const d = median(samples.dense!);
      log(
        `batch ${batch}: sparse median ${s.toFixed(1)} ms, dense median ${d.toFixed(1)} ms, dense/sparse ${(d / s).toFixed(2)}x`,
      );
      results.push({
        name: `sparse-vs-dense (batch ${batch})`,
        ratio: { label: 'dense latency / sparse latency (>1: sparse routing is faster)', value: d / s },
        metrics: { sparseMedianMs: s, denseMedianMs: d, rounds: samples.sparse!.length, batch },
      });
    }
    await sparse.dispose();
    await dense.dispose();
    return results;
  },
};
