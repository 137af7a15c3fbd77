/**
 * `npx tsx test/bench/profile-entry.ts <package-dir>... [--entry optical] [--batch 1] [--runs 7]`:
 * where onnxruntime (CPU) spends the time of one entry of each package, from its profiler: kernel
 * time per part of the RingMoE graph and, inside the MoE, per op type (per-node medians over the
 * runs). Several packages are profiled in turn in one process, so their tables compare.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openPackage } from '../../sdk/package/open-package.js';
import { randomFeeds } from '../helpers/packages.js';
import { profileBreakdown, profileGraph } from './ort-profile.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    entry: { type: 'string', default: 'optical' },
    batch: { type: 'string', default: '1' },
    runs: { type: 'string', default: '7' },
  },
});
const batch = Number(values.batch);
const runs = Number(values.runs);
if (positionals.length === 0 || !Number.isInteger(batch) || batch < 1 || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: profile-entry.ts <package-dir>... [--entry optical] [--batch 1] [--runs 7]\n');
  process.exit(2);
}
for (const dir of positionals) {
  const entry = (await openPackage(dir, { verify: 'size' })).entry(values.entry);
  const p = profileBreakdown(await profileGraph(join(dir, entry.graph), randomFeeds(entry, batch, 11), runs));
  process.stdout.write(`\n${dir} (${values.entry}, batch ${batch}, median of ${runs} runs)\n`);
  process.stdout.write(
    `  model_run ${p.run.toFixed(2)} ms; kernels (sum of per-node medians) ${p.total.toFixed(2)} ms\n`,
  );
  for (const r of [...p.parts, ...p.glueOps.map((g) => ({ ...g, part: `  ${g.part}` }))])
    process.stdout.write(
      `  ${r.part.padEnd(40)}${r.ms.toFixed(2).padStart(9)} ms ${(100 * r.share).toFixed(1).padStart(5)} % ${String(r.kernels).padStart(5)} kernels\n`,
    );
}
