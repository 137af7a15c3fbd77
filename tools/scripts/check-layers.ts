/**
 * The layering and size gate (`npm run check:layers`, run by .ci/run): every import in sdk/ and
 * tools/ goes down the order of tools/scripts/layers.json, tools/ imports the SDK only through its
 * barrels, and the files and functions of the limited folders stay under their size limits.
 * Layers named in the order that do not exist yet are simply empty.
 * Exits 1 with the list of problems, 0 when there are none, 2 when layers.json is missing or invalid.
 *
 *   npx tsx tools/scripts/check-layers.ts            # the problems
 *   npx tsx tools/scripts/check-layers.ts --report   # and the numbers of the whole tree
 *   npx tsx tools/scripts/check-layers.ts --json     # everything as JSON
 *   npx tsx tools/scripts/check-layers.ts --root <dir> --config <layers.json>
 */
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isEdgeError } from '../../sdk/index.js';
import { checkLayers } from './check-layers/check.js';
import { loadLayersConfig } from './check-layers/config.js';
import { renderProblems, renderReport } from './check-layers/render.js';
import { scanTrees } from './check-layers/scan.js';

function main(): number {
  const { values } = parseArgs({
    options: {
      report: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      root: { type: 'string' },
      config: { type: 'string' },
    },
  });
  const root = resolve(values.root ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
  const configFile = resolve(values.config ?? join(root, 'tools', 'scripts', 'layers.json'));
  const config = loadLayersConfig(configFile);
  const sources = scanTrees(
    root,
    config.trees.map((t) => t.root),
  );
  const result = checkLayers(config, sources);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    if (values.report) process.stdout.write(`${renderReport(result)}\n`);
    process.stdout.write(renderProblems(result, relative(root, configFile) || configFile));
  }
  return result.problems.length === 0 ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (err) {
  if (isEdgeError(err)) {
    process.stderr.write(`${err.code}: ${err.message}\n`);
    process.exitCode = 2;
  } else if ((err as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`E_INVALID_ARGUMENT: ${(err as Error).message}\n`);
    process.exitCode = 2;
  } else {
    throw err;
  }
}
