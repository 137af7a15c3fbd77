/**
 * Single frames through the runtime on real inputs and a real ONNX model (ringmoe-tiny, onnxruntime):
 * an aerial JPEG (optical), the Landsat-7 GeoTIFF with its sensor preset (multispectral), a
 * generated quad-pol scene (SAR-L1), change detection on a co-registered pair and optical + SAR-L2
 * fusion. The runtime's results must equal what the building blocks give when called by hand.
 */
import test from 'ava';
import { join } from 'node:path';
import type { EdgeError } from '../../../sdk/core/errors.js';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import { neededOutputs, taskResults, type FrameFailure, type InferenceResult } from '../../../sdk/pipeline/results.js';
import { createRuntime, type Runtime } from '../../../sdk/runtime/runtime.js';
import type { Frame } from '../../../sdk/sensors/frame.js';
import { preprocessPair } from '../../../sdk/sensors/preprocess/pair.js';
import { preprocessFrame } from '../../../sdk/sensors/preprocess/preprocess.js';
import { decodeMaskRle } from '../../../sdk/tasks/mask-rle.js';
import { REAL } from '../../fixtures/frames/index.js';
import { tinyPackage } from '../../helpers/packages.js';
import { AERO1, aeroWithNewBuilding, sarL1Frame, sarL2Frame } from './frames.js';

let rt: Runtime;
let pkgDir: string;
const results: InferenceResult[] = [];
const errors: FrameFailure[] = [];

test.before(async () => {
  pkgDir = (await tinyPackage()).dir;
  rt = await createRuntime({ package: pkgDir });
  rt.on('result', (r) => results.push(r));
  rt.on('error', (f) => errors.push(f));
});
test.after.always(async () => {
  await rt?.close();
});

/** Runs an entry by hand: preprocess, onnxruntime session, task post-processing. */
async function byHand(entryName: string, frames: Frame[], names: string[]): Promise<InferenceResult['tasks']> {
  const { manifest } = await tinyPackage();
  const entry = manifest.entries.find((e) => e.name === entryName)!;
  const opts = { inputSize: manifest.model.inputSize! };
  const pres =
    frames.length === 2
      ? await preprocessPair(frames[0]!, frames[1]!, opts)
      : [await preprocessFrame(frames[0]!, opts)];
  const session = await new OrtBackend().load({ graphPath: join(pkgDir, entry.graph) });
  try {
    const feeds = Object.fromEntries(
      names.map((n, i) => [
        n,
        { dtype: 'float32' as const, shape: pres[i]!.batches[0]!.shape, data: pres[i]!.batches[0]!.data },
      ]),
    );
    const outputs = await session.run(feeds, neededOutputs(entry, {}));
    return taskResults(outputs, pres[0]!, manifest, {});
  } finally {
    await session.dispose();
  }
}

test('optical JPEG: every task, at source resolution, equal to the building blocks run by hand', async (t) => {
  const frame: Frame = { id: 'aero1', modality: 'optical', pixels: AERO1, timestamp: 1_700_000_000_000 };
  const r = await rt.infer(frame);
  t.is(r.entry, 'optical');
  t.is(r.backend, 'onnxruntime');
  t.deepEqual(r.frame, { width: 640, height: 480, inputs: 1 });
  t.deepEqual(Object.keys(r.tasks).sort(), ['classification', 'depth', 'detection', 'segmentation']);
  const { manifest } = await tinyPackage();
  t.is(r.model.packageHash, rt.model.packageHash);
  t.true(r.tasks.classification!.top.every((c) => manifest.labels!.classification!.includes(c.label)));
  const seg = r.tasks.segmentation!;
  t.is(seg.width * seg.height, 640 * 480);
  t.is(seg.classes.reduce((s, c) => s + c.pixels, 0) + seg.noDataPixels, 640 * 480);
  t.is(decodeMaskRle(seg.mask).length, 640 * 480);
  for (const d of r.tasks.detection!.detections)
    t.true(d.box[0] >= 0 && d.box[2] <= 640 && d.box[1] >= 0 && d.box[3] <= 480);
  const depth = r.tasks.depth!.stats;
  t.true(depth.min <= depth.percentiles.p50! && depth.percentiles.p50! <= depth.max);
  t.true(r.latencyMs.total >= r.latencyMs.inference);
  t.deepEqual(r.tasks, await byHand('optical', [frame], ['image']));
  t.true(
    results.some((x) => x.frameId === 'aero1'),
    'result event',
  );
});

