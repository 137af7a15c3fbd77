/**
 * Runtime and run() options: defaults, and a clear error naming the option for every bad value —
 * nested groups (preprocess, tasks, mqtt) included, at createRuntime rather than frame by frame.
 */
import test from 'ava';
import type { EdgeError } from '../../../sdk/core/errors.js';
import { resolveRunOptions, resolveRuntimeOptions } from '../../../sdk/runtime/resolve-options.js';
import { createRuntime } from '../../../sdk/runtime/runtime.js';

const bad = (o: unknown): EdgeError => {
  try {
    resolveRuntimeOptions(o);
  } catch (err) {
    return err as EdgeError;
  }
  throw new Error(`accepted ${JSON.stringify(o)}`);
};

test('defaults', (t) => {
  const o = resolveRuntimeOptions({ package: 'pkg' });
  t.is(o.backend, 'auto');
  t.is(o.verify, 'full');
  t.is(o.batchMax, 4);
  t.is(o.batchDeadlineMs, 5);
  t.is(o.queueCapacity, 8);
  t.is(o.queuePolicy, 'block');
  t.is(o.metricsIntervalMs, 10_000);
  t.false(o.transferPixels);
  t.is(o.ortSessionThread, 'worker');
  t.is(resolveRuntimeOptions({ package: 'pkg', onnxruntime: { sessionThread: 'main' } }).ortSessionThread, 'main');
  t.is(resolveRuntimeOptions({ package: 'pkg', onnxruntime: {} }).ortSessionThread, 'worker');
  t.deepEqual(o.tasks, {});
  t.true(o.workers >= 0 && o.workers <= 2);
  t.deepEqual(resolveRunOptions(undefined, o), { policy: 'block', capacity: 8 });
  t.deepEqual(resolveRunOptions({ policy: 'drop-oldest' }, o), { policy: 'drop-oldest', capacity: 8 });
});

