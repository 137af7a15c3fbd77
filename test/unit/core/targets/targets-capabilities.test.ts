/**
 * The pure planning functions (capabilities.ts), on the real shipped profiles.
 */
import test from 'ava';
import { join } from 'node:path';
import {
  bestPrecision,
  compareVersions,
  dlaUsable,
  effectiveThroughput,
  GIB,
  loadTarget,
  mathUnitFor,
  modelMemoryBudget,
  peakThroughput,
  tensorrtVersionsFor,
  UTILISATION,
  versionsMatch,
  type TargetProfile,
} from '../../../../sdk/core/targets/index.js';
import { isEdgeError } from '../../../../sdk/core/errors.js';
import { REPO_ROOT } from '../../../helpers/shared-data.js';

const dir = join(REPO_ROOT, 'targets');
const load = (id: string): Promise<TargetProfile> => loadTarget(id, { dir });

test('bestPrecision: INT8 where the compute unit has it, FP16 on Nano and TX2', async (t) => {
  t.is(bestPrecision(await load('jetson-nano-4gb')), 'fp16');
  t.is(bestPrecision(await load('jetson-tx2-8gb')), 'fp16');
  t.is(bestPrecision(await load('jetson-orin-nano-8gb')), 'int8');
  t.is(bestPrecision(await load('jetson-agx-xavier-32gb')), 'int8');
  t.is(bestPrecision(await load('cpu-x86-64-onnxruntime')), 'int8');
});

test('effectiveThroughput = dense peak x the utilisation policy of the math unit', async (t) => {
  const agx = await load('jetson-agx-orin-64gb');
  t.is(effectiveThroughput(agx, 'int8'), 85.5e12 * UTILISATION['tensor-core'].int8);
  t.is(effectiveThroughput(agx, 'fp16'), 42.75e12 * UTILISATION['tensor-core'].fp16);
  t.is(effectiveThroughput(agx, 'fp32'), 5.3e12 * UTILISATION['cuda-core'].fp32);
  // FP16 on a GPU without tensor cores runs on CUDA cores
  const nano = await load('jetson-nano-4gb');
  t.is(mathUnitFor(nano, 'fp16'), 'cuda-core');
  t.is(effectiveThroughput(nano, 'fp16'), 0.472e12 * UTILISATION['cuda-core'].fp16);
  const cpu = await load('cpu');
  t.is(mathUnitFor(cpu, 'int8'), 'cpu');
  t.is(effectiveThroughput(cpu, 'fp32'), 0.768e12 * UTILISATION.cpu.fp32);
  // A faster device plans faster, for every precision both support
  const orinNano = await load('jetson-orin-nano-8gb');
  for (const p of ['int8', 'fp16', 'fp32'] as const)
    t.true(effectiveThroughput(agx, p) > effectiveThroughput(orinNano, p), p);
  t.is(peakThroughput(agx, 'int8').confidence, 'derived');
});

test('BAD CALL - effectiveThroughput for a precision the target lacks, or no precision at all', async (t) => {
  const tx2 = await load('jetson-tx2-8gb');
  const e1 = t.throws(() => effectiveThroughput(tx2, 'int8'));
  t.true(isEdgeError(e1, 'E_INVALID_ARGUMENT'));
  t.regex(e1!.message, /jetson-tx2-8gb does not support int8 \(its GPU supports fp32, fp16\)/);
  t.regex(e1!.message, /bestPrecision\(\): fp16/);
  const e2 = t.throws(() => effectiveThroughput(tx2, 'bf16' as never));
  t.regex(e2!.message, /Expected one of fp32, fp16, int8 for precision but received "bf16"/);
});

test('modelMemoryBudget = memory minus the OS, runtime and pipeline reserve', async (t) => {
  const nano8 = await load('jetson-orin-nano-8gb');
  t.is(modelMemoryBudget(nano8), (8 - 1.25 - 1 - 1) * GIB);
  const gs = await load('ground-station');
  t.is(modelMemoryBudget(gs), (20 - 2) * GIB);
  for (const id of ['jetson-nano-4gb', 'jetson-orin-nano-4gb']) {
    const b = modelMemoryBudget(await load(id));
    t.true(b > 1.5 * GIB && b < 2 * GIB, `${id}: ${b / GIB} GiB`);
  }
});

test('tensorrtVersionsFor lists distinct versions in numeric order; none on the CPU target', async (t) => {
  t.deepEqual(tensorrtVersionsFor(await load('jetson-agx-orin-64gb')), ['8.5.2', '8.6.2', '10.3', '10.16', '11.4.1']);
  t.deepEqual(tensorrtVersionsFor(await load('jetson-nano-4gb')), ['8.0.1', '8.2', '8.2.1']);
  t.deepEqual(tensorrtVersionsFor(await load('cpu')), []);
});

test('dlaUsable: matches installed versions against the profile, false without DLA cores', async (t) => {
  const xavier = await load('jetson-xavier-nx-8gb');
  t.true(dlaUsable(xavier, '8.5.2.2'), 'a precise installed version matches the 8.5.2 line');
  t.true(dlaUsable(xavier, '8.2'));
  const nano = await load('jetson-orin-nano-8gb');
  t.false(dlaUsable(nano, '10.3'));
  const e = t.throws(() => dlaUsable(xavier, '10.3'));
  t.true(isEdgeError(e, 'E_INVALID_ARGUMENT'));
  t.regex(
    e!.message,
    /TensorRT 10\.3 is not on any software line of jetson-xavier-nx-8gb \(known: 8\.0\.1, 8\.2, 8\.2\.1, 8\.4\.1, 8\.5\.2\)/,
  );
  const bad = t.throws(() => dlaUsable(xavier, '10'));
  t.regex(bad!.message, /Expected a TensorRT version like "10.3" for trtVersion but received "10"/);
});

test('versions compare numerically and match by component prefix', (t) => {
  t.true(compareVersions('10.3', '8.6.2') > 0);
  t.true(compareVersions('10.16', '10.3') > 0);
  t.is(compareVersions('6.2', '6.2.0'), 0);
  t.true(versionsMatch('10.3', '10.3.0.30'));
  t.false(versionsMatch('10.3', '10.13'));
  t.false(versionsMatch('8.x', '8.2'));
});
