/**
 * `npx tsx test/bench/convert-memory.ts [ckpt|safetensors]`: converts a 1.16 GB checkpoint
 * (generated as a sparse file: declared tensors, holes for data) into a package on disk with the
 * whole writer path, and prints the peak RSS against the checkpoint size. Exits 1 when the peak
 * is not well below the file (a third of it). Needs about 1.2 GB of free disk for the package.
 * Not part of `npm run bench` (it measures memory, not a speed ratio).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint } from '../../tools/convert/convert.js';
import { resolveConfig } from '../../tools/ringmoe/config.js';
import { releasedShapes, writeSparseCheckpoint } from '../helpers/sparse-checkpoint.js';

const format = (process.argv[2] ?? 'ckpt') as 'ckpt' | 'safetensors';
const config = resolveConfig({
  base: 'ringmoe-small',
  name: 'big-sparse',
  embedDim: 128,
  heads: [4, 8, 16, 32],
  modalities: ['optical'],
  fusion: [],
  change: [],
});
const dir = mkdtempSync(join(tmpdir(), 'ringmoe-convert-memory-'));
try {
  const file = join(dir, `big.${format}`);
  const declared = writeSparseCheckpoint(file, format, releasedShapes(config));
  const size = statSync(file).size;
  const t0 = performance.now();
  const r = await convertCheckpoint({
    checkpoint: file,
    config,
    outDir: join(dir, 'package'),
    allowUntrainedHeads: true,
  });
  const seconds = (performance.now() - t0) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  const written = Object.values(r.manifest!.files).reduce((s, f) => s + f.size, 0);
  const line = `${format}: checkpoint ${(size / 2 ** 20).toFixed(0)} MiB (${(declared / 2 ** 20).toFixed(0)} MiB declared tensors), package ${(written / 2 ** 20).toFixed(0)} MiB written in ${seconds.toFixed(0)} s, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`;
  process.stdout.write(`${line}\n`);
  if (peak > size / 3) {
    process.stderr.write(`peak RSS is not well below the checkpoint size\n`);
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
