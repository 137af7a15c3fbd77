/**
 * Preprocessing a package declares (`model.preprocessing`): the runtime's defaults for the
 * modality, explicit runtime options over them, a declared sensor for frames that name none; and
 * the manifest check's coded errors for bad declarations.
 */
import test from 'ava';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EdgeError } from '../../../sdk/core/errors.js';
import type { PackageManifest } from '../../../sdk/package/package-manifest.js';
import { checkManifest } from '../../../sdk/package/manifest-check.js';
import { effectivePreprocess } from '../../../sdk/pipeline/package-preprocessing.js';
import type { RuntimeOptions } from '../../../sdk/runtime/options.js';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import type { Frame } from '../../../sdk/sensors/frame.js';
import { preprocessFrame } from '../../../sdk/sensors/preprocess/preprocess.js';
import type { PreprocessOptions } from '../../../sdk/sensors/preprocess/preprocess-options.js';
import { softmax } from '../../../sdk/tasks/classification.js';
import { REAL } from '../../fixtures/frames/index.js';
import { runEntry, tempDir } from '../../helpers/packages.js';
import { statlogLikePackage } from '../../helpers/statlog-package.js';

const patch = Uint8Array.from({ length: 36 }, (_, i) => 60 + ((i * 37) % 90));
const frame = (extra: Partial<Frame> = {}): Frame => ({
  id: 'p',
  modality: 'multispectral',
  timestamp: 0,
  pixels: { data: patch, width: 3, height: 3, bands: 4, dtype: 'uint8', layout: 'hwc' },
  ...extra,
});

/** Class probabilities of the runtime on `f`. */
async function viaRuntime(dir: string, f: Frame, options: Partial<RuntimeOptions> = {}): Promise<number[]> {
  const rt = await createRuntime({
    package: dir,
    backend: 'onnxruntime',
    workers: 0,
    threads: 1,
    verify: 'size',
    tasks: { classification: { topK: 6 }, segmentation: false, detection: false, depth: false },
    ...options,
  });
  try {
    const r = await rt.infer(f);
    return [...r.tasks.classification!.top].sort((a, b) => a.classId - b.classId).map((c) => c.score);
  } finally {
    await rt.close();
  }
}

/** Class probabilities of the entry on `f` preprocessed with exactly `opts` (the oracle). */
async function direct(
  dir: string,
  manifest: PackageManifest,
  f: Frame,
  opts: Omit<PreprocessOptions, 'inputSize'>,
): Promise<number[]> {
  const pre = await preprocessFrame(f, { ...opts, inputSize: 24 });
  const entry = manifest.entries[0]!;
  const out = await runEntry(dir, entry, {
    [entry.inputs[0]!.name]: { dtype: 'float32', shape: pre.batches[0]!.shape, data: pre.batches[0]!.data },
  });
  return Array.from(softmax(out.cls_logits!.data as Float32Array));
}

const close = (t: { true(v: boolean, m?: string): void }, a: number[], b: number[], what: string) =>
  t.true(a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) < 1e-5), `${what}: ${a} vs ${b}`);

test('the runtime preprocesses with the package declaration; explicit runtime options override it field by field', async (t) => {
  const { dir, manifest } = await statlogLikePackage();
  const declared = await direct(dir, manifest, frame(), { stretch: 'none', interpolation: 'nearest' });
  const sdkDefaults = await direct(dir, manifest, frame(), {});
  t.false(
    declared.every((x, i) => Math.abs(x - sdkDefaults[i]!) < 1e-5),
    'the two preprocessings give different inputs',
  );
  close(t, await viaRuntime(dir, frame()), declared, 'declared');
  close(t, await viaRuntime(dir, frame(), { workers: 1 }), declared, 'declared, on a preprocessing worker');
  close(
    t,
    await viaRuntime(dir, frame(), { preprocess: { interpolation: 'bilinear' } }),
    await direct(dir, manifest, frame(), { stretch: 'none', interpolation: 'bilinear' }),
    'interpolation overridden',
  );
  close(
    t,
    await viaRuntime(dir, frame(), { preprocess: { stretch: 'released', interpolation: 'bilinear' } }),
    sdkDefaults,
    'both overridden',
  );
  const bare = await statlogLikePackage({ preprocessing: null });
  close(t, await viaRuntime(bare.dir, frame()), sdkDefaults, 'no declaration: SDK defaults');
});

