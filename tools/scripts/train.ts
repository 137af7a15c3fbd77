/**
 * `npm run train -- <recipe> [--smoke] [--out dir] [recipe options…]`: runs a PyTorch training
 * recipe of training/ (the only Python in the project; it produces reference weights in the
 * released checkpoint layout that `ringmoe-edge convert` reads).
 *
 *   npm run train -- statlog                 # full Statlog run (see training/README.md)
 *   npm run train -- statlog --smoke --out /tmp/s   # a few steps on a tiny subset, still writes a checkpoint
 *   npm run train -- rsmoe                   # tiny RS-MoE → models/rsmoe-statlog-tiny (package, held-out scenes, records)
 *   npm run train -- kc-statlog [--strategy ks|ka]  # dense (KC, KS or KA) collapse of the trained Statlog model + distillation
 *
 * Looks for a Python with torch: $RINGMOE_PYTHON, then /usr/bin/python3, then python3 on PATH.
 * Runs single-threaded (OPENBLAS_NUM_THREADS=1). Exit 0: done; 1: the recipe failed;
 * 2: bad arguments or no Python with torch (E_NO_TORCH).
 */
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Recipe name → Python module under training/. */
export const RECIPES: Record<string, { module: string; description: string }> = {
  statlog: {
    module: 'ringmoe_torch.recipes.statlog',
    description: 'supervised multispectral classifier on Statlog Landsat MSS',
  },
  'kc-statlog': {
    module: 'ringmoe_torch.recipes.kc',
    description:
      'dense collapse (--strategy kc|ks|ka, default kc) of the Statlog model, then distillation from the MoE teacher',
  },
  simmim: {
    module: 'ringmoe_torch.recipes.simmim',
    description: 'SimMIM masked reconstruction on real optical/multispectral tiles and generated SAR-L1 frames',
  },
  rsmoe: {
    module: 'ringmoe_torch.recipes.rsmoe',
    description: 'tiny RS-MoE (captions + VQA) on mosaics of real Statlog patches, text generated from their labels',
  },
};

/** Python candidates in the order they are tried. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [env.RINGMOE_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => Boolean(p));
}

/** True when `python` can import torch. */
export function hasTorch(python: string): boolean {
  const r = spawnSync(python, ['-c', 'import torch'], {
    stdio: 'ignore',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    timeout: 60_000,
  });
  return r.status === 0;
}

/** The first candidate with torch, or undefined. */
export function findTorchPython(
  candidates = pythonCandidates(),
  probe: (p: string) => boolean = hasTorch,
): string | undefined {
  return candidates.find((p) => probe(p));
}

export interface TrainArgs {
  recipe: string;
  module: string;
  /** Arguments for the recipe module (folder options resolved against the caller's working directory). */
  passThrough: string[];
}

/** Recipe options that name a folder: resolved against the caller's working directory. */
const PATH_FLAGS = ['--out', '--model-dir', '--package-from', '--eval-from'];

/**
 * Parses `<recipe> [--smoke] [--out dir] [...]`.
 * @throws Error with a coded message (E_TRAIN_USAGE, E_UNKNOWN_RECIPE)
 */
export function parseTrainArgs(argv: string[], cwd = process.cwd()): TrainArgs {
  const [recipe, ...rest] = argv;
  if (!recipe || recipe.startsWith('-'))
    throw new Error(
      `E_TRAIN_USAGE: usage: npm run train -- <recipe> [--smoke] [--out dir]; recipes: ${Object.keys(RECIPES).join(', ')}`,
    );
  const spec = RECIPES[recipe];
  if (!spec)
    throw new Error(
      `E_UNKNOWN_RECIPE: unknown recipe ${JSON.stringify(recipe)}; known: ${Object.keys(RECIPES).join(', ')}`,
    );
  const passThrough = [...rest];
  for (const flag of PATH_FLAGS) {
    const i = passThrough.indexOf(flag);
    if (i < 0) continue;
    const dir = passThrough[i + 1];
    if (!dir || dir.startsWith('--')) throw new Error(`E_TRAIN_USAGE: ${flag} needs a folder`);
    passThrough[i + 1] = resolve(cwd, dir);
  }
  return { recipe, module: spec.module, passThrough };
}

async function main(): Promise<number> {
  let args: TrainArgs;
  try {
    args = parseTrainArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`train: ${(err as Error).message}\n`);
    return 2;
  }
  const python = findTorchPython();
  if (!python) {
    process.stderr.write(
      `train: E_NO_TORCH: no Python with PyTorch found (tried ${pythonCandidates().join(', ')}); install torch or set RINGMOE_PYTHON\n`,
    );
    return 2;
  }
  process.stderr.write(`train: ${args.recipe} with ${python} (${args.module})\n`);
  return runRecipe(python, args.module, args.passThrough);
}

/**
 * Runs recipe module `module` of training/ with `python`, single-threaded, output inherited.
 * Resolves 0 when it succeeded, 1 when it failed, 2 when it could not start.
 */
export function runRecipe(python: string, module: string, passThrough: string[]): Promise<number> {
  const training = join(root, 'training');
  const child = spawn(python, ['-m', module, ...passThrough], {
    cwd: training,
    stdio: 'inherit',
    env: {
      ...process.env,
      OPENBLAS_NUM_THREADS: '1',
      OMP_NUM_THREADS: '1',
      PYTHONPATH: training,
      PYTHONDONTWRITEBYTECODE: '1',
    },
  });
  return new Promise((done) => {
    child.on('error', (err) => {
      process.stderr.write(`train: cannot start ${python}: ${err.message}\n`);
      done(2);
    });
    child.on('exit', (code) => done(code === 0 ? 0 : 1));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