test('multispectral Landsat-7 GeoTIFF with the landsat7-etm preset: georeferenced results in m²', async (t) => {
  const frame: Frame = {
    id: 'olinda',
    modality: 'multispectral',
    pixels: REAL.olinda,
    sensor: 'landsat7-etm',
    timestamp: '2001-08-03T12:00:00Z',
  };
  const r = await rt.infer(frame);
  t.is(r.entry, 'multispectral');
  t.like(r.frame, { width: 349, height: 352, inputs: 1, crs: 'EPSG:31985' });
  // Olinda's corners in WGS 84, as gdalinfo -json prints its wgs84Extent (test/fixtures/crs/gdal-answers.json).
  const ring = r.frame.footprint!.coordinates[0]!;
  t.true(Math.abs(ring[0]![0] - -34.9161655) < 1e-6 && Math.abs(ring[0]![1] - -7.9498221) < 1e-6);
  t.true(Math.abs(ring[2]![0] - -34.8263692) < 1e-6 && Math.abs(ring[2]![1] - -8.040927) < 1e-6);
  t.is(r.tasks.segmentation!.areaUnit, 'm2');
  t.is(r.tasks.segmentation!.crs, 'EPSG:31985');
  const area = r.tasks.segmentation!.classes.reduce((s, c) => s + c.area, 0);
  t.true(Math.abs(area - 349 * 352 * 28.5 * 28.5) < 1, `${area} m²`);
  t.deepEqual(r.tasks, await byHand('multispectral', [frame], ['image']));
});

test('SAR-L1: a generated complex quad-pol scene runs on the sar-l1 entry', async (t) => {
  const frame = sarL1Frame('slc-1', 5);
  const r = await rt.infer(frame);
  t.is(r.entry, 'sar-l1');
  t.is(r.modality, 'sar-l1');
  t.like(r.frame, { width: 96, height: 96, inputs: 1, crs: 'EPSG:32640' });
  t.is(r.frame.footprint!.coordinates[0]!.length, 5);
  t.deepEqual(r.tasks, await byHand('sar-l1', [sarL1Frame('slc-1', 5)], ['image']));
});

test('change detection (change-optical) on a co-registered pair: a change map over the whole frame', async (t) => {
  const before: Frame = { id: 'aero1-t0', modality: 'optical', pixels: AERO1, timestamp: 1 };
  const after: Frame = { id: 'aero1-t1', modality: 'optical', pixels: await aeroWithNewBuilding(), timestamp: 2 };
  const r = await rt.change(before, after);
  t.is(r.entry, 'change-optical');
  t.is(r.frameId, 'aero1-t0');
  const c = r.tasks.change!;
  t.is(c.width * c.height, 640 * 480);
  t.is(c.validPixels, 640 * 480);
  t.true(c.changedPixels >= 0 && c.changedPixels <= c.validPixels);
  t.deepEqual(Object.keys(r.tasks), ['change']);
  t.deepEqual(r.tasks, await byHand('change-optical', [before, after], ['image_t0', 'image_t1']));
});

test('fusion of optical + SAR-L2 frames on one grid', async (t) => {
  const optical: Frame = { id: 'fuse-opt', modality: 'optical', pixels: AERO1, timestamp: 3 };
  const sar = sarL2Frame('fuse-sar', 9, 640, 480);
  const r = await rt.fuse([sar, optical]);
  t.is(r.entry, 'fusion-optical-sar-l2');
  t.is(r.frame.width, 640);
  t.deepEqual(Object.keys(r.tasks).sort(), ['classification', 'depth', 'detection', 'segmentation']);
  // Results carry the id of the first frame given; the computation is the same either way round.
  const hand = await byHand(
    'fusion-optical-sar-l2',
    [optical, sarL2Frame('fuse-sar', 9, 640, 480)],
    ['image_optical', 'image_sar_l2'],
  );
  t.deepEqual(
    JSON.parse(JSON.stringify(r.tasks).replaceAll('"fuse-sar"', '"fuse-opt"')),
    JSON.parse(JSON.stringify(hand)),
  );
});

test('the same frame twice gives the same result (deterministic pipeline, a Buffer reused)', async (t) => {
  const a = await rt.infer({ id: 'again-1', modality: 'optical', pixels: AERO1, timestamp: 9 });
  const b = await rt.infer({ id: 'again-2', modality: 'optical', pixels: AERO1, timestamp: 9 });
  t.deepEqual(
    JSON.parse(JSON.stringify(a.tasks).replaceAll('again-1', 'x')),
    JSON.parse(JSON.stringify(b.tasks).replaceAll('again-2', 'x')),
  );
  t.true(AERO1.length > 0, 'the caller’s buffer is not detached');
});

