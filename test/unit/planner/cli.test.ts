import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tinyPackage } from '../../helpers/packages.js';
import { runCliProcess as cli } from '../../helpers/cli-process.js';

test('plan --config ringmoe-14.7b --target jetson-orin-nano-8gb --modalities optical: a sensible, explained answer for a model never materialised', async (t) => {
  const r = await cli([
    'plan',
    '--config',
    'ringmoe-14.7b',
    '--target',
    'jetson-orin-nano-8gb',
    '--modalities',
    'optical',
  ]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /ringmoe-14\.7b \(config only, not materialised\)/);
  t.regex(r.stdout, /choice: EP collaborative 1\/4, modal 4\/4 at int8/);
  t.regex(
    r.stdout,
    /apply to a package of this architecture: ringmoe-edge prune <package> --strategy ep --modalities optical --keep-collaborative 0\.25 --keep-modal 1 -o <out>/,
  );
  t.regex(
    r.stdout,
    /candidate \(best precision shown\) +precision +backbone +weights +memory +latency ms \(est\.\) +verdict/,
  );
  const json = JSON.parse(
    (await cli(['plan', '--config', 'ringmoe-14.7b', '--target', 'orin-nano-8gb', '--modalities', 'optical', '--json']))
      .stdout,
  ) as { choice: { precision: string }; candidates: unknown[] };
  t.is(json.choice.precision, 'int8');
  t.true(json.candidates.length > 20);
});

test('plan <package> --target -o plan.json, then prune --plan applies it with the latency estimate in the fidelity report', async (t) => {
  const { dir } = await tinyPackage();
  const planFile = join(tempDir('plan'), 'plan.json');
  const p = await cli([
    'plan',
    dir,
    '--target',
    'jetson-orin-nx-8gb',
    '--modalities',
    'sar-l2',
    '--precision',
    'fp16',
    '-o',
    planFile,
  ]);
  t.is(p.code, 0, p.stderr);
  t.regex(p.stdout, /plan saved to /);
  const out = join(tempDir('plan-out'), 'pkg');
  const r = await cli(['prune', dir, '--plan', planFile, '-o', out, '--eval-generated', '1']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /latency estimate on jetson-orin-nx-8gb at fp16: [\d.e-]+ ms/);
  const report = JSON.parse(readFileSync(join(out, 'reports/fidelity.json'), 'utf8')) as {
    latency: { target: string; kind: string }[];
    pruning: { modalities: string[] };
  };
  t.deepEqual(report.pruning.modalities, ['sar-l2']);
  t.like(report.latency[0], { target: 'jetson-orin-nx-8gb', kind: 'estimate' });

  const other = await tinyPackage({ seed: 2 });
  const wrong = await cli(['prune', other.dir, '--plan', planFile, '--dry-run']);
  t.is(wrong.code, 1);
  t.regex(
    wrong.stderr,
    /error E_PRUNE: .*plan\.json: the plan was made for package ringmoe-tiny \([0-9a-f]{12}…\), not for ringmoe-tiny/,
  );
  const both = await cli(['prune', dir, '--plan', planFile, '--strategy', 'ks', '--dry-run']);
  t.is(both.code, 2);
  t.regex(both.stderr, /--plan sets the pruning; do not combine it with --strategy/);
});

test('EXPECTED FAILURE - a plan made from a config cannot be applied; an infeasible target exits 1 with E_PLAN_INFEASIBLE', async (t) => {
  const { dir } = await tinyPackage();
  const planFile = join(tempDir('plan'), 'config-plan.json');
  t.is((await cli(['plan', '--config', 'ringmoe-tiny', '--target', 'jetson-orin-nano-8gb', '-o', planFile])).code, 0);
  const r = await cli(['prune', dir, '--plan', planFile, '--dry-run']);
  t.is(r.code, 1);
  t.regex(r.stderr, /error E_PRUNE: .*the plan was made from the ringmoe-tiny config, not from a package/);
  const notPlan = join(tempDir('plan'), 'x.json');
  writeFileSync(notPlan, '{"hello": 1}');
  const bad = await cli(['prune', dir, '--plan', notPlan, '--dry-run']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /not a target plan/);
  const inf = await cli([
    'plan',
    '--config',
    'ringmoe-14.7b',
    '--target',
    'jetson-nano-4gb',
    '--modalities',
    'optical',
    '--max-latency-ms',
    '100',
    '--json',
  ]);
  t.is(inf.code, 1);
  t.is((JSON.parse(inf.stdout) as { error: { code: string } }).error.code, 'E_PLAN_INFEASIBLE');
});
