import test from 'ava';
import { join } from 'node:path';
import {
  bindingCandidates,
  defaultBinding,
  installedTensorRtMajors,
  loadBinding,
  requireBinding,
  type BindingLoaderDeps,
} from '../../../sdk/core/binding.js';
import { EdgeError, isEdgeError } from '../../../sdk/core/errors.js';
import { fakeBinding } from '../../helpers/native-binding.js';

function deps(
  over: Partial<BindingLoaderDeps> & { files?: Record<string, unknown>; dirs?: Record<string, string[]> } = {},
): BindingLoaderDeps {
  const files = over.files ?? {};
  const dirs = over.dirs ?? {};
  return {
    root: '/pkg',
    env: {},
    platform: 'linux',
    arch: 'arm64',
    libDirs: ['/usr/lib/aarch64-linux-gnu'],
    exists: (p) => p in files,
    list: (d) => dirs[d] ?? [],
    load: (p) => {
      const v = files[p];
      if (v instanceof Error) throw v;
      return v;
    },
    ...over,
  };
}

test('EXPECTED FAILURE - no addon built: the reason names build:native and the installed TensorRT', (t) => {
  const r = loadBinding(deps({ dirs: { '/usr/lib/aarch64-linux-gnu': ['libnvinfer.so.10', 'libnvinfer.so.10.3.0'] } }));
  t.false(r.ok);
  if (r.ok) return;
  t.regex(r.reason, /no TensorRT addon is built \(TensorRT 10 is installed; run npm run build:native/);
  t.deepEqual(
    r.attempts.map((a) => a.error),
    ['not found'],
  );
});

test('EXPECTED FAILURE - a dlopen error is reported with the candidate path (first line only)', (t) => {
  const path = '/pkg/native/build/Release/ringmoe_trt.node';
  const r = loadBinding(
    deps({
      files: {
        [path]: new Error(
          'libnvinfer.so.8: cannot open shared object file: No such file or directory\n    at Module._extensions',
        ),
      },
    }),
  );
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.reason, `${path}: libnvinfer.so.8: cannot open shared object file: No such file or directory`);
});

test('EXPECTED FAILURE - a .node file without our exports or with another ABI is skipped with a reason', (t) => {
  const built = '/pkg/native/build/Release/ringmoe_trt.node';
  const explicit = '/opt/vendor/ringmoe_trt.node';
  const { binding } = fakeBinding();
  const r = loadBinding(
    deps({
      env: { RINGMOE_TRT_ADDON: explicit },
      files: { [explicit]: { hello: 1 }, [built]: { ...binding, abi: 99 } },
    }),
  );
  t.false(r.ok);
  if (r.ok) return;
  t.regex(r.reason, /vendor\/ringmoe_trt\.node: not a ringmoe TensorRT addon/);
  t.regex(r.reason, /addon ABI 99 does not match this SDK's 1/);
});

test('fake binding: a loadable candidate wins and receives the EdgeError class', (t) => {
  const { binding } = fakeBinding();
  let received: unknown;
  const path = '/pkg/native/build/Release/ringmoe_trt.node';
  const r = loadBinding(deps({ files: { [path]: { ...binding, setErrorClass: (c: unknown) => (received = c) } } }));
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.path, path);
  t.is(received, EdgeError);
});

test('prebuilds are tried for installed TensorRT majors first, after the explicit path and the local build', (t) => {
  const d = deps({
    env: { RINGMOE_TRT_ADDON: '/x/a.node' },
    dirs: {
      '/pkg/prebuilds': ['linux-arm64-trt8', 'linux-arm64-trt10', 'linux-arm64-trt11', 'linux-x64-trt10', 'README.md'],
      '/usr/lib/aarch64-linux-gnu': ['libnvinfer.so.8'],
    },
  });
  t.deepEqual(bindingCandidates(d), [
    '/x/a.node',
    '/pkg/native/build/Release/ringmoe_trt.node',
    join('/pkg/prebuilds/linux-arm64-trt8/ringmoe_trt.node'),
    join('/pkg/prebuilds/linux-arm64-trt11/ringmoe_trt.node'),
    join('/pkg/prebuilds/linux-arm64-trt10/ringmoe_trt.node'),
  ]);
  t.deepEqual(
    installedTensorRtMajors({
      libDirs: ['/a', '/b'],
      list: (dir) => (dir === '/a' ? ['libnvinfer.so.8'] : ['libnvinfer.so.10', 'libnvinfer.so']),
    }),
    [10, 8],
  );
});

test('EXPECTED FAILURE - not Linux: the reason says so without trying files', (t) => {
  const r = loadBinding(deps({ platform: 'darwin' }));
  t.false(r.ok);
  if (!r.ok) t.regex(r.reason, /built for Linux only \(this is darwin\)/);
});

test('this machine (no TensorRT): the real loader reports a reason and requireBinding throws E_BACKEND_UNAVAILABLE', (t) => {
  const r = defaultBinding();
  if (r.ok) {
    t.log(`SKIPPED: a TensorRT addon loaded here (${r.path})`);
    t.pass();
    return;
  }
  t.true(r.reason.length > 10);
  const err = t.throws(() => requireBinding(r));
  t.true(isEdgeError(err, 'E_BACKEND_UNAVAILABLE'));
  t.true(err!.message.startsWith('tensorrt unavailable: '));
});