const CASES: [string, unknown, RegExp, string][] = [
  ['not an object', 'pkg', /options/, 'options'],
  ['no package', {}, /options\.package/, 'options.package'],
  [
    'misspelt option',
    { package: 'p', bacth: {} },
    /unknown option options\.bacth; did you mean options\.batch\?/,
    'options.bacth',
  ],
  [
    'unknown backend',
    { package: 'p', backend: 'cuda' },
    /"auto", "onnxruntime", "tensorrt" for options\.backend/,
    'options.backend',
  ],
  ['verify', { package: 'p', verify: 'none' }, /options\.verify/, 'options.verify'],
  ['entries empty', { package: 'p', entries: [] }, /options\.entries/, 'options.entries'],
  [
    'batch.max 0',
    { package: 'p', batch: { max: 0 } },
    /integer between 1 and 256 for options\.batch\.max/,
    'options.batch.max',
  ],
  [
    'batch.deadlineMs negative',
    { package: 'p', batch: { deadlineMs: -1 } },
    /options\.batch\.deadlineMs/,
    'options.batch.deadlineMs',
  ],
  [
    'batch unknown key',
    { package: 'p', batch: { size: 2 } },
    /unknown option options\.batch\.size/,
    'options.batch.size',
  ],
  [
    'queue.policy',
    { package: 'p', queue: { policy: 'drop-newest' } },
    /options\.queue\.policy/,
    'options.queue.policy',
  ],
  ['queue.capacity', { package: 'p', queue: { capacity: 0 } }, /options\.queue\.capacity/, 'options.queue.capacity'],
  ['workers', { package: 'p', workers: 1.5 }, /options\.workers/, 'options.workers'],
  ['threads', { package: 'p', threads: 0 }, /options\.threads/, 'options.threads'],
  [
    'onnxruntime not an object',
    { package: 'p', onnxruntime: 'worker' },
    /an object for options\.onnxruntime/,
    'options.onnxruntime',
  ],
  [
    'onnxruntime.sessionThread',
    { package: 'p', onnxruntime: { sessionThread: 'gpu' } },
    /one of "worker", "main" for options\.onnxruntime\.sessionThread/,
    'options.onnxruntime.sessionThread',
  ],
  [
    'onnxruntime unknown key',
    { package: 'p', onnxruntime: { thread: 'main' } },
    /unknown option options\.onnxruntime\.thread/,
    'options.onnxruntime.thread',
  ],
  [
    'onnxruntime.sessionThread with a custom backend',
    { package: 'p', onnxruntime: { sessionThread: 'main' }, backends: { onnxruntime: {} } },
    /applies to the built-in onnxruntime backend/,
    'options.onnxruntime.sessionThread',
  ],
  [
    'transferPixels',
    { package: 'p', transferPixels: 'yes' },
    /a boolean for options\.transferPixels/,
    'options.transferPixels',
  ],
  [
    'metricsIntervalMs',
    { package: 'p', metricsIntervalMs: 10 },
    /options\.metricsIntervalMs/,
    'options.metricsIntervalMs',
  ],
  [
    'preprocess.inputSize',
    { package: 'p', preprocess: { inputSize: 64 } },
    /comes from the package/,
    'options.preprocess.inputSize',
  ],
  [
    'preprocess.fit',
    { package: 'p', preprocess: { fit: 'stretch' } },
    /for options\.preprocess\.fit/,
    'options.preprocess.fit',
  ],
  [
    'preprocess unknown key',
    { package: 'p', preprocess: { tile: true } },
    /unknown option options\.preprocess\.tile/,
    'options.preprocess.tile',
  ],
  [
    'tasks unknown task',
    { package: 'p', tasks: { counting: false } },
    /unknown option options\.tasks\.counting/,
    'options.tasks.counting',
  ],
  [
    'tasks.detection threshold',
    { package: 'p', tasks: { detection: { scoreThreshold: 2 } } },
    /between 0 and 1 for options\.tasks\.detection\.scoreThreshold/,
    'options.tasks.detection.scoreThreshold',
  ],
  [
    'tasks.detection labels',
    { package: 'p', tasks: { detection: { labels: ['a'] } } },
    /unknown option options\.tasks\.detection\.labels/,
    'options.tasks.detection.labels',
  ],
  [
    'tasks.detection geometry',
    { package: 'p', tasks: { detection: { geometry: 'rotated' } } },
    /one of "axis", "oriented" for options\.tasks\.detection\.geometry/,
    'options.tasks.detection.geometry',
  ],
  [
    'tasks.depth percentiles',
    { package: 'p', tasks: { depth: { percentiles: [50, 101] } } },
    /options\.tasks\.depth\.percentiles/,
    'options.tasks.depth.percentiles',
  ],
  [
    'tasks.segmentation true',
    { package: 'p', tasks: { segmentation: true } },
    /false \(off\) or an options object for options\.tasks\.segmentation/,
    'options.tasks.segmentation',
  ],
  ['tasks.features', { package: 'p', tasks: { features: 1 } }, /options\.tasks\.features/, 'options.tasks.features'],
  [
    'tasks.change stitch',
    { package: 'p', tasks: { change: { stitch: 'max' } } },
    /options\.tasks\.change\.stitch/,
    'options.tasks.change.stitch',
  ],
  ['mqtt not an object', { package: 'p', mqtt: 'mqtt://x' }, /an object for options\.mqtt/, 'options.mqtt'],
  [
    'mqtt url',
    { package: 'p', mqtt: { url: 'http://x', fleet: 'f', device: 'd' } },
    /options\.mqtt\.url/,
    'options.mqtt.url',
  ],
  [
    'mqtt fleet',
    { package: 'p', mqtt: { url: 'mqtt://x', fleet: 'a/b', device: 'd' } },
    /options\.mqtt\.fleet/,
    'options.mqtt.fleet',
  ],
  [
    'mqtt modelVersion',
    { package: 'p', mqtt: { url: 'mqtt://x', fleet: 'f', device: 'd', modelVersion: '1' } },
    /set by the runtime/,
    'options.mqtt.modelVersion',
  ],
];

for (const [name, options, message, field] of CASES) {
  test(`BAD CALL - ${name}: E_INVALID_ARGUMENT naming ${field}`, (t) => {
    const err = bad(options);
    t.is(err.code, 'E_INVALID_ARGUMENT');
    t.regex(err.message, message);
    t.is(err.field, field);
  });
}

test('BAD CALL - run() options name the option', (t) => {
  const base = resolveRuntimeOptions({ package: 'p' });
  const e1 = t.throws<EdgeError>(() => resolveRunOptions({ policy: 'newest' }, base));
  t.is(e1?.field, 'options.policy');
  const e2 = t.throws<EdgeError>(() => resolveRunOptions({ capacity: 0 }, base));
  t.is(e2?.field, 'options.capacity');
  const e3 = t.throws<EdgeError>(() => resolveRunOptions({ polcy: 'block' }, base));
  t.regex(e3!.message, /did you mean options\.policy/);
  const e4 = t.throws<EdgeError>(() => resolveRunOptions(5, base));
  t.is(e4?.code, 'E_INVALID_ARGUMENT');
});

test('EXPECTED FAILURE - createRuntime on a directory that is not a package names it', async (t) => {
  const err = await t.throwsAsync<EdgeError>(createRuntime({ package: 'examples/data', workers: 0 }));
  t.truthy(err?.code?.startsWith('E_'));
  t.regex(err!.message, /examples\/data/);
});
