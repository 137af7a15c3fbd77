import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PackageManifest } from '../../../../sdk/package/package-manifest.js';
import {
  BUILD_SPEC_FILE,
  BUILD_SPEC_FORMAT,
  checkBuildSpec,
  parseBuildSpec,
} from '../../../../sdk/runtime/engine-cache/build-spec.js';
import { graphHashFromManifest } from '../../../../sdk/runtime/engine-cache/graph-hash.js';
import { loadOptionsFromSpec, readBuildSpec } from '../../../../sdk/runtime/engine-cache/spec-file.js';
import { writeBuildSpec } from '../../../../tools/engine/write-spec.js';
import { tempDir } from '../../../helpers/native-binding.js';

const MANIFEST: PackageManifest = {
  format: 'ringmoe-edge/package',
  formatVersion: 1,
  name: 'fixture',
  kind: 'imported',
  model: { precision: 'fp32', opset: 17, params: { backbone: 10, heads: 0, total: 10 } },
  modalities: [],
  entries: [
    {
      name: 'classifier',
      kind: 'imported',
      graph: 'graphs/classifier.onnx',
      modalities: ['optical'],
      tasks: ['classification'],
      inputs: [{ name: 'image', dtype: 'float32', shape: ['N', 3, 224, 224], role: 'image' }],
      outputs: [{ name: 'logits', dtype: 'float32', shape: ['N', 10], task: 'classification', kind: 'logits' }],
      weightFiles: ['weights/trunk.bin'],
    },
  ],
  files: {
    'graphs/classifier.onnx': { sha256: 'a'.repeat(64), size: 10, role: 'graph' },
    'weights/trunk.bin': { sha256: 'b'.repeat(64), size: 10, role: 'weights' },
    'calib/classifier.cache': { sha256: 'c'.repeat(64), size: 10, role: 'calibration' },
  },
  lineage: [],
};

const spec = (engines: unknown[]) => ({ format: BUILD_SPEC_FORMAT, formatVersion: 1, engines });

test('a minimal spec resolves with documented defaults (fp16, GPU, batch 1, auto typing)', (t) => {
  const r = checkBuildSpec(spec([{ entry: 'classifier' }]), MANIFEST);
  t.deepEqual(r.errors, []);
  t.deepEqual(r.spec!.engines[0], {
    entry: 'classifier',
    graph: 'graphs/classifier.onnx',
    precision: 'fp16',
    typing: 'auto',
    dlaCore: null,
    gpuFallback: true,
    workspaceMiB: null,
    profile: { min: 1, opt: 1, max: 1 },
    calibrationCache: null,
    timingCache: null,
    optimizationLevel: null,
  });
});

test('int8 with a calibration cache validates against the manifest and warns about TensorRT 11', (t) => {
  const r = checkBuildSpec(
    spec([
      {
        entry: 'classifier',
        precision: 'int8',
        calibrationCache: 'calib/classifier.cache',
        dlaCore: 0,
        profile: { max: 8 },
      },
    ]),
    MANIFEST,
  );
  t.deepEqual(r.errors, []);
  t.deepEqual(r.spec!.engines[0]!.profile, { min: 1, opt: 8, max: 8 });
  t.regex(r.warnings.map((w) => w.message).join(' '), /removed in 11/);
});

test('EXPECTED FAILURE - every issue of a bad spec is reported at once, with its field', (t) => {
  const r = checkBuildSpec(
    spec([
      {
        entry: 'classifier',
        precision: 'fp64',
        dlaCore: 3,
        workspaceMiB: -1,
        optimizationLevel: 9,
        profile: { min: 0 },
        graph: '../x.onnx',
        extra: 1,
      },
      'nope',
    ]),
  );
  t.is(r.spec, undefined);
  t.deepEqual(
    r.errors.map((e) => e.field),
    [
      'engines[0].extra',
      'engines[0].graph',
      'engines[0].precision',
      'engines[0].dlaCore',
      'engines[0].workspaceMiB',
      'engines[0].profile',
      'engines[0].optimizationLevel',
      'engines[1]',
    ],
  );
});

