import test from 'ava';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tinyPackage } from '../../helpers/packages.js';
import { runCliProcess as cli } from '../../helpers/cli-process.js';

const pkg = (async () => {
  const dir = join(tempDir('cli'), 'tiny');
  cpSync((await tinyPackage()).dir, dir, { recursive: true });
  return dir;
})();

test.serial(
  'calibrate → prune --dry-run (writes nothing) → prune: fidelity table on stdout, report in the package, --json',
  async (t) => {
    const dir = await pkg;
    const cal = await cli([
      'calibrate',
      dir,
      '--frames',
      'examples/data/aerial/aero*.jpg',
      '--modality',
      'optical',
      '--json',
    ]);
    t.is(cal.code, 0, cal.stderr);
    const calJson = JSON.parse(cal.stdout) as { modalities: { modality: string; source: string; frames: number }[] };
    t.deepEqual(calJson.modalities, [{ ...calJson.modalities[0]!, modality: 'optical', source: 'real', frames: 2 }]);
    const gen = await cli(['calibrate', dir, '--generated', '2', '--modality', 'sar-l1']);
    t.is(gen.code, 0, gen.stderr);
    t.regex(gen.stdout, /sar-l1 +sar-l1 +2 +2 +generated/);
    t.regex(gen.stderr, /deprecated: --generated <n> still works but will go; write --frames generated:<n>/);
    const spelled = await cli(['calibrate', dir, '--frames', 'generated:sar-l1:2']);
    t.is(spelled.code, 0, spelled.stderr);
    t.is(spelled.stdout, gen.stdout, 'generated:<modality>:<n> is what --generated <n> --modality <m> was');
    t.notRegex(spelled.stderr, /deprecated/);

    const out = join(tempDir('cli-out'), 'ep');
    const dry = await cli([
      'prune',
      dir,
      '-o',
      out,
      '--strategy',
      'ep',
      '--keep-collaborative',
      '0.5',
      '--modalities',
      'optical',
      '--dry-run',
    ]);
    t.is(dry.code, 0, dry.stderr);
    t.regex(
      dry.stdout,
      /^dry run: prune ringmoe-tiny .* strategy ep, modalities optical, keep collaborative 0\.5, keep modal 1; nothing is written/,
    );
    t.regex(dry.stdout, /write +weights\/s1\.b0\/router\.collaborative\.bin +64 B +router-slice/);
    t.regex(dry.stdout, /drop +weights\/s1\.b0\/modal\.sar-l1\.0\.bin +1\.09 KiB +modality sar-l1 not kept/);
    t.false(existsSync(out), 'a dry run writes nothing');

    const run = await cli([
      'prune',
      dir,
      '-o',
      out,
      '--strategy',
      'ep',
      '--keep-collaborative',
      '0.5',
      '--modalities',
      'optical',
      '--eval-frames',
      'examples/data/aerial/aero_512x512_gray.png',
      '--eval-fit',
      'resize-crop',
    ]);
    t.is(run.code, 0, run.stderr);
    t.regex(run.stdout, /wrote ringmoe-tiny-ep-optical to /);
    t.regex(run.stdout, /fidelity of ringmoe-tiny-ep-optical against ringmoe-tiny on 1 held-out real frames:/);
    t.regex(run.stdout, /entry +frames +emb cos +min feat cos +top-1 +pixel +det F1 +change +depth err/);
    t.regex(run.stdout, /optical +1 +-?\d\.\d{4}/);
    t.regex(run.stdout, /compute: [\d.]+ GFLOPs per frame on the active path/);
    const report = JSON.parse(readFileSync(join(out, 'reports/fidelity.json'), 'utf8')) as {
      entries: unknown[];
      frames: { count: number; source: string };
    };
    t.like(report.frames, { count: 1, source: 'real' });
    const reuse = await cli([
      'prune',
      dir,
      '-o',
      join(tempDir('cli-out'), 'x'),
      '--strategy',
      'ep',
      '--keep-collaborative',
      '0.5',
      '--modalities',
      'optical',
      '--eval-frames',
      'examples/data/aerial/aero1.jpg',
    ]);
    t.is(reuse.code, 2, 'a calibration frame is not held out');
    t.regex(reuse.stderr, /--eval-frames: fidelity must be measured on held-out frames/);

    const json = await cli([
      'prune',
      dir,
      '-o',
      out,
      '--force',
      '--modalities',
      'optical',
      '--eval-generated',
      '1',
      '--json',
    ]);
    t.is(json.code, 0, json.stderr);
    t.regex(json.stderr, /deprecated: --eval-generated <n> still works but will go; write --eval-frames generated:<n>/);
    const r = JSON.parse(json.stdout) as {
      plan: { options: { strategy: string } };
      report: { entries: { entry: string }[] };
    };
    t.is(r.plan.options.strategy, 'modality');
    t.deepEqual(
      r.report.entries.map((e) => e.entry),
      ['optical', 'change-optical'],
    );
  },
);

test('BAD CALL - prune flags: a fraction out of range exits 2 naming the flag; an unknown modality exits 1 with E_UNKNOWN_MODALITY', async (t) => {
  const dir = await pkg;
  const frac = await cli(['prune', dir, '--dry-run', '--strategy', 'ep', '--keep-collaborative', '2']);
  t.is(frac.code, 2);
  t.regex(
    frac.stderr,
    /error E_INVALID_ARGUMENT: --keep-collaborative: Expected a fraction in \(0, 1\] \(e\.g\. 0\.25\) for --keep-collaborative but received "2"/,
  );
  const mod = await cli(['prune', dir, '--dry-run', '--modalities', 'infrared', '--json']);
  t.is(mod.code, 1);
  t.is((JSON.parse(mod.stdout) as { error: { code: string } }).error.code, 'E_UNKNOWN_MODALITY');
  const noOut = await cli(['prune', dir]);
  t.is(noOut.code, 2);
  t.regex(noOut.stderr, /prune needs -o <dir> \(or --dry-run\)/);
  const noStats = await cli([
    'prune',
    dir,
    '--dry-run',
    '--strategy',
    'ep',
    '--stats',
    join(tempDir('no-stats'), 'routing-stats.json'),
  ]);
  t.is(noStats.code, 1);
  t.regex(
    noStats.stderr,
    /error E_FILE_NOT_FOUND: .*routing-stats\.json: cannot read routing statistics: .*\(calibrate the package first \(calibration writes routing-stats\.json beside it\): ringmoe-edge calibrate <package> --frames <spec>\)/,
  );
});
