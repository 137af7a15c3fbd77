import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isEdgeError } from '../../../sdk/core/errors.js';
import { checkLayers, cyclesOf, type LayersResult } from '../../../tools/scripts/check-layers/check.js';
import { loadLayersConfig, parseLayersConfig } from '../../../tools/scripts/check-layers/config.js';
import { scanText, scanTrees } from '../../../tools/scripts/check-layers/scan.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';

/** A small layering: `frames` and `sdk/internal.ts` are named but do not exist in the fixture. */
const LAYERS = {
  trees: [
    {
      root: 'sdk',
      order: ['core', 'tasks', 'runtime', ['index.ts', 'internal.ts']],
      entries: ['index.ts', 'internal.ts'],
    },
    { root: 'tools', order: ['format', 'frames', 'cli'] },
  ],
  limits: { folders: ['sdk/runtime'], maxFileLines: 12, maxFunctionLines: 5 },
};

const fn = (name: string, bodyLines: number): string =>
  `export function ${name}(): number {\n${'  let x = 0;\n'.repeat(bodyLines)}  return 0;\n}\n`;

/** A tree with one problem of each kind, and files that break no rule. */
const BAD_TREE: Record<string, string> = {
  'sdk/core/errors.ts': 'export class Oops extends Error {}\n',
  'sdk/core/clock.ts':
    "import type { Runner } from '../runtime/runner.js';\nexport type Clock = { runner?: Runner };\n",
  'sdk/core/hook.ts':
    "export async function hook(): Promise<void> {\n  await import('../../tools/format/table.js');\n}\n",
  'sdk/tasks/boxes.ts': "import { Oops } from '../core/errors.js';\nexport const boxes = (): Oops => new Oops();\n",
  'sdk/runtime/runner.ts': `import { boxes } from '../tasks/boxes.js';\nexport type Runner = typeof boxes;\n${fn('small', 2)}${fn('other', 3)}`,
  'sdk/index.ts': "export * from './runtime/runner.js';\nexport { Oops } from './core/errors.js';\n",
  'sdk/extra/stray.ts': 'export const stray = 1;\n',
  'tools/format/table.ts': "import { main } from '../cli/main.js';\nexport const table = (): string => String(main);\n",
  'tools/cli/main.ts': [
    "import { Oops } from '../../sdk/index.js';",
    "import { boxes } from '../../sdk/tasks/boxes.js';",
    "import { table } from '../format/table.js';",
    'export const main = (): unknown => [Oops, boxes, table];',
    '',
  ].join('\n'),
};

/** The same tree with every problem removed. */
const GOOD_TREE: Record<string, string> = {
  'sdk/core/errors.ts': BAD_TREE['sdk/core/errors.ts'] ?? '',
  'sdk/tasks/boxes.ts': BAD_TREE['sdk/tasks/boxes.ts'] ?? '',
  'sdk/runtime/runner.ts': `import { boxes } from '../tasks/boxes.js';\nexport type Runner = typeof boxes;\n${fn('small', 2)}`,
  'sdk/index.ts': BAD_TREE['sdk/index.ts'] ?? '',
  'tools/format/table.ts': 'export const table = (): string => "";\n',
  'tools/cli/main.ts':
    "import { Oops } from '../../sdk/index.js';\nimport { table } from '../format/table.js';\nexport const main = (): unknown => [Oops, table];\n",
};

