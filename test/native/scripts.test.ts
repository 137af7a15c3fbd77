/**
 * The TensorRT scripts on a machine without TensorRT: each says why and exits non-zero, never
 * crashes. With RINGMOE_TRT_TEST_INCLUDE pointing at a TensorRT include directory (':'-separated
 * list allowed) the compile check runs for real (it is slow: every native source is compiled).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, testIf } from '../helpers/shared-data.js';
import { tempDir } from '../helpers/native-binding.js';

const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const env = { ...process.env, TENSORRT_ROOT: '', TENSORRT_INCLUDE: '', TENSORRT_LIB: '' };
const run = (cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}) =>
  spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', env: { ...env, ...extra } });
const trtHere =
  existsSync('/usr/include/aarch64-linux-gnu/NvInfer.h') ||
  existsSync('/usr/include/x86_64-linux-gnu/NvInfer.h') ||
  existsSync('/usr/include/NvInfer.h');

test('EXPECTED FAILURE - check:tensorrt without TENSORRT_INCLUDE exits 2 and says what to set', (t) => {
  const r = run(tsx, ['tools/scripts/check-tensorrt.ts']);
  t.is(r.status, 2);
  t.regex(r.stderr, /set TENSORRT_INCLUDE/);
});

test('EXPECTED FAILURE - check:tensorrt with a directory that has no NvInfer.h exits 2 naming it', (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const r = run(tsx, ['tools/scripts/check-tensorrt.ts', '--include', dir]);
  t.is(r.status, 2);
  t.regex(r.stderr, /NvInfer\.h not found in .*ringmoe-trt-test-/);
});

testIf(!trtHere, test)(
  'EXPECTED FAILURE - build:native without TensorRT exits 1 with "tensorrt unavailable: <reason>" (npm ci never runs it)',
  (t) => {
    const r = run(process.execPath, ['native/scripts/build.mjs']);
    t.is(r.status, 1);
    t.regex(r.stderr, /^tensorrt unavailable: NvInfer\.h not found \(set TENSORRT_ROOT or TENSORRT_INCLUDE/);
  },
);

testIf(!trtHere, test)(
  'EXPECTED FAILURE - validate:tensorrt without TensorRT exits 2 with "tensorrt unavailable: <reason>"',
  (t) => {
    const r = run(tsx, ['tools/scripts/validate-tensorrt.ts', REPO_ROOT]);
    t.is(r.status, 2);
    t.regex(r.stderr, /^tensorrt unavailable: .+/);
  },
);

test('EXPECTED FAILURE - validate:tensorrt without a package path prints usage and exits 2', (t) => {
  const r = run(tsx, ['tools/scripts/validate-tensorrt.ts']);
  t.is(r.status, 2);
  t.regex(r.stderr, /usage: npm run validate:tensorrt -- <package-dir>/);
});

const include = process.env.RINGMOE_TRT_TEST_INCLUDE;
testIf(Boolean(include), test)(
  'check:tensorrt compiles every native source against the given TensorRT headers',
  (t) => {
    const r = run(tsx, ['tools/scripts/check-tensorrt.ts', '--json'], { TENSORRT_INCLUDE: include! });
    const report = JSON.parse(r.stdout) as {
      tensorrt: string;
      results: { file: string; ok: boolean; output: string }[];
    };
    t.log(`TensorRT ${report.tensorrt}: ${report.results.length} files`);
    t.is(
      r.status,
      0,
      report.results
        .filter((x) => !x.ok)
        .map((x) => `${x.file}\n${x.output}`)
        .join('\n'),
    );
    t.true(report.results.some((x) => x.file.endsWith('builder.cc')));
  },
);
