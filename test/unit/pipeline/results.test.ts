/**
 * Which outputs an entry must produce for the enabled tasks, failure records, result ids and the
 * MQTT message of a task.
 */
import test from 'ava';
import { EdgeError } from '../../../sdk/core/errors.js';
import type { EntryManifest } from '../../../sdk/package/package-manifest.js';
import { resultId, taskMessage } from '../../../sdk/runtime/result-publishing.js';
import { failure, neededOutputs, type InferenceResult } from '../../../sdk/pipeline/results.js';

const output = (name: string) => ({ name, dtype: 'float32' as const, shape: ['N', 1] as (number | string)[] });
const entry = (outputs: string[]): EntryManifest =>
  ({
    name: 'optical',
    kind: 'modality',
    graph: 'g.onnx',
    modalities: ['optical'],
    tasks: [],
    inputs: [],
    outputs: outputs.map(output),
    weightFiles: [],
  }) as unknown as EntryManifest;

const ALL = ['embedding', 'features_s4', 'cls_logits', 'seg_logits', 'det_boxes', 'det_scores', 'det_classes', 'depth'];

test('neededOutputs: every task on by default, features only when asked, feature maps never', (t) => {
  t.deepEqual(neededOutputs(entry(ALL), {}).sort(), [
    'cls_logits',
    'depth',
    'det_boxes',
    'det_classes',
    'det_scores',
    'seg_logits',
  ]);
  t.deepEqual(neededOutputs(entry(ALL), { features: true }).sort(), [
    'cls_logits',
    'depth',
    'det_boxes',
    'det_classes',
    'det_scores',
    'embedding',
    'seg_logits',
  ]);
});

test('neededOutputs: tasks turned off are not fetched', (t) => {
  t.deepEqual(neededOutputs(entry(ALL), { segmentation: false, detection: false, depth: false }), ['cls_logits']);
  t.deepEqual(neededOutputs(entry(ALL), { classification: false, segmentation: false, depth: false }).sort(), [
    'det_boxes',
    'det_classes',
    'det_scores',
  ]);
});

test('neededOutputs: oriented boxes (det_rboxes, det_quads) are fetched instead of det_boxes unless axis-aligned boxes are asked for', (t) => {
  const det = { classification: false, segmentation: false, depth: false } as const;
  t.deepEqual(neededOutputs(entry(['det_rboxes', 'det_scores', 'det_classes']), det).sort(), [
    'det_classes',
    'det_rboxes',
    'det_scores',
  ]);
  t.deepEqual(neededOutputs(entry(['det_quads', 'det_scores', 'det_classes']), det).sort(), [
    'det_classes',
    'det_quads',
    'det_scores',
  ]);
  t.deepEqual(neededOutputs(entry([...ALL, 'det_rboxes']), det).sort(), ['det_classes', 'det_rboxes', 'det_scores']);
  t.deepEqual(neededOutputs(entry([...ALL, 'det_rboxes']), { ...det, detection: { geometry: 'axis' } }).sort(), [
    'det_boxes',
    'det_classes',
    'det_scores',
  ]);
  t.deepEqual(
    neededOutputs(entry(['det_rboxes', 'det_scores', 'det_classes']), {
      ...det,
      detection: { geometry: 'axis' },
    }).sort(),
    ['det_classes', 'det_rboxes', 'det_scores'],
  );
});

test('neededOutputs: a change entry needs change_prob; outputs an entry lacks are never asked for', (t) => {
  t.deepEqual(neededOutputs(entry(['change_prob']), {}), ['change_prob']);
  t.deepEqual(neededOutputs(entry(['cls_logits']), { classification: { topK: 3 } }), ['cls_logits']);
});

test('neededOutputs: with every task off the graph still runs, fetching its outputs (an imported model without task outputs too)', (t) => {
  t.deepEqual(neededOutputs(entry(['logits', 'score']), {}), ['logits', 'score']);
  const off = { classification: false, segmentation: false, detection: false, depth: false } as const;
  t.deepEqual(neededOutputs(entry(ALL), off), ALL);
});

test('failure(): EdgeErrors keep code, file and field; other errors are E_INFERENCE at inference, E_INTERNAL elsewhere', (t) => {
  const f = failure(
    'f1',
    'preprocess',
    new EdgeError('E_FRAME_DECODE', 'truncated JPEG', { file: 'a.jpg', field: 'frame.pixels' }),
  );
  t.deepEqual(f, {
    ok: false,
    frameId: 'f1',
    stage: 'preprocess',
    error: {
      code: 'E_FRAME_DECODE',
      message: 'a.jpg: frame.pixels: truncated JPEG',
      file: 'a.jpg',
      field: 'frame.pixels',
    },
  });
  t.is(failure('f2', 'inference', new Error('ort: bad shape')).error.code, 'E_INFERENCE');
  t.is(failure('f3', 'postprocess', new TypeError('x is undefined')).error.code, 'E_INTERNAL');
  t.is(failure('f4', 'inference', 'a string').error.message, 'a string');
});

test('resultId: <frameId>@<timestamp>/<task>, stable, hashed past 256 characters', (t) => {
  t.is(resultId('cam0-000123', 1718000000000, 'detection'), 'cam0-000123@1718000000000/detection');
  t.is(resultId('f', '2024-06-01T00:00:00Z', 'depth'), 'f@2024-06-01T00:00:00Z/depth');
  const long = resultId('x'.repeat(256), 1, 'segmentation');
  t.regex(long, /^h-[0-9a-f]{64}$/);
  t.is(long, resultId('x'.repeat(256), 1, 'segmentation'));
  t.not(long, resultId('x'.repeat(256), 2, 'segmentation'));
});

const result = (tasks: InferenceResult['tasks']): InferenceResult => ({
  ok: true,
  frameId: 'f1',
  modality: 'optical',
  entry: 'optical',
  timestamp: 5,
  model: { name: 'm', version: 'v1', packageHash: 'abc' },
  backend: 'onnxruntime',
  tasks,
  latencyMs: { preprocess: 1, queue: 0, inference: 2, postprocess: 1, total: 4 },
  frame: { width: 10, height: 8, inputs: 1 },
  warnings: [],
});

test('taskMessage: provenance plus the task result; typed-array rasters left out (and named) for JSON, kept for CBOR', (t) => {
  const depth = {
    task: 'depth',
    frameId: 'f1',
    width: 2,
    height: 1,
    unit: 'm',
    stats: { validPixels: 2 },
    depth: Float32Array.of(1, 2),
  };
  const r = result({ depth } as unknown as InferenceResult['tasks']);
  const json = taskMessage(r, depth, 'json');
  t.deepEqual(json.omitted, ['depth']);
  t.false('depth' in (json.result as object));
  t.deepEqual(JSON.parse(JSON.stringify(json)), json, 'plain JSON');
  t.is(json.frameId, 'f1');
  t.deepEqual(json.model, r.model);
  t.deepEqual(json.latencyMs, r.latencyMs);
  t.false('warnings' in json);
  const cbor = taskMessage(r, depth, 'cbor');
  t.is(cbor.omitted, undefined);
  t.true((cbor.result as { depth: unknown }).depth instanceof Float32Array);
});
