import test from 'ava';
import { compareOutput, cosine, latencyStats, relativeError } from '../../../tools/engine/compare.js';
import { floatToHalf, halfToFloat } from '../../../sdk/core/float16.js';

const f32 = (v: number[]) => ({ dtype: 'float32' as const, shape: [v.length], data: Float32Array.from(v) });

test('half floats decode (normal, subnormal, infinity, NaN)', (t) => {
  t.is(halfToFloat(0x3c00), 1);
  t.is(halfToFloat(0xc000), -2);
  t.is(halfToFloat(0x0001), 2 ** -24);
  t.is(halfToFloat(0x7c00), Infinity);
  t.true(Number.isNaN(halfToFloat(0x7e00)));
});

test('relative error and cosine on known vectors', (t) => {
  t.true(Math.abs(relativeError(Float64Array.from([1, 2, 3.003]), Float64Array.from([1, 2, 3])) - 0.001) < 1e-12);
  t.true(Math.abs(cosine(Float64Array.from([1, 0]), Float64Array.from([0, 1]))) < 1e-12);
  t.is(cosine(Float64Array.from([0, 0]), Float64Array.from([0, 0])), 1);
});

test('fp32 passes at 1e-3 relative and fails above; fp16 allows 1e-2', (t) => {
  t.true(compareOutput('y', f32([1, 2, 1000.5]), f32([1, 2, 1000]), 'fp32').pass);
  t.false(compareOutput('y', f32([1, 2, 1002]), f32([1, 2, 1000]), 'fp32').pass);
  t.true(compareOutput('y', f32([1, 2, 1009]), f32([1, 2, 1000]), 'fp16').pass);
  t.false(compareOutput('y', f32([1, 2, 1011]), f32([1, 2, 1000]), 'fp16').pass);
});

test('int8 is judged by cosine >= 0.99', (t) => {
  t.true(compareOutput('f', f32([1, 2, 3, 4]), f32([1.05, 1.95, 3.1, 3.9]), 'int8').pass);
  t.false(compareOutput('f', f32([4, 3, 2, 1]), f32([1, 2, 3, 4]), 'int8').pass);
});

test('EXPECTED FAILURE - shape mismatch or NaN in one output fails whatever the metric', (t) => {
  const r = compareOutput('y', { dtype: 'float32', shape: [1, 3], data: new Float32Array(3) }, f32([0, 0, 0]), 'fp32');
  t.false(r.pass);
  t.regex(r.note!, /shape \[1,3\] vs reference \[3\]/);
  t.false(compareOutput('y', f32([NaN, 1]), f32([0, 1]), 'int8').pass);
});

test('float16 engine outputs are decoded before comparing', (t) => {
  const half = { dtype: 'float16' as const, shape: [2], data: Uint16Array.from([0x3c00, 0x4000]) };
  t.true(compareOutput('y', half, f32([1, 2]), 'fp16').pass);
});

test('latency statistics: median of even and odd counts, p90', (t) => {
  t.deepEqual(latencyStats([5, 1, 3]), { median: 3, p90: 5 });
  t.is(latencyStats([4, 1, 3, 2]).median, 2.5);
  t.is(latencyStats(Array.from({ length: 10 }, (_, i) => i + 1)).p90, 9);
});

test('float16 encode/decode: exact for representable values, round to nearest even, overflow and NaN', (t) => {
  for (const v of [0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8, -0.000244140625])
    t.is(halfToFloat(floatToHalf(v)), v, String(v));
  t.is(floatToHalf(1 + 2 ** -11), floatToHalf(1), 'tie rounds to even');
  t.is(halfToFloat(floatToHalf(1 + 3 * 2 ** -11)), 1 + 2 * 2 ** -10, 'tie rounds up to even');
  t.is(halfToFloat(floatToHalf(70000)), Infinity);
  t.true(Number.isNaN(halfToFloat(floatToHalf(NaN))));
  for (let h = 0; h < 0x7c00; h += 97) t.is(floatToHalf(halfToFloat(h)), h);
});
