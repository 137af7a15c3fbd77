/**
 * plan → prune → compile → bundle never yields an artefact a Jetson Nano (TensorRT 8.0/8.2) cannot
 * build: the real ringmoe-tiny package's routed graphs select tokens with NonZero (sparse lowering),
 * which needs TensorRT ≥ 8.5.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadTarget } from '../../../sdk/core/targets/index.js';
import { openPackage } from '../../../sdk/package/open-package.js';
import { bundlePlan } from '../../../tools/bundle/pack.js';
import { runCli } from '../../../tools/cli/cli.js';
import { createIO } from '../../../tools/cli/io.js';
import { compilePackage } from '../../../tools/compile/compile-package.js';
import { assertBuildableOn, entriesWithNonZero, sparseLoweringProblem } from '../../../tools/planner/lowering.js';
import { packageModel } from '../../../tools/planner/model-source.js';
import { planForTarget } from '../../../tools/planner/plan-target.js';
import { prunePackage } from '../../../tools/prune/prune.js';
import { tempDir, tinyPackage } from '../../helpers/packages.js';
import { calibratedTiny } from '../prune/helpers.js';

const code = (e: unknown) => (e as { code?: string }).code;

test("the Nano's TensorRT cannot build the sparse lowering; Orin Nano's and onnxruntime can", async (t) => {
  t.regex(
    sparseLoweringProblem(await loadTarget('jetson-nano-4gb'))!,
    /jetson-nano-4gb's newest TensorRT 8\.\d\.\d cannot build the sparse MoE lowering \(its NonZero token selection needs TensorRT ≥ 8\.5\)/,
  );
  t.truthy(sparseLoweringProblem(await loadTarget('jetson-tx2-8gb')));
  t.is(sparseLoweringProblem(await loadTarget('jetson-orin-nano-8gb')), undefined);
  t.is(sparseLoweringProblem(await loadTarget('cpu-x86-64-onnxruntime')), undefined);
});

test('planning the sparse package for a Nano chooses a dense tier; routed candidates are rejected as not buildable', async (t) => {
  const { dir } = await tinyPackage();
  const pkg = await openPackage(dir);
  const p = planForTarget({
    model: packageModel(pkg.manifest, pkg.packageHash),
    target: await loadTarget('jetson-nano-4gb'),
    modalities: ['optical'],
  });
  t.true(['ka', 'ks', 'kc'].includes(p.choice.prune.strategy), p.choice.label);
  const routed = p.candidates.filter((c) => !c.selection.dense);
  t.true(routed.length > 0);
  for (const c of routed) {
    t.false(c.fits);
    t.regex(c.verdict, /rejected: not buildable: jetson-nano-4gb's newest TensorRT/);
  }
  t.true(p.notes.some((n) => /a dense tier \(ka, ks, kc\) is chosen/.test(n)));
  // Two modalities have no dense tier: nothing can be built, and the plan says why.
  const nano = await loadTarget('jetson-nano-4gb');
  const err = t.throws(() =>
    planForTarget({
      model: packageModel(pkg.manifest, pkg.packageHash),
      target: nano,
      modalities: ['optical', 'sar-l2'],
    }),
  );
  t.is(code(err), 'E_PLAN_INFEASIBLE');
  t.regex(err!.message, /misses by not buildable: jetson-nano-4gb's newest TensorRT/);
  t.regex((err as { hint?: string }).hint!, /plan one modality per device.*--lowering dense/);
});

test('a package made with the dense lowering keeps routed experts on a Nano', async (t) => {
  const { dir } = await tinyPackage({ lowering: 'dense' });
  const pkg = await openPackage(dir);
  t.deepEqual(await entriesWithNonZero(dir, pkg.manifest), []);
  const p = planForTarget({
    model: packageModel(pkg.manifest, pkg.packageHash),
    target: await loadTarget('jetson-nano-4gb'),
    modalities: ['optical'],
  });
  t.false(Boolean(p.choice.selection.dense), p.choice.label);
  await t.notThrowsAsync(
    assertBuildableOn(dir, pkg.manifest, await loadTarget('jetson-nano-4gb'), { step: 'compile' }),
  );
});

test('EXPECTED FAILURE - compile, bundle and a routed prune of the sparse package for a Nano are refused before writing anything', async (t) => {
  const { dir } = await tinyPackage();
  const pkg = await openPackage(dir);
  t.true((await entriesWithNonZero(dir, pkg.manifest)).includes('optical'));
  const out = join(tempDir('nano'), 'pkg');
  const c = await t.throwsAsync(
    compilePackage({ source: dir, outDir: out, target: 'jetson-nano-4gb', precision: 'fp16' }),
  );
  t.is(code(c), 'E_PLAN_INFEASIBLE');
  t.regex(
    c!.message,
    /compile refused: jetson-nano-4gb's TensorRT 8\.\d\.\d cannot build the sparse MoE lowering .* package ringmoe-tiny uses it in .*optical/,
  );
  t.false(existsSync(out));
  const b = await t.throwsAsync(bundlePlan({ packageDir: dir, version: '1.0.0', target: 'jetson-nano-4gb' }));
  t.is(code(b), 'E_PLAN_INFEASIBLE');
  t.regex(b!.message, /bundle refused/);
  t.regex((b as { hint?: string }).hint ?? b!.message, /dense tier|--lowering dense/);
  const pruneOut = join(tempDir('nano-ep'), 'pkg');
  const pr = await t.throwsAsync(
    runCli(
      ['prune', dir, '-o', pruneOut, '--strategy', 'ep', '--modalities', 'optical', '--target', 'jetson-nano-4gb'],
      (json) => createIO(json, new PassThrough(), new PassThrough()),
    ),
  );
  t.is(code(pr), 'E_PLAN_INFEASIBLE');
  t.regex(pr!.message, /prune --strategy ep for jetson-nano-4gb refused/);
  t.false(existsSync(pruneOut));
});

test('the dense tier the planner chooses has no NonZero and passes the same check', async (t) => {
  const { dir } = await calibratedTiny({ modalities: ['optical'] });
  const out = join(tempDir('nano-ka'), 'pkg');
  await prunePackage({ dir, outDir: out, options: { strategy: 'ka', modalities: 'optical' }, evaluate: false });
  const pruned = await openPackage(out);
  t.deepEqual(await entriesWithNonZero(out, pruned.manifest), []);
  await t.notThrowsAsync(
    assertBuildableOn(out, pruned.manifest, await loadTarget('jetson-nano-4gb'), { step: 'compile' }),
  );
});
