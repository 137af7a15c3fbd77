/**
 * `npx tsx tools/scripts/rsmoe-package.ts <run-dir> -o <package-dir> [--force] [--dry-run] [--json]`:
 * assembles an RS-MoE package from a training run of the `rsmoe` recipe (the recipe calls it at its
 * end; see tools/rsmoe/trained-package.ts). --dry-run checks the run folder and prints the plan.
 * Exit 0: written (or planned); 1: the run folder or the output is unusable (coded error on stderr).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { planTrainedRsMoe, writeTrainedRsMoe } from '../rsmoe/trained-package.js';

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const i = argv.indexOf('-o');
  const out = i >= 0 ? argv[i + 1] : undefined;
  const run = argv.find((a, k) => !a.startsWith('-') && argv[k - 1] !== '-o');
  try {
    if (!run || (!out && !argv.includes('--dry-run')))
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        'usage: rsmoe-package.ts <run-dir> -o <package-dir> [--force] [--dry-run] [--json]',
        { field: run ? '-o' : 'run-dir' },
      );
    const plan = await planTrainedRsMoe(resolve(run));
    const summary = {
      run: plan.runDir,
      name: plan.config.name,
      experts: plan.config.experts.map((e) => e.id),
      tensors: plan.tensors,
      params: plan.params,
      vocab: plan.tokenizer.vocab,
    };
    if (argv.includes('--dry-run')) {
      process.stdout.write(
        json
          ? `${JSON.stringify({ plan: summary }, null, 2)}\n`
          : `plan: ${summary.name}, experts ${summary.experts.join(', ')}, ${summary.tensors} tensors, ${summary.params} parameters, vocabulary ${summary.vocab}\n`,
      );
      return 0;
    }
    const m = await writeTrainedRsMoe(plan, {
      outDir: resolve(out!),
      force: argv.includes('--force'),
      onGraph: (d, t, n) => !json && process.stderr.write(`  graph ${d}/${t} ${n}\n`),
    });
    const bytes = Object.values(m.files).reduce((s, f) => s + f.size, 0);
    process.stdout.write(
      json
        ? `${JSON.stringify({ ...summary, package: resolve(out!), files: Object.keys(m.files).length + 1, bytes }, null, 2)}\n`
        : `wrote ${resolve(out!)}: ${summary.name}, ${m.entries.length} graphs, ${(bytes / 1024).toFixed(0)} KiB, ${summary.params} parameters\n`,
    );
    return 0;
  } catch (err) {
    const code = err instanceof EdgeError ? err.code : 'E_INTERNAL';
    process.stderr.write(`rsmoe-package: ${code}: ${messageOf(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