test("a declared sensor applies to frames that name none; a frame's own sensor wins", async (t) => {
  const sensor = {
    id: 'etm-as-mss',
    modality: 'multispectral' as const,
    bands: [2, 3, 4, 4],
    bandNames: ['green', 'red', 'nir', 'nir'],
  };
  const { dir, manifest } = await statlogLikePackage({
    preprocessing: { stretch: 'none', interpolation: 'nearest', sensor },
  });
  const olinda = (extra: Partial<Frame> = {}): Frame => ({
    id: 'olinda',
    modality: 'multispectral',
    timestamp: 0,
    pixels: REAL.olinda,
    ...extra,
  });
  const opts = { stretch: 'none', interpolation: 'nearest' } as const;
  const viaDeclared = await direct(dir, manifest, olinda({ sensor }), opts);
  close(t, await viaRuntime(dir, olinda()), viaDeclared, 'declared sensor');
  close(t, await viaRuntime(dir, olinda(), { workers: 1 }), viaDeclared, 'declared sensor, on a preprocessing worker');
  const own = await direct(dir, manifest, olinda({ sensor: 'landsat7-etm' }), opts);
  t.false(
    own.every((x, i) => Math.abs(x - viaDeclared[i]!) < 1e-5),
    'the two band selections give different inputs',
  );
  close(t, await viaRuntime(dir, olinda({ sensor: 'landsat7-etm' })), own, 'frame sensor');
});

test("effectivePreprocess: declared values under the caller's, nothing for undeclared modalities", async (t) => {
  const { manifest } = await statlogLikePackage();
  t.deepEqual(effectivePreprocess(manifest, 'multispectral', {}), {
    stretch: 'none',
    interpolation: 'nearest',
    fit: 'resize',
  });
  t.deepEqual(effectivePreprocess(manifest, 'multispectral', { fit: 'tile' }), {
    stretch: 'none',
    interpolation: 'nearest',
    fit: 'tile',
  });
  t.deepEqual(effectivePreprocess(manifest, 'optical', { fit: 'tile' }), { fit: 'tile' });
});

test('bad declarations are refused when the package is opened, with E_PACKAGE_MANIFEST naming the field', async (t) => {
  const { dir, manifest } = await statlogLikePackage();
  const cases: [unknown, string, RegExp][] = [
    [
      { multispectral: { stretch: 'flat' } },
      'model.preprocessing.multispectral.stretch',
      /must be one of released, precise, none/,
    ],
    [
      { multispectral: { interpolation: 'lanczos' } },
      'model.preprocessing.multispectral.interpolation',
      /nearest, bilinear, bicubic/,
    ],
    [{ multispectral: { fit: 'crop' } }, 'model.preprocessing.multispectral.fit', /resize, resize-crop, tile/],
    [
      { multispectral: { stretchh: 'none' } },
      'model.preprocessing.multispectral.stretchh',
      /is not a preprocessing field/,
    ],
    [
      { optical: { stretch: 'none' } },
      'model.preprocessing.optical',
      /modality the package does not have \(it has multispectral\)/,
    ],
    [{ multispectral: 'none' }, 'model.preprocessing.multispectral', /must be an object/],
    [[], 'model.preprocessing', /keyed by modality/],
    [
      { multispectral: { sensor: { id: 's', modality: 'multispectral', bands: [1, 2] } } },
      'model.preprocessing.multispectral.sensor.bands',
      /must select 4 band\(s\)/,
    ],
    [
      { multispectral: { sensor: { id: 's', modality: 'optical' } } },
      'model.preprocessing.multispectral.sensor.modality',
      /must be multispectral/,
    ],
    [
      { multispectral: { sensor: { id: 's', modality: 'multispectral', scale: 0 } } },
      'model.preprocessing.multispectral.sensor.scale',
      /must not be 0/,
    ],
  ];
  for (const [preprocessing, field, why] of cases) {
    const bad = { ...manifest, model: { ...manifest.model, preprocessing } };
    const err = t.throws<EdgeError>(() => checkManifest(bad, 'pkg/ringmoe.json'), undefined, field);
    t.is(err?.code, 'E_PACKAGE_MANIFEST', field);
    t.is(err?.field, field);
    t.regex(err?.message ?? '', why, field);
  }
  // Through the runtime: a package on disk with a bad declaration does not load.
  const copy = join(tempDir('bad-pre'), 'package');
  cpSync(dir, copy, { recursive: true });
  const file = join(copy, 'ringmoe.json');
  const m = JSON.parse(readFileSync(file, 'utf8')) as PackageManifest;
  (m.model.preprocessing as Record<string, unknown>).multispectral = { stretch: 'flat' };
  writeFileSync(file, JSON.stringify(m));
  const err = await t.throwsAsync<EdgeError>(
    createRuntime({ package: copy, backend: 'onnxruntime', workers: 0, verify: 'size' }),
  );
  t.is(err?.code, 'E_PACKAGE_MANIFEST');
  t.is(err?.field, 'model.preprocessing.multispectral.stretch');
});
