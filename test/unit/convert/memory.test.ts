import test from 'ava';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint } from '../../../tools/convert/open.js';
import { planConversion } from '../../../tools/convert/plan.js';
import { CheckpointSource } from '../../../tools/convert/source.js';
import { resolveConfig } from '../../../tools/ringmoe/config.js';
import { releasedShapes, writeSparseCheckpoint } from '../../helpers/sparse-checkpoint.js';
import { tempDir } from '../../helpers/packages.js';

// embedDim 128, depths [2, 2, 6, 2], 4+4+1 experts: 1.16 GB of float32 weights in one checkpoint.
const BIG = resolveConfig({
  base: 'ringmoe-small',
  name: 'big-sparse',
  embedDim: 128,
  heads: [4, 8, 16, 32],
  modalities: ['optical'],
  fusion: [],
  change: [],
});

for (const format of ['safetensors', 'ckpt'] as const) {
  test(`${format}: every package tensor of a 1.16 GB checkpoint is read through the weight source with memory bounded by the largest tensor, not the file`, (t) => {
    const file = join(tempDir('big'), `big.${format}`);
    const declared = writeSparseCheckpoint(file, format, releasedShapes(BIG));
    const size = statSync(file).size;
    t.true(declared >= 1e9, `${declared} bytes declared`);
    const reader = openCheckpoint(file);
    t.teardown(() => reader.close());
    const plan = planConversion(reader.index(), { config: BIG, allowUntrainedHeads: true });
    const source = new CheckpointSource(reader, plan);
    const before = process.memoryUsage().rss;
    let largest = 0;
    let peak = before;
    let read = 0;
    for (const f of plan.feeds) {
      const data = source.tensor(f.target, f.dims);
      if (!data) continue;
      read += data.byteLength;
      largest = Math.max(largest, data.byteLength);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    t.true(read >= declared * 0.99, `read ${read} of ${declared} bytes`);
    const grew = peak - before;
    t.log(
      `${format}: file ${(size / 2 ** 20).toFixed(0)} MiB, largest package tensor ${(largest / 2 ** 20).toFixed(1)} MiB, RSS grew ${(grew / 2 ** 20).toFixed(0)} MiB while reading`,
    );
    // Bounded by a few tensors in flight plus garbage not yet collected, far below the file.
    t.true(grew < size / 4, `RSS grew ${grew} bytes for a ${size}-byte file`);
  });
}
