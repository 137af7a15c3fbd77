/**
 * The target profile chooses the INT8 format: the shipped CPU profile gets cpu-dynamic (its
 * runtime's default), a TensorRT profile gets qdq-symmetric, a TensorRT profile that names a CPU
 * format is refused, and the format restricts the plan to what it computes in integers.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isEdgeError } from '../../../sdk/core/errors.js';
import { assertValidTarget, loadTarget, validateTargetProfile } from '../../../sdk/core/targets/index.js';
import { formatForTarget, planForFormat } from '../../../tools/quantize/int8-format.js';
import type { QdqPlan } from '../../../tools/quantize/qdq-plan.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';

const profile = async (id: string) =>
  JSON.parse(await readFile(join(REPO_ROOT, 'targets', `${id}.json`), 'utf8')) as Record<string, unknown>;

test('the CPU profile chooses cpu-dynamic (the onnxruntime default) and says so', async (t) => {
  const target = await loadTarget('cpu-x86-64-onnxruntime');
  t.deepEqual(target.int8Format, { value: 'cpu-dynamic', origin: 'runtime default' });
  const choice = formatForTarget(target);
  t.is(choice.format, 'cpu-dynamic');
  t.regex(choice.reason, /cpu-x86-64-onnxruntime .*onnxruntime default/);
});

test('a TensorRT profile chooses qdq-symmetric', async (t) => {
  for (const id of ['jetson-orin-nx-16gb', 'x86-rtx4000-ada-ground-station']) {
    const target = await loadTarget(id);
    t.is(formatForTarget(target).format, 'qdq-symmetric', id);
    t.regex(formatForTarget(target).reason, /tensorrt default/);
  }
});

test('a profile that names its format keeps it, and the reason says it came from the profile', async (t) => {
  const json = { ...(await profile('cpu-x86-64-onnxruntime')), int8Format: 'qdq-symmetric' };
  const v = validateTargetProfile(json, 'cpu-named.json');
  t.deepEqual(v.errors, []);
  t.deepEqual(v.profile!.int8Format, { value: 'qdq-symmetric', origin: 'profile' });
  t.regex(formatForTarget(v.profile!).reason, /its int8Format/);
  // onnxruntime runs it, slowly: a warning, not an error.
  t.true(v.warnings.some((w) => w.field === 'int8Format' && /slower than fp32/.test(w.message)));
});

test('EXPECTED FAILURE - a TensorRT profile naming cpu-dynamic is refused, naming the field', async (t) => {
  const json = { ...(await profile('jetson-orin-nx-16gb')), int8Format: 'cpu-dynamic' };
  const err = t.throws(() => assertValidTarget(json, 'orin-cpu-format.json'));
  t.true(isEdgeError(err, 'E_TARGET_PROFILE'));
  t.regex(err.message, /orin-cpu-format\.json/);
  t.regex(err.message, /int8Format: cpu-dynamic .*TensorRT target reads qdq-symmetric/);
});

test('EXPECTED FAILURE - an unknown format is refused by the schema', async (t) => {
  const json = { ...(await profile('cpu-x86-64-onnxruntime')), int8Format: 'qoperator' };
  const v = validateTargetProfile(json, 'cpu-unknown-format.json');
  t.true(v.errors.some((e) => e.field === 'int8Format'));
});

test('cpu-dynamic keeps Gemm and Conv float (not-matmul) and drops their weights from the plan', (t) => {
  const plan: QdqPlan = {
    quantized: [
      { node: 'mm', op: 'MatMul', activation: 'a', weight: 'w1', axis: 1 },
      { node: 'gemm', op: 'Gemm', activation: 'a', weight: 'w2', axis: 0 },
      { node: 'conv', op: 'Conv', activation: 'b', weight: 'w3', axis: 0 },
    ],
    skipped: [{ node: 'r', op: 'MatMul', weight: 'wr', reason: 'router' }],
    activations: ['a', 'b'],
    weights: new Map([
      ['w1', 1],
      ['w2', 0],
      ['w3', 0],
    ]),
  };
  const p = planForFormat(plan, 'cpu-dynamic');
  t.deepEqual(
    p.quantized.map((q) => q.node),
    ['mm'],
  );
  t.deepEqual([...p.weights], [['w1', 1]]);
  t.deepEqual(p.activations, ['a']);
  t.deepEqual(
    p.skipped.map((s) => `${s.node}:${s.reason}`),
    ['r:router', 'gemm:not-matmul', 'conv:not-matmul'],
  );
  t.is(planForFormat(plan, 'qdq-symmetric'), plan);
});
