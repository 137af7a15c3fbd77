/**
 * checkValues: the fast scans (a finiteness sum for unbounded outputs, a range scan for bounded ones)
 * must refuse exactly what the value-by-value check refuses, naming the first bad value.
 */
import test from 'ava';
import type { EdgeError } from '../../../sdk/core/errors.js';
import { checkValues, stackOutput } from '../../../sdk/tasks/outputs.js';

test('EXPECTED FAILURE - a NaN or infinity anywhere (every lane and remainder position) is refused, naming its index', (t) => {
  for (let n = 1; n <= 9; n++) {
    for (let at = 0; at < n; at++) {
      for (const bad of [Number.NaN, Infinity, -Infinity]) {
        const data = new Float32Array(n).fill(1e30);
        data[at] = bad;
        const err = t.throws<EdgeError>(() => checkValues('seg_logits', data));
        t.is(err?.code, 'E_MODEL_OUTPUT');
        t.is(err?.message, `seg_logits: output seg_logits: value ${at} is ${bad}; outputs must be finite`);
      }
    }
  }
});

test('finite values pass, huge or signed zero included; bounded outputs refuse values outside the range plus tolerance', (t) => {
  t.notThrows(() => checkValues('x', Float32Array.of(-0, 0, 3.4e38, -3.4e38, 1e-45)));
  t.notThrows(() => checkValues('p', Float32Array.of(0, 1, 1.0009, -0.0009), 0, 1));
  const err = t.throws<EdgeError>(() => checkValues('change_prob', Float32Array.of(0.5, 1.5, Number.NaN), 0, 1));
  t.regex(err!.message, /value 1 is 1\.5, outside the documented range \[0, 1\]/);
  const nan = t.throws<EdgeError>(() => checkValues('depth', Float32Array.of(2, Number.NaN), 0, Infinity));
  t.regex(nan!.message, /value 1 is NaN; outputs must be finite/);
});

test('stackOutput: one float32 tensor is used as it is; several batches or other dtypes are copied into one array', (t) => {
  const a = { dtype: 'float32' as const, shape: [1, 2], data: Float32Array.of(1, 2) };
  t.is(stackOutput('o', a, 2, [2], 1).data, a.data);
  const b = { dtype: 'float32' as const, shape: [1, 2], data: Float32Array.of(3, 4) };
  const both = stackOutput('o', [a, b], 2, [2], 2);
  t.deepEqual(Array.from(both.data), [1, 2, 3, 4]);
  t.deepEqual(both.shape, [2, 2]);
  const ints = stackOutput('o', { dtype: 'int32', shape: [1, 2], data: Int32Array.of(5, 6) }, 2, [2], 1);
  t.true(ints.data instanceof Float32Array);
  t.deepEqual(Array.from(ints.data), [5, 6]);
});