function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-layers-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(root, dirname(file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  writeFileSync(join(root, 'layers.json'), JSON.stringify(LAYERS));
  return root;
}

function check(files: Record<string, string>): { root: string; result: LayersResult } {
  const root = writeTree(files);
  const config = loadLayersConfig(join(root, 'layers.json'));
  return { root, result: checkLayers(config, scanTrees(root, ['sdk', 'tools'])) };
}

test('a tree that follows the layering has no problems, though some layers do not exist', (t) => {
  const { root, result } = check(GOOD_TREE);
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  t.deepEqual(result.problems, []);
  t.is(result.files, 6);
  t.is(result.imports, 6);
  t.deepEqual(result.cycles, []);
});

test('every kind of problem is found, with the file, line and target', (t) => {
  const { root, result } = check(BAD_TREE);
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const found = result.problems.map(
    (p) => `${p.rule} ${p.file}${p.line ? `:${p.line}` : ''}${p.target ? ` → ${p.target}` : ''}`,
  );
  t.deepEqual(found.sort(), [
    'cycle sdk ↔ sdk/core ↔ sdk/runtime ↔ sdk/tasks ↔ tools/cli ↔ tools/format',
    'file-size sdk/runtime/runner.ts',
    'function-size sdk/runtime/runner.ts:8',
    'higher-tree sdk/core/hook.ts:2 → tools/format/table.ts',
    'tree-entry tools/cli/main.ts:2 → sdk/tasks/boxes.ts',
    'unplaced sdk/extra',
    'upward sdk/core/clock.ts:1 → sdk/runtime/runner.ts',
    'upward tools/format/table.ts:1 → tools/cli/main.ts',
  ]);
  const size = result.problems.find((p) => p.rule === 'function-size');
  t.is(size?.message, 'other has 6 lines (limit 5)');
  t.is(result.problems.find((p) => p.rule === 'file-size')?.message, '13 lines (limit 12)');
  // The circle closes through the imports that go up; tools/cli → sdk/tasks goes down (but misses the entries).
  t.deepEqual(
    result.cycles.flatMap((c) => c.edges.map((e) => `${e.file}:${e.line}`)),
    ['sdk/core/clock.ts:1', 'sdk/core/hook.ts:2', 'tools/format/table.ts:1'],
  );
  t.deepEqual(
    result.upward.map((e) => `${e.from} → ${e.to} (${e.kind})`),
    [
      'sdk/core → sdk/runtime (import type)',
      'sdk/core → tools/format (dynamic import)',
      'tools/format → tools/cli (import)',
    ],
  );
});

test('the scanner sees every way of naming a module and measures functions from first to last line', (t) => {
  const text = [
    "import a from './a.js';",
    "import type { B } from '../b/b.js';",
    "export { c } from './c.js';",
    "type D = import('./d.js').D;",
    'class K {',
    '  m(): void {',
    "    void import('./e.js');",
    '  }',
    '}',
    'const f = (): number =>',
    '  1;',
    '',
  ].join('\n');
  const info = scanText('/nonexistent', 'sdk/x/y.ts', text);
  t.deepEqual(
    info.imports.map((i) => [i.kind, i.line, i.target]),
    [
      ['import', 1, 'sdk/x/a.ts'],
      ['import type', 2, 'sdk/b/b.ts'],
      ['export from', 3, 'sdk/x/c.ts'],
      ['type import()', 4, 'sdk/x/d.ts'],
      ['dynamic import', 7, 'sdk/x/e.ts'],
    ],
  );
  t.deepEqual(info.functions, [
    { name: 'K.m', line: 6, lines: 3 },
    { name: 'f', line: 10, lines: 2 },
  ]);
  t.is(info.lines, 11);
});

test('folder cycles are the strongly connected parts of the import graph', (t) => {
  const graph = new Map([
    ['a', new Set(['b'])],
    ['b', new Set(['c'])],
    ['c', new Set(['a'])],
    ['d', new Set(['a'])],
  ]);
  t.deepEqual(cyclesOf(graph), [['a', 'b', 'c']]);
});

test('BAD CALL - a bad layers.json names the field at fault', (t) => {
  const bad: [unknown, string][] = [
    [[], '(root)'],
    [{ trees: [], limits: LAYERS.limits }, 'trees'],
    [{ trees: [{ root: 'sdk', order: ['core', 'core'] }], limits: LAYERS.limits }, 'trees[0].order[1]'],
    [{ trees: [{ root: 'sdk', order: ['core/x'] }], limits: LAYERS.limits }, 'trees[0].order[0]'],
    [{ trees: [{ root: 'sdk', order: ['core'], entries: ['index.ts'] }], limits: LAYERS.limits }, 'trees[0].entries'],
    [{ trees: LAYERS.trees, limits: { ...LAYERS.limits, maxFileLines: 0 } }, 'limits.maxFileLines'],
  ];
  for (const [raw, field] of bad) {
    const err = t.throws(() => parseLayersConfig(raw, 'layers.json'));
    t.true(isEdgeError(err, 'E_CONFIG'), field);
    t.is((err as { field?: string } | undefined)?.field, field);
  }
});

test('the command exits 1 on problems and 0 without, and --json carries the whole result', (t) => {
  const bad = writeTree(BAD_TREE);
  const good = writeTree(GOOD_TREE);
  t.teardown(() => {
    rmSync(bad, { recursive: true, force: true });
    rmSync(good, { recursive: true, force: true });
  });
  const run = (root: string, ...args: string[]) =>
    spawnSync(
      process.execPath,
      [
        '--import=tsx',
        join(REPO_ROOT, 'tools/scripts/check-layers.ts'),
        '--root',
        root,
        '--config',
        join(root, 'layers.json'),
        ...args,
      ],
      { encoding: 'utf8', cwd: REPO_ROOT },
    );
  const json = run(bad, '--json');
  t.is(json.status, 1, json.stderr);
  const parsed = JSON.parse(json.stdout) as LayersResult;
  t.is(parsed.problems.length, 8);
  const text = run(bad);
  t.is(text.status, 1);
  t.regex(
    text.stdout,
    /imports that go up the layer order \(2\):\n {2}sdk\/core\/clock\.ts:1 {2}sdk\/core imports sdk\/runtime above it/,
  );
  t.regex(text.stdout, /layers: 8 problems in 9 files/);
  const ok = run(good);
  t.is(ok.status, 0, ok.stdout + ok.stderr);
  t.regex(ok.stdout, /layers ok: 6 files, 6 imports/);
  const missing = run(good, '--config', join(good, 'absent.json'));
  t.is(missing.status, 2);
  t.regex(missing.stderr, /^E_FILE_NOT_FOUND: /);
});
