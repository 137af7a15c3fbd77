import test from 'ava';
import { classificationResult, softmax } from '../../../sdk/tasks/classification.js';
import { preprocessFrame } from '../../../sdk/sensors/preprocess/preprocess.js';
import type { HostTensor } from '../../../sdk/core/host-tensor.js';
import { REAL, frameOf } from '../../fixtures/frames/index.js';

const tensor = (shape: number[], values: number[]): HostTensor => ({
  dtype: 'float32',
  shape,
  data: Float32Array.from(values),
});

test('softmax is stable for large logits and sums to 1', (t) => {
  const p = softmax(Float32Array.from([1000, 1001, 1002]));
  const e = [Math.exp(-2), Math.exp(-1), 1];
  const s = e[0]! + e[1]! + e[2]!;
  e.forEach((v, i) => t.true(Math.abs(p[i]! - v / s) < 1e-12));
});

test('top-k labels with softmax scores for a resized frame', async (t) => {
  const pre = await preprocessFrame(frameOf(REAL.aero1, 'optical', { id: 'cam-1' }), {
    inputSize: 64,
    fit: 'resize-crop',
  });
  const labels = ['water', 'forest', 'urban', 'farmland'];
  const r = classificationResult(tensor([1, 4], [0.1, 2.0, 3.0, -1]), pre, { labels, topK: 2 });
  t.is(r.frameId, 'cam-1');
  t.deepEqual(
    r.top.map((c) => c.label),
    ['urban', 'forest'],
  );
  const p = softmax(Float32Array.from([0.1, 2.0, 3.0, -1]));
  t.true(Math.abs(r.top[0]!.score - p[2]!) < 1e-12);
  t.is(r.tiles, undefined);
  t.deepEqual(JSON.parse(JSON.stringify(r)), r);
});

test('tiled frame: per-tile rankings and the mean probability, from outputs split over batches', async (t) => {
  const pre = await preprocessFrame(frameOf(REAL.aero1, 'optical'), {
    inputSize: 320,
    fit: 'tile',
    overlap: 0,
    batchSize: 2,
  });
  const n = pre.layout.tiles.length;
  t.is(n, 4);
  const logits = [
    [5, 0, 0],
    [0, 5, 0],
    [5, 0, 0],
    [5, 0, 0],
  ];
  const batches = pre.batches.map((b) =>
    tensor(
      [b.shape[0], 3],
      b.tiles.flatMap((i) => logits[i]!),
    ),
  );
  const r = classificationResult(batches, pre, { topK: 3 });
  t.is(r.tiles!.length, 4);
  t.is(r.tiles![1]!.top[0]!.classId, 1);
  t.is(r.top[0]!.label, 'class_0');
  const p = softmax(Float32Array.from([5, 0, 0]));
  const q = softmax(Float32Array.from([0, 5, 0]));
  t.true(Math.abs(r.top[0]!.score - (3 * p[0]! + q[0]!) / 4) < 1e-12);
});

test('EXPECTED FAILURE - outputs that break the contract are E_MODEL_OUTPUT', async (t) => {
  const pre = await preprocessFrame(frameOf(REAL.aero1, 'optical'), { inputSize: 32 });
  const cases: [unknown, RegExp][] = [
    [tensor([2, 3], [1, 2, 3, 4, 5, 6]), /covers 2 item\(s\) but the frame has 1 model input/],
    [tensor([1, 3, 1], [1, 2, 3]), /expected rank 2/],
    [tensor([1, 3], [1, NaN, 3]), /value 1 is NaN; outputs must be finite/],
    [{ dtype: 'float32', shape: [1, 3], data: new Float32Array(2) }, /has 2 values for shape \[1, 3\]/],
  ];
  for (const [out, re] of cases) {
    const e = t.throws(() => classificationResult(out as HostTensor, pre));
    t.is((e as { code?: string }).code, 'E_MODEL_OUTPUT');
    t.regex(e!.message, re);
  }
  const e = t.throws(() => classificationResult(tensor([1, 3], [1, 2, 3]), pre, { labels: ['a', 'b'] }));
  t.regex(e!.message, /has 3 classes but 2 labels were given/);
  const bad = t.throws(() => classificationResult(tensor([1, 3], [1, 2, 3]), pre, { topK: 4 }));
  t.is((bad as { code?: string }).code, 'E_INVALID_ARGUMENT');
});

test('float16 outputs (bit patterns) are converted', async (t) => {
  const pre = await preprocessFrame(frameOf(REAL.aero1, 'optical'), { inputSize: 32 });
  // 1.0 = 0x3c00, 2.0 = 0x4000, -2.0 = 0xc000
  const r = classificationResult(
    { dtype: 'float16', shape: [1, 3], data: Uint16Array.from([0x3c00, 0x4000, 0xc000]) },
    pre,
  );
  const p = softmax(Float32Array.from([1, 2, -2]));
  t.is(r.top[0]!.classId, 1);
  t.true(Math.abs(r.top[0]!.score - p[1]!) < 1e-12);
});
