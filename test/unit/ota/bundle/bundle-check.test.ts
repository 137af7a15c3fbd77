import test from 'ava';
import { createHash } from 'node:crypto';
import { checkBundleManifest, parseBundleManifest } from '../../../../sdk/ota/bundle/bundle-check.js';
import {
  BUNDLE_FORMAT,
  DEFAULT_BUNDLE_LIMITS,
  type BundleManifest,
} from '../../../../sdk/ota/bundle/bundle-manifest.js';

const h = (s: string) => createHash('sha256').update(s).digest('hex');

function manifest(
  files: { path: string; size?: number }[] = [{ path: 'optical.onnx' }, { path: 'weights/s1.b0/shared.bin' }],
): BundleManifest {
  const list = [
    { path: 'ringmoe.json', sha256: h('m'), size: 10, role: 'manifest' as const },
    ...files.map((f) => ({ path: f.path, sha256: h(f.path), size: f.size ?? 100, role: 'weights' as const })),
  ];
  return {
    format: BUNDLE_FORMAT,
    formatVersion: 1,
    name: 'drone-optical',
    version: '2.0.0',
    target: 'jetson-orin-nano-8gb',
    modalities: ['optical'],
    tasks: ['classification'],
    entries: ['optical'],
    minSdkVersion: '0.1.0',
    package: { name: 'ringmoe-tiny', manifestSha256: h('m') },
    files: list,
    totalSize: list.reduce((s, f) => s + f.size, 0),
    createdAt: '2026-11-22T00:00:00.000Z',
  };
}

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'none';
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
};

test('a well-formed manifest passes and round-trips through bytes', (t) => {
  const m = manifest();
  t.deepEqual(parseBundleManifest(Buffer.from(JSON.stringify(m))), m);
});

test('EXPECTED FAILURE - unsafe paths are E_PATH_UNSAFE naming the entry', (t) => {
  for (const p of [
    '../x.bin',
    'weights/../../x',
    '/abs.bin',
    'C:/x.bin',
    'weights\\x.bin',
    'a//b',
    './a',
    'weights/.',
    'a\u0001b',
    '',
  ]) {
    t.regex(
      code(() => checkBundleManifest(manifest([{ path: p }]))),
      /^E_PATH_UNSAFE: .*files\[1\]\.path/,
      JSON.stringify(p),
    );
  }
});

test('EXPECTED FAILURE - duplicates, case collisions and file/folder conflicts are E_BUNDLE_INVALID', (t) => {
  t.regex(
    code(() => checkBundleManifest(manifest([{ path: 'a.bin' }, { path: 'a.bin' }]))),
    /E_BUNDLE_INVALID: .*a\.bin is listed twice/,
  );
  t.regex(
    code(() => checkBundleManifest(manifest([{ path: 'Weights/A.bin' }, { path: 'weights/a.bin' }]))),
    /E_BUNDLE_INVALID: .*differ only in case/,
  );
  t.regex(
    code(() => checkBundleManifest(manifest([{ path: 'weights' }, { path: 'weights/a.bin' }]))),
    /E_BUNDLE_INVALID: .*weights is listed as a file and also as the folder/,
  );
});

test('EXPECTED FAILURE - limits: manifest bytes, file count, path length, total size', (t) => {
  const limits = { ...DEFAULT_BUNDLE_LIMITS, manifestBytes: 500, files: 3, pathLength: 20, totalBytes: 1000 };
  t.regex(
    code(() => parseBundleManifest(Buffer.alloc(501, 32), 'b.json', limits)),
    /E_BUNDLE_INVALID: b\.json: bundle manifest is 501 bytes; the limit is 500/,
  );
  t.regex(
    code(() => checkBundleManifest(manifest([{ path: 'a' }, { path: 'b' }, { path: 'c' }]), 'b.json', limits)),
    /4 files; the limit is 3/,
  );
  t.regex(
    code(() => checkBundleManifest(manifest([{ path: 'weights/a-very-long-name.bin' }]), 'b.json', limits)),
    /path is 28 characters; the limit is 20/,
  );
  t.regex(
    code(() => checkBundleManifest(manifest([{ path: 'a', size: 2000 }]), 'b.json', limits)),
    /accepts at most 1000/,
  );
});

test('EXPECTED FAILURE - shape problems are reported together, each with its field', (t) => {
  const m = {
    ...manifest(),
    version: 'v2',
    target: 'bad target!',
    minSdkVersion: '1',
    tasks: ['flying'],
    totalSize: 1,
  } as unknown;
  const msg = code(() => checkBundleManifest(m));
  for (const part of [
    /^E_BUNDLE_INVALID/,
    /version "v2" is not a semantic version/,
    /minSdkVersion "1"/,
    /target must be a target id/,
    /tasks must be a list/,
    /totalSize 1 is not the sum/,
  ])
    t.regex(msg, part);
  t.regex(
    code(() => parseBundleManifest(Buffer.from('[1,2'))),
    /E_BUNDLE_INVALID: .*not JSON/,
  );
  t.regex(
    code(() => checkBundleManifest({ ...manifest(), files: manifest().files.slice(1) })),
    /must include the package manifest ringmoe\.json/,
  );
});
