/**
 * Finding and loading profiles: by id, alias or path; from the package's targets/, a --dir or
 * RINGMOE_TARGETS_DIR; and the package root found from source, dist and node_modules layouts.
 */
import test from 'ava';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isEdgeError } from '../../../../sdk/core/errors.js';
import {
  findPackageRoot,
  listTargets,
  loadTarget,
  TargetProfileError,
  targetsDir,
  TARGETS_DIR_ENV,
} from '../../../../sdk/core/targets/index.js';
import { REPO_ROOT } from '../../../helpers/shared-data.js';

const SHIPPED = join(REPO_ROOT, 'targets');
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'targets');

async function tempDir(t: import('ava').ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ringmoe-targets-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("the default targets directory is the package root's targets/, found from the module URL", (t) => {
  // The env override itself is exercised in a child process (targets-cli.test.ts), so this
  // process's environment stays untouched; honour it here if the developer has it set.
  const env = process.env[TARGETS_DIR_ENV];
  t.is(targetsDir(), env ? resolve(env) : SHIPPED);
  t.is(findPackageRoot(pathToFileURL(join(REPO_ROOT, 'sdk', 'core', 'targets', 'load.ts')).href), REPO_ROOT);
});

test('the package root is found from a dist/ bundle and from an installed node_modules copy', async (t) => {
  const root = await tempDir(t);
  const pkg = join(root, 'app', 'node_modules', 'ringmoe-edge');
  await mkdir(join(pkg, 'dist', 'cli'), { recursive: true });
  await writeFile(join(root, 'app', 'package.json'), JSON.stringify({ name: 'vendor-app' }));
  await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'ringmoe-edge', version: '0.1.0' }));
  t.is(findPackageRoot(pathToFileURL(join(pkg, 'dist', 'cli', 'bin.js')).href), pkg);
  t.is(findPackageRoot(pathToFileURL(join(pkg, 'dist', 'index.cjs')).href), pkg);
  const e = t.throws(() => findPackageRoot(pathToFileURL(join(root, 'app', 'main.js')).href));
  t.true(isEdgeError(e, 'E_FILE_NOT_FOUND'));
  t.regex(e!.message, /RINGMOE_TARGETS_DIR/);
});

test('ids and aliases load the same profile; a path loads a user profile', async (t) => {
  const byId = await loadTarget('jetson-orin-nano-8gb', { dir: SHIPPED });
  const byAlias = await loadTarget('orin-nano-8gb', { dir: SHIPPED });
  t.deepEqual(byAlias, byId);
  const byPath = await loadTarget('valid-user-board.json', { cwd: FIXTURES });
  t.is(byPath.id, 'valid-user-board');
});

test('EXPECTED FAILURE - unknown id lists the known ids and suggests the closest', async (t) => {
  const e = await t.throwsAsync(loadTarget('orin-nano-8g', { dir: SHIPPED }));
  t.true(isEdgeError(e, 'E_UNKNOWN_TARGET'));
  t.regex(e!.message, /unknown device target "orin-nano-8g"; did you mean "jetson-orin-nano-8gb"\?/);
  t.regex(e!.message, /Known targets: cpu-x86-64-onnxruntime, jetson-agx-orin-32gb, .*x86-rtx4000-ada-ground-station/);
  const far = await t.throwsAsync(loadTarget('raspberry-pi', { dir: SHIPPED }));
  t.notRegex(far!.message, /did you mean/);
});

test('EXPECTED FAILURE - a missing profile path or directory is E_FILE_NOT_FOUND', async (t) => {
  const e1 = await t.throwsAsync(loadTarget('./no-such-board.json', { cwd: FIXTURES }));
  t.true(isEdgeError(e1, 'E_FILE_NOT_FOUND'));
  t.regex(e1!.message, /no-such-board\.json/);
  const e2 = await t.throwsAsync(listTargets({ dir: join(FIXTURES, 'no-such-dir') }));
  t.true(isEdgeError(e2, 'E_FILE_NOT_FOUND'));
});

test('BAD CALL - an empty target name', async (t) => {
  const e = await t.throwsAsync(loadTarget('  ', { dir: SHIPPED }));
  t.true(isEdgeError(e, 'E_INVALID_ARGUMENT'));
});

test('a custom directory: profiles listed, schema.json skipped, id must match the file name', async (t) => {
  const dir = await tempDir(t);
  await copyFile(join(SHIPPED, 'jetson-nano-4gb.json'), join(dir, 'jetson-nano-4gb.json'));
  await copyFile(join(SHIPPED, 'schema.json'), join(dir, 'schema.json'));
  t.deepEqual(
    (await listTargets({ dir })).map((p) => p.id),
    ['jetson-nano-4gb'],
  );
  // the same file under another name is refused in a directory, accepted with a warning by path
  await copyFile(join(SHIPPED, 'jetson-tx2-8gb.json'), join(dir, 'tx2-copy.json'));
  const e = await t.throwsAsync(listTargets({ dir }));
  t.true(e instanceof TargetProfileError);
  t.regex(e!.message, /tx2-copy\.json/);
  t.regex(e!.message, /- id: "jetson-tx2-8gb" does not match the file name tx2-copy\.json/);
  const byPath = await loadTarget(join(dir, 'tx2-copy.json'));
  t.deepEqual(byPath.warnings, [
    'id: "jetson-tx2-8gb" does not match the file name tx2-copy.json (expected "tx2-copy")',
  ]);
});

test('EXPECTED FAILURE - two profiles claiming the same alias', async (t) => {
  const dir = await tempDir(t);
  await copyFile(join(SHIPPED, 'jetson-orin-nano-8gb.json'), join(dir, 'jetson-orin-nano-8gb.json'));
  await copyFile(join(FIXTURES, 'valid-user-board.json'), join(dir, 'valid-user-board.json'));
  const { readFile } = await import('node:fs/promises');
  const user = JSON.parse(await readFile(join(dir, 'valid-user-board.json'), 'utf8'));
  user.aliases = ['orin-nano'];
  await writeFile(join(dir, 'valid-user-board.json'), JSON.stringify(user));
  const e = await t.throwsAsync(listTargets({ dir }));
  t.true(isEdgeError(e, 'E_TARGET_PROFILE'));
  t.regex(e!.message, /"orin-nano" is already used by jetson-orin-nano-8gb\.json/);
});

test('a broken profile in the directory does not hide the others from unknown-id suggestions', async (t) => {
  const dir = await tempDir(t);
  await copyFile(join(SHIPPED, 'jetson-agx-orin-64gb.json'), join(dir, 'jetson-agx-orin-64gb.json'));
  await copyFile(join(FIXTURES, 'truncated.json'), join(dir, 'truncated.json'));
  const e = await t.throwsAsync(loadTarget('agx-orin-64', { dir }));
  t.true(isEdgeError(e, 'E_UNKNOWN_TARGET'));
  t.regex(e!.message, /did you mean "jetson-agx-orin-64gb"/);
  // ...while loading the broken one by id reports its problem
  const broken = await t.throwsAsync(loadTarget('truncated', { dir }));
  t.true(isEdgeError(broken, 'E_TARGET_PROFILE'));
});
