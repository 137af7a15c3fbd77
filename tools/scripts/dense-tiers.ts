/**
 * `npx tsx tools/scripts/dense-tiers.ts [kc] [ks] [ka] [--epochs N] [--convert-only]`: rebuilds the
 * distilled dense references of the trained Statlog model (models/ringmoe-statlog-ms), one tier
 * after the other (default: all three):
 * 1. the recipe `kc-statlog --strategy <tier> --epochs N` (PyTorch, default 20 epochs): collapse,
 *    distillation from the MoE, then models/ringmoe-statlog-ms-<tier>/{checkpoint/, metrics.json,
 *    torch-config.json} and training/golden/ringmoe-statlog-ms-<tier>.json;
 * 2. `convert` of its .ckpt with training/configs/statlog-ms-<tier>.json and the Statlog
 *    preprocessing into models/ringmoe-statlog-ms-<tier>/package (replaced).
 * Rerun it after the reference is retrained; test/unit/training/trained-dense.test.ts then checks
 * the packages against the new golden files and metrics. `--convert-only` skips step 1.
 * Exit 0: done; 1: a step failed; 2: bad arguments or no Python with torch.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { convertCheckpoint } from '../convert/convert.js';
import { loadConfigArg } from '../ringmoe/config-file.js';
import { findTorchPython, pythonCandidates, RECIPES, runRecipe } from './train.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TIERS = ['kc', 'ks', 'ka'] as const;
type Tier = (typeof TIERS)[number];

export interface DenseTiersArgs {
  tiers: Tier[];
  epochs: number;
  convertOnly: boolean;
}

/**
 * Parses `[kc] [ks] [ka] [--epochs N] [--convert-only]`.
 * @throws Error with a coded message (E_USAGE)
 */
export function parseDenseTiersArgs(argv: string[]): DenseTiersArgs {
  const tiers: Tier[] = [];
  let epochs = 20;
  let convertOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--epochs') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1 || n > 1000)
        throw new Error(`E_USAGE: --epochs needs a whole number from 1 to 1000, got ${JSON.stringify(argv[i])}`);
      epochs = n;
    } else if (a === '--convert-only') convertOnly = true;
    else if ((TIERS as readonly string[]).includes(a)) {
      if (!tiers.includes(a as Tier)) tiers.push(a as Tier);
    } else
      throw new Error(
        `E_USAGE: unknown argument ${JSON.stringify(a)}; usage: dense-tiers [kc] [ks] [ka] [--epochs N] [--convert-only]`,
      );
  }
  return { tiers: tiers.length ? tiers : [...TIERS], epochs, convertOnly };
}

/** Converts tier `tier`'s distilled checkpoint into its committed package; returns its backbone parameters. */
async function convertTier(tier: Tier): Promise<number> {
  const name = `ringmoe-statlog-ms-${tier}`;
  const model = join(root, 'models', name);
  const preprocessing = JSON.parse(
    readFileSync(join(root, 'training', 'configs', 'statlog-ms.preprocessing.json'), 'utf8'),
  );
  const r = await convertCheckpoint({
    checkpoint: join(model, 'checkpoint', `${name}.ckpt`),
    config: await loadConfigArg(join(root, 'training', 'configs', `statlog-ms-${tier}.json`)),
    outDir: join(model, 'package'),
    force: true,
    preprocessing,
  });
  return r.manifest!.model.params.backbone;
}

async function main(): Promise<number> {
  let args: DenseTiersArgs;
  try {
    args = parseDenseTiersArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`dense-tiers: ${(err as Error).message}\n`);
    return 2;
  }
  const python = args.convertOnly ? undefined : findTorchPython();
  if (!args.convertOnly && !python) {
    process.stderr.write(
      `dense-tiers: E_NO_TORCH: no Python with PyTorch found (tried ${pythonCandidates().join(', ')}); install torch or set RINGMOE_PYTHON, or give --convert-only\n`,
    );
    return 2;
  }
  for (const [k, tier] of args.tiers.entries()) {
    const step = `[${k + 1}/${args.tiers.length}] ${tier}`;
    if (python) {
      process.stderr.write(`dense-tiers: ${step}: collapse + ${args.epochs} epochs of distillation with ${python}\n`);
      const code = await runRecipe(python, RECIPES['kc-statlog']!.module, [
        '--strategy',
        tier,
        '--epochs',
        String(args.epochs),
      ]);
      if (code !== 0) {
        process.stderr.write(`dense-tiers: ${step}: the recipe failed (exit ${code})\n`);
        return 1;
      }
    }
    process.stderr.write(
      `dense-tiers: ${step}: converting models/ringmoe-statlog-ms-${tier}/checkpoint into its package\n`,
    );
    try {
      const params = await convertTier(tier);
      process.stdout.write(`${tier}: models/ringmoe-statlog-ms-${tier}/package (${params} backbone parameters)\n`);
    } catch (err) {
      process.stderr.write(
        `dense-tiers: ${step}: ${(err as { code?: string }).code ?? 'E_CONVERT'}: ${(err as Error).message}\n`,
      );
      return 1;
    }
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
