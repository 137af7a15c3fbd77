/**
 * Writes targets/schema.json from the schema object in sdk/core/targets/schema.ts (the object the
 * loader validates with), so editors can check profiles as they are written.
 *
 *   npx tsx tools/scripts/gen-target-schema.ts          # write
 *   npx tsx tools/scripts/gen-target-schema.ts --check  # exit 1 when the file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from '../../sdk/internal.js';
import { targetSchemaJson } from '../../sdk/internal.js';

const file = join(findPackageRoot(import.meta.url), 'targets', 'schema.json');
const text = targetSchemaJson();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // a missing file is stale
  }
  if (current !== text) {
    process.stderr.write(`${file} is out of date: run npx tsx tools/scripts/gen-target-schema.ts\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`${file} is up to date\n`);
  }
} else {
  writeFileSync(file, text);
  process.stdout.write(`wrote ${file} (${text.length} bytes)\n`);
}
