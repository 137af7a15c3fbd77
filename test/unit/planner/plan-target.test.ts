import test from 'ava';
import { openPackage } from '../../../sdk/package/open-package.js';
import { loadTarget, modelMemoryBudget } from '../../../sdk/core/targets/index.js';
import { namedConfig } from '../../../tools/ringmoe/config.js';
import { backboneParams } from '../../../tools/ringmoe/params.js';
import { configModel, packageModel } from '../../../tools/planner/model-source.js';
import { planForTarget, type PlanRequest } from '../../../tools/planner/plan-target.js';
import { renderTargetPlan } from '../../../tools/planner/render.js';
import { tinyPackage } from '../../helpers/packages.js';

const code = (e: unknown) => (e as { code?: string }).code;
const paper = () => configModel(namedConfig('ringmoe-14.7b'));
const plan = async (target: string, o: Partial<PlanRequest> = {}) =>
  planForTarget({ model: paper(), target: await loadTarget(target), modalities: ['optical'], ...o });

test("paper config on Orin Nano 8GB, optical: EP keeping 1 of 4 collaborative experts at int8 — the paper's 4.5B tier — explained", async (t) => {
  const p = await plan('jetson-orin-nano-8gb');
  t.is(p.choice.label, 'EP collaborative 1/4, modal 4/4');
  t.is(p.choice.precision, 'int8');
  t.true(Math.abs(p.choice.params.backbone - 4.48e9) / 4.48e9 < 0.01, `${p.choice.params.backbone}`);
  t.deepEqual(p.prune, { strategy: 'ep', modalities: 'optical', keepCollaborative: 0.25, keepModal: 1 });
  t.false(p.model.materialisable);
  const sub = p.candidates.find((c) => c.label === 'sub-model' && c.precision === 'int8')!;
  t.false(sub.fits);
  t.regex(sub.verdict, /^rejected: memory 6\.\d\d GiB > 4\.75 GiB/);
  t.true(
    p.candidates.filter((c) => c.rank < p.choice.rank).every((c) => !c.fits),
    'everything preferred to the choice misses',
  );
  const text = renderTargetPlan(p).join('\n');
  t.regex(text, /memory budget: 8\.00 GiB − reserve 3\.25 GiB \(OS, runtime, camera pipeline\) = 4\.75 GiB/);
  t.regex(text, /choice: EP collaborative 1\/4, modal 4\/4 at int8 — 4\.48B backbone parameters/);
  t.regex(text, /why int8: fp16 misses \(memory 8\.\d\d GiB > 4\.75 GiB/);
  t.regex(text, /why not less pruned: sub-model \(memory 6\.\d\d GiB > 4\.75 GiB/);
  t.regex(text, /note: planned from the ringmoe-14\.7b config alone \(accounting, not materialised\)/);
  t.regex(text, /note: latency is an estimate/);
  t.regex(text, /> EP collaborative 1\/4, modal 4\/4 +int8 +4\.48B/);
});

test('memory is weights at the precision + activations + TensorRT workspace against memory minus reserve', async (t) => {
  const target = await loadTarget('jetson-orin-nano-8gb');
  const p = await plan('jetson-orin-nano-8gb');
  for (const c of p.candidates) {
    t.is(c.memory.weightsBytes, c.params.total * { fp32: 4, fp16: 2, int8: 1 }[c.precision]);
    t.is(c.memory.needBytes, c.memory.weightsBytes + c.memory.activationsBytes + c.memory.workspaceBytes);
    t.is(c.memory.budgetBytes, modelMemoryBudget(target));
    t.is(c.memory.workspaceBytes, 256 * 2 ** 20);
    t.is(c.params.backbone, backboneParams(namedConfig('ringmoe-14.7b'), c.selection).total);
    t.is(c.latency.kind, 'estimate');
  }
  const capped = await plan('jetson-orin-nano-8gb', { maxMemoryMb: 3000 });
  t.is(capped.choice.memory.budgetBytes, 3000 * 2 ** 20);
  t.true(capped.choice.params.backbone < p.choice.params.backbone);
});

test('a latency limit moves the choice to a cheaper path: 100 ms on Orin Nano 8GB gives a dense tier', async (t) => {
  const p = await plan('jetson-orin-nano-8gb', { maxLatencyMs: 100 });
  t.is(p.choice.label, 'dense ka', 'dense strategies keep the same parameters; ka is preferred');
  t.true(p.choice.latency.ms <= 100);
  const ep = p.candidates.find((c) => c.label === 'EP collaborative 1/4, modal 4/4' && c.precision === 'int8')!;
  t.regex(ep.verdict, /rejected: latency ≈\d+ ms > 100 ms/);
});

test('EXPECTED FAILURE - a target nothing fits is E_PLAN_INFEASIBLE naming the closest plan and how far it misses', async (t) => {
  const err = await t.throwsAsync(plan('jetson-nano-4gb', { maxLatencyMs: 100 }));
  t.is(code(err), 'E_PLAN_INFEASIBLE');
  t.regex(
    err!.message,
    /no plan of ringmoe-14\.7b for optical fits jetson-nano-4gb: the closest, dense ka at fp16 \(1\.06B backbone parameters\), misses by memory [\d.]+ GiB > 1\.75 GiB \([\d.]+ GiB over\) and latency ≈\d+ ms > 100 ms \(\d+ ms over\)/,
  );
  t.regex(err!.message, /relax --max-latency-ms/);
});

test('Jetson Nano (TensorRT 8.2) cannot build the sparse lowering: routed candidates are costed with every expert, and the plan says so', async (t) => {
  const p = await plan('jetson-nano-4gb', { model: configModel(namedConfig('ringmoe-small')) });
  t.true(p.notes.some((n) => /cannot build the sparse lowering \(NonZero needs TensorRT ≥ 8\.5\)/.test(n)));
  const ep = p.candidates.find((c) => c.label.startsWith('EP'))!;
  t.is(ep.latency.lowering, 'dense');
});

test('a package on the CPU target: fp32 sub-model (onnxruntime has no fp16 path there), no TensorRT workspace', async (t) => {
  const { dir } = await tinyPackage();
  const pkg = await openPackage(dir);
  const p = planForTarget({
    model: packageModel(pkg.manifest, pkg.packageHash),
    target: await loadTarget('cpu-x86-64-onnxruntime'),
    modalities: ['sar-l2'],
  });
  t.is(p.choice.label, 'sub-model');
  t.is(p.choice.precision, 'fp32');
  t.is(p.choice.memory.workspaceBytes, 0);
  t.deepEqual(p.model.package, { name: 'ringmoe-tiny', sha256: pkg.packageHash });
  t.true(p.model.materialisable);
  t.regex(
    renderTargetPlan(p, dir).join('\n'),
    /apply: ringmoe-edge prune .* --strategy modality --modalities sar-l2 -o <out>/,
  );
});

test('BAD CALL - unknown modality, unknown task, a precision the target lacks, a bad limit, change without a change entry', async (t) => {
  const m = await t.throwsAsync(plan('jetson-orin-nano-8gb', { modalities: ['lidar'] }));
  t.is(code(m), 'E_UNKNOWN_MODALITY');
  t.regex(m!.message, /--modalities: unknown modality "lidar"/);
  const task = await t.throwsAsync(plan('jetson-orin-nano-8gb', { tasks: ['tracking' as never] }));
  t.is(code(task), 'E_UNKNOWN_TASK');
  const prec = await t.throwsAsync(plan('jetson-nano-4gb', { precisions: ['int8'] }));
  t.is(code(prec), 'E_INVALID_ARGUMENT');
  t.regex(prec!.message, /--precision: jetson-nano-4gb does not support int8; it supports fp32, fp16/);
  const lat = await t.throwsAsync(plan('jetson-orin-nano-8gb', { maxLatencyMs: -5 }));
  t.regex(lat!.message, /--max-latency-ms/);
  const change = await t.throwsAsync(plan('jetson-orin-nano-8gb', { modalities: ['sar-l2'], tasks: ['change'] }));
  t.regex(
    change!.message,
    /task change needs a change-detection entry, which sar-l2 does not have \(change entries: optical, multispectral\)/,
  );
});