test('EXPECTED FAILURE - bad frames reject with the frame named and an error event', async (t) => {
  const cases: [Frame, EdgeError['code'], RegExp][] = [
    [
      { id: 'thermal-1', modality: 'thermal', pixels: AERO1, timestamp: 1 },
      'E_UNKNOWN_MODALITY',
      /frame "thermal-1": .*no entry for "thermal"/,
    ],
    [
      { id: 'cut', modality: 'optical', pixels: AERO1.subarray(0, 2000), timestamp: 1 },
      'E_FRAME_DECODE',
      /frame "cut"/,
    ],
    [
      { id: 'rgb-as-ms', modality: 'multispectral', pixels: AERO1, timestamp: 1 },
      'E_FRAME_INVALID',
      /frame "rgb-as-ms"/,
    ],
    [
      { id: 'missing', modality: 'optical', pixels: 'no/such/file.jpg', timestamp: 1 },
      'E_FRAME_DECODE',
      /no\/such\/file\.jpg/,
    ],
    [
      { id: 'bad-ts', modality: 'optical', pixels: AERO1, timestamp: Number.NaN },
      'E_FRAME_INVALID',
      /frame\.timestamp/,
    ],
  ];
  for (const [frame, code, message] of cases) {
    const err = await t.throwsAsync<EdgeError>(rt.infer(frame));
    t.is(err?.code, code, frame.id);
    t.regex(err!.message, message);
    t.true(
      errors.some((e) => e.frameId === frame.id && e.error.code === code),
      `error event for ${frame.id}`,
    );
  }
});

test('EXPECTED FAILURE - change across modalities, change without an entry, fusion without an entry', async (t) => {
  const opt: Frame = { id: 'o', modality: 'optical', pixels: AERO1, timestamp: 1 };
  const e1 = await t.throwsAsync<EdgeError>(rt.change(opt, sarL1Frame('s', 1)));
  t.is(e1?.code, 'E_FRAME_INVALID');
  t.is(e1?.field, 'after.modality');
  const e2 = await t.throwsAsync<EdgeError>(rt.change(sarL1Frame('s0', 1), sarL1Frame('s1', 2)));
  t.is(e2?.code, 'E_INVALID_ARGUMENT');
  t.regex(e2!.message, /no change-detection entry for sar-l1/);
  const e3 = await t.throwsAsync<EdgeError>(rt.fuse([opt, sarL1Frame('s', 1)]));
  t.regex(e3!.message, /no fusion entry for optical \+ sar-l1/);
  const e4 = await t.throwsAsync<EdgeError>(rt.change(opt, { ...opt, id: 'small', pixels: REAL.aeroGray }));
  t.is(e4?.code, 'E_FRAME_INVALID');
  t.regex(e4!.message, /not co-registered/);
});

test('BAD CALL - misuse of infer/change/fuse/run/activate names the argument', async (t) => {
  const e1 = await t.throwsAsync<EdgeError>(rt.infer(null as unknown as Frame));
  t.is(e1?.code, 'E_FRAME_INVALID');
  const e2 = await t.throwsAsync<EdgeError>(rt.change(undefined as unknown as Frame, undefined as unknown as Frame));
  t.is(e2?.code, 'E_FRAME_INVALID');
  const e3 = await t.throwsAsync<EdgeError>(rt.fuse([{ id: 'x', modality: 'optical', pixels: AERO1, timestamp: 1 }]));
  t.is(e3?.field, 'frames');
  const e4 = await t.throwsAsync<EdgeError>(
    rt.fuse([
      { id: 'x', modality: 'optical', pixels: AERO1, timestamp: 1 },
      { id: 'y', modality: 'optical', pixels: AERO1, timestamp: 1 },
    ]),
  );
  t.regex(e4!.message, /one frame per modality/);
  const e5 = t.throws<EdgeError>(() => rt.run('examples/data/aerial' as unknown as Frame[]));
  t.is(e5?.field, 'source');
  t.regex(e5!.message, /pass frames such as/);
  const e6 = t.throws<EdgeError>(() => rt.run([], { policy: 'lifo' as 'block' }));
  t.is(e6?.field, 'options.policy');
  const e7 = t.throws<EdgeError>(() => rt.activate({} as never));
  t.is(e7?.field, 'model');
});

test('EXPECTED FAILURE - a closed runtime refuses work with E_CLOSED', async (t) => {
  const own = await createRuntime({ package: pkgDir, workers: 0 });
  t.deepEqual(await own.close(), { unsentResults: 0, drained: true });
  t.deepEqual(await own.close(), { unsentResults: 0, drained: true }, 'idempotent');
  t.is(
    (await t.throwsAsync<EdgeError>(own.infer({ id: 'late', modality: 'optical', pixels: AERO1, timestamp: 1 })))?.code,
    'E_CLOSED',
  );
  t.is(t.throws<EdgeError>(() => own.run([]))?.code, 'E_CLOSED');
});
