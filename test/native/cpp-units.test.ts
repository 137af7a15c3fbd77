/**
 * Builds test/native/trt_units_test.cc (SHA-256 and the calibration-cache parser: the parts of the
 * TensorRT layer that need neither TensorRT nor a GPU) with the system C++ compiler and runs it.
 * Skips visibly when no compiler is installed.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, testIf } from '../helpers/shared-data.js';
import { tempDir } from '../helpers/native-binding.js';

const CXX = process.env.CXX ?? 'g++';
const hasCompiler = spawnSync(CXX, ['--version']).status === 0;
const native = join(REPO_ROOT, 'native');

let binary: string | undefined;
let cleanup: (() => void) | undefined;
test.before(() => {
  if (!hasCompiler) return;
  const tmp = tempDir('ringmoe-cpp-units-');
  cleanup = tmp.cleanup;
  binary = join(tmp.dir, 'trt_units_test');
  const sources = [
    join(REPO_ROOT, 'test', 'native', 'trt_units_test.cc'),
    ...['src/trt/checksum.cc', 'src/trt/calib_cache.cc', 'src/trt/errors.cc', 'src/trt/file_io.cc'].map((f) =>
      join(native, f),
    ),
  ];
  execFileSync(CXX, ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-O1', '-o', binary, ...sources], { stdio: 'pipe' });
});
test.after.always(() => cleanup?.());

testIf(hasCompiler, test)(
  'C++ unit cases pass (SHA-256 FIPS vectors, calibration-cache parsing and rejection)',
  (t) => {
    const r = spawnSync(binary!, [], { encoding: 'utf8' });
    t.log(r.stdout.trim().split('\n').slice(-1)[0]);
    t.is(r.status, 0, r.stdout);
    t.regex(r.stdout, /PASS: 0 failure\(s\)/);
    t.is((r.stdout.match(/^ok /gm) ?? []).length, 17);
  },
);

testIf(hasCompiler, test)('native SHA-256 equals Node crypto on random data of awkward sizes', (t) => {
  const { dir, cleanup: done } = tempDir();
  t.teardown(done);
  for (const size of [0, 1, 63, 64, 65, 1000, 1 << 20]) {
    const data = randomBytes(size);
    const file = join(dir, `d${size}`);
    writeFileSync(file, data);
    const out = execFileSync(binary!, ['--sha256', file], { encoding: 'utf8' }).trim();
    t.is(out, createHash('sha256').update(data).digest('hex'), `size ${size}`);
  }
});

testIf(hasCompiler, test)('native calibration-cache reader: a real file parses, a corrupt one names the line', (t) => {
  const { dir, cleanup: done } = tempDir();
  t.teardown(done);
  const good = join(dir, 'good.cache');
  writeFileSync(good, 'TRT-100300-EntropyCalibration2\nimage: 3c010a14\nstem/conv: 3d8f5c29\nlogits: 3e000000\n');
  t.is(execFileSync(binary!, ['--calib', good], { encoding: 'utf8' }).trim(), 'ok 100300 3');
  const bad = join(dir, 'bad.cache');
  writeFileSync(bad, 'TRT-8502-EntropyCalibration2\nimage: 3c010a14\nstem/conv 3d8f5c29\n');
  t.regex(
    execFileSync(binary!, ['--calib', bad], { encoding: 'utf8' }),
    /^error E_CALIBRATION .*bad\.cache:3: expected <tensor>: <hex scale>/,
  );
  t.regex(
    execFileSync(binary!, ['--calib', join(dir, 'absent')], { encoding: 'utf8' }),
    /^error E_IO .*absent: cannot open/,
  );
});
