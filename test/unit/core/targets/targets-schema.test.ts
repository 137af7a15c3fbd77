/**
 * targets/schema.json is generated from the schema object the loader validates with; it must be
 * committed up to date, and targets/README.md must document every field it defines.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkAgainstSchema, TARGET_PROFILE_SCHEMA, type JsonSchema } from '../../../../sdk/core/targets/index.js';
import { targetSchemaJson } from '../../../../sdk/core/targets/schema.js';
import { REPO_ROOT } from '../../../helpers/shared-data.js';

const run = promisify(execFile);

test('the committed targets/schema.json is up to date with sdk/core/targets/schema.ts', (t) => {
  const committed = readFileSync(join(REPO_ROOT, 'targets', 'schema.json'), 'utf8');
  t.is(committed, targetSchemaJson(), 'run: npx tsx tools/scripts/gen-target-schema.ts');
});

test('gen-target-schema --check agrees (the script the README tells people to run)', async (t) => {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'tools', 'scripts', 'gen-target-schema.ts'), '--check'],
    { cwd: REPO_ROOT },
  );
  t.regex(stdout, /schema\.json is up to date/);
});

function propertyNames(schema: JsonSchema, root: JsonSchema, out = new Set<string>()): Set<string> {
  const s = schema.$ref ? root.$defs![schema.$ref.split('/').pop()!]! : schema;
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    out.add(k);
    propertyNames(v, root, out);
  }
  if (s.items) propertyNames(s.items, root, out);
  for (const alt of s.anyOf ?? []) propertyNames(alt, root, out);
  return out;
}

test('targets/README.md documents every field of the schema', (t) => {
  const readme = readFileSync(join(REPO_ROOT, 'targets', 'README.md'), 'utf8');
  const names = [...propertyNames(TARGET_PROFILE_SCHEMA, TARGET_PROFILE_SCHEMA)];
  t.true(names.length > 50, `${names.length} field names`);
  const missing = names.filter((n) => !readme.includes(`\`${n}\``));
  t.deepEqual(missing, []);
});

test('checkAgainstSchema reports every problem with its path, and nothing for a conforming value', (t) => {
  const schema: JsonSchema = {
    type: 'object',
    properties: {
      n: { type: 'integer', minimum: 1 },
      list: { type: 'array', items: { enum: ['a', 'b'] }, uniqueItems: true, minItems: 1 },
      either: {
        anyOf: [
          { type: 'string', pattern: '^x' },
          { type: 'array', items: { type: 'string' } },
        ],
      },
    },
    required: ['n', 'list'],
    additionalProperties: false,
  };
  t.deepEqual(checkAgainstSchema({ n: 1, list: ['a'], either: 'xy' }, schema), []);
  const issues = checkAgainstSchema({ n: 0.5, list: ['a', 'a', 'c'], either: 'yy', extra: true }, schema);
  t.deepEqual(
    issues.map((i) => i.path),
    ['n', 'list', 'list[2]', 'either', 'extra'],
  );
  t.regex(issues[0]!.message, /expected an integer >= 1 but received 0.5 \(number\)/);
  t.regex(issues[1]!.message, /duplicate item "a"/);
  t.regex(issues[3]!.message, /a string matching \/\^x\/ or an array of strings/);
  t.deepEqual(
    checkAgainstSchema({}, schema).map((i) => i.path),
    ['n', 'list'],
  );
  t.deepEqual(
    checkAgainstSchema({ n: 1, list: [] }, schema).map((i) => i.message),
    ['expected at least 1 item(s) but received 0'],
  );
});