test('EXPECTED FAILURE - cross-field rules: profile order, fp32 on DLA, calibration without int8, strong typing with a cache, unknown entry, duplicates', (t) => {
  const r = checkBuildSpec(
    spec([
      { entry: 'classifier', profile: { min: 4, opt: 2, max: 8 } },
      { entry: 'classifier', precision: 'fp32', dlaCore: 0 },
      { entry: 'classifier', precision: 'fp16', calibrationCache: 'calib/classifier.cache', dlaCore: 1 },
      {
        entry: 'classifier',
        precision: 'int8',
        typing: 'strong',
        calibrationCache: 'weights/trunk.bin',
        profile: { max: 2 },
      },
      { entry: 'segmenter', graph: 'graphs/seg.onnx' },
      { entry: 'classifier', precision: 'fp32', dlaCore: 0 },
    ]),
    MANIFEST,
  );
  const text = r.errors.map((e) => `${e.field}: ${e.message}`).join('\n');
  t.regex(text, /engines\[0\]\.profile: must satisfy min <= opt <= max/);
  t.regex(text, /engines\[1\]\.precision: the DLA runs only fp16 and int8/);
  t.regex(text, /engines\[2\]\.calibrationCache: is only used with precision "int8"/);
  t.regex(text, /engines\[3\]\.calibrationCache: strongly typed networks/);
  t.regex(text, /engines\[3\]\.calibrationCache: weights\/trunk\.bin has role weights, not calibration/);
  t.regex(text, /engines\[4\]\.entry: package has no entry "segmenter"/);
  t.regex(text, /engines\[5\]: builds the same engine as engines\[1\]/);
  t.throws(
    () => parseBuildSpec(spec([{ entry: 'classifier', profile: { min: 4, opt: 2, max: 8 } }]), 'spec.json', MANIFEST),
    { code: 'E_CONFIG', message: /spec\.json: engines\[0\]\.profile: engine build spec is invalid/ } as never,
  );
});

test('EXPECTED FAILURE - wrong format header and empty engine list', (t) => {
  const r = checkBuildSpec({ format: 'x', formatVersion: 2, engines: [] });
  t.deepEqual(
    r.errors.map((e) => e.field),
    ['format', 'formatVersion', 'engines'],
  );
});

test('writeBuildSpec writes the spec into a package, records it in ringmoe.json, and the device side reads it back into load options', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  await mkdir(join(dir, 'graphs'));
  writeFileSync(join(dir, 'ringmoe.json'), JSON.stringify(MANIFEST));
  const { spec: written, record } = await writeBuildSpec(dir, [
    {
      entry: 'classifier',
      precision: 'fp16',
      profile: { min: 1, opt: 2, max: 4 },
      timingCache: 'engines/timing.cache',
      workspaceMiB: 512,
    },
  ]);
  t.is(record.role, 'build-spec');
  const manifest = JSON.parse(readFileSync(join(dir, 'ringmoe.json'), 'utf8')) as PackageManifest;
  t.deepEqual(manifest.files[BUILD_SPEC_FILE], record);
  const read = await readBuildSpec(dir, manifest);
  t.deepEqual(read, written);
  const opts = loadOptionsFromSpec(dir, manifest, read.engines[0]!);
  t.is(opts.graphPath, join(dir, 'graphs/classifier.onnx'));
  t.is(opts.maxBatch, 4);
  t.like(opts.extra, {
    entry: 'classifier',
    minBatch: 1,
    optBatch: 2,
    workspaceMiB: 512,
    graphSha256: graphHashFromManifest(manifest, 'classifier'),
    timingCacheSeed: join(dir, 'engines/timing.cache'),
  });
});

test('EXPECTED FAILURE - writeBuildSpec refuses an invalid spec and leaves the package untouched', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  writeFileSync(join(dir, 'ringmoe.json'), JSON.stringify(MANIFEST));
  await t.throwsAsync(writeBuildSpec(dir, [{ entry: 'nope', graph: 'graphs/nope.onnx' }]), {
    code: 'E_CONFIG',
    message: /package has no entry "nope"/,
  } as never);
  t.is(readFileSync(join(dir, 'ringmoe.json'), 'utf8'), JSON.stringify(MANIFEST));
  await t.throwsAsync(readBuildSpec(dir), { code: 'E_FILE_NOT_FOUND' } as never);
});

test('graph hash from the manifest covers the external weight files, and a missing record is an error', (t) => {
  const a = graphHashFromManifest(MANIFEST, 'classifier');
  const changed = {
    ...MANIFEST,
    files: { ...MANIFEST.files, 'weights/trunk.bin': { sha256: 'd'.repeat(64), size: 10, role: 'weights' as const } },
  };
  t.not(graphHashFromManifest(changed, 'classifier'), a);
  const missing = { ...MANIFEST, files: { 'graphs/classifier.onnx': MANIFEST.files['graphs/classifier.onnx']! } };
  t.throws(() => graphHashFromManifest(missing, 'classifier'), {
    code: 'E_PACKAGE_MANIFEST',
    message: /weights\/trunk\.bin is used by entry classifier but not listed/,
  } as never);
  t.throws(() => graphHashFromManifest(MANIFEST, 'x'), { code: 'E_PACKAGE_MANIFEST' } as never);
});
