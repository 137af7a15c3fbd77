import test from 'ava';
import { join } from 'node:path';
import { runCli } from '../../tools/cli/cli.js';
import type { CommandIO } from '../../tools/cli/io.js';
import { tempDir } from '../helpers/packages.js';
import { runCliProcess as cli } from '../helpers/cli-process.js';

function captureIO(json: boolean): CommandIO & { lines: string[] } {
  const lines: string[] = [];
  return { json, lines, out: (l = '') => lines.push(l), note: () => {}, progress: () => ({ update() {}, stop() {} }) };
}

test('plan --config ringmoe-14.7b --json prints the four tiers within 1% of the paper figures', async (t) => {
  const r = await cli(['plan', '--config', 'ringmoe-14.7b', '--json']);
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { tiers: { tier: string; params: number; bytes: { fp16: number } }[] };
  const p = Object.fromEntries(out.tiers.map((x) => [x.tier, x.params]));
  for (const [tier, want] of [
    ['full', 14.74e9],
    ['single-modality', 6.53e9],
    ['ep', 4.48e9],
    ['dense', 1.06e9],
  ] as const) {
    t.true(Math.abs(p[tier]! - want) / want < 0.01, `${tier}: ${p[tier]}`);
  }
});

test('reference → inspect, human and --json, through the real executable', async (t) => {
  const dir = join(tempDir('cli'), 'tiny');
  const made = await cli(['reference', 'ringmoe-tiny', '-o', dir, '--seed', '4', '--json']);
  t.is(made.code, 0, made.stderr);
  const ref = JSON.parse(made.stdout) as { entries: string[]; seed: number };
  t.is(ref.seed, 4);
  t.is(ref.entries.length, 7);
  const human = await cli(['inspect', dir]);
  t.is(human.code, 0, human.stderr);
  t.regex(human.stdout, /ringmoe-tiny \(ringmoe, ringmoe-tiny\) — fp32, sparse lowering, input 64x64, v1 attention/);
  t.regex(human.stdout, /s4\.b0 +64 +128 +16 +4 +1 +0 +5/);
  const json = JSON.parse((await cli(['inspect', dir, '--json'])).stdout) as {
    blocks: unknown[];
    entries: { name: string }[];
  };
  t.is(json.blocks.length, 5);
  t.is(json.entries[4]!.name, 'fusion-optical-sar-l2');
});

test('BAD CALL - unknown config name: exit 1, error code and the known names on stderr; --json carries the error', async (t) => {
  const r = await cli(['reference', 'ringmoe-gigantic', '-o', join(tempDir('cli'), 'x')]);
  t.is(r.code, 1);
  t.regex(
    r.stderr,
    /error E_UNKNOWN_CONFIG: config: unknown config "ringmoe-gigantic"; known: ringmoe-tiny, ringmoe-small, ringmoe-14\.7b/,
  );
  const j = await cli(['plan', '--config', 'nope', '--json']);
  t.is((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'E_UNKNOWN_CONFIG');
});

test('BAD CALL - bad option values exit 2 and name the option', async (t) => {
  const r = await cli(['reference', 'ringmoe-tiny', '-o', join(tempDir('cli'), 'y'), '--lowering', 'hybrid']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--lowering: Expected one of "sparse", "dense" for --lowering but received "hybrid"/);
  const a = await cli(['reference', 'ringmoe-tiny', '-o', join(tempDir('cli'), 'y2'), '--attention', 'v3']);
  t.is(a.code, 2);
  t.regex(a.stderr, /--attention: Expected one of "v1", "v2" for --attention but received "v3"/);
});

test('reference --attention v2 --tasks classification: the manifest records both and the entries emit only the classification head', async (t) => {
  const dir = join(tempDir('cli'), 'tiny-v2-cls');
  const io = captureIO(false);
  const res = await runCli(
    ['reference', 'ringmoe-tiny', '-o', dir, '--attention', 'v2', '--tasks', 'classification'],
    () => io,
  );
  const r = res.result as { attention: string; tasks: string[] };
  t.is(r.attention, 'v2');
  t.deepEqual(r.tasks, ['classification']);
  t.true(
    io.lines.some((l) => / v2 attention, task heads classification$/.test(l)),
    io.lines.join('\n'),
  );
  const { openPackage } = await import('../../sdk/package/open-package.js');
  const m = (await openPackage(dir)).manifest;
  t.like(m.model.config, { attention: 'v2', tasks: ['classification'] });
  t.deepEqual(m.entries.find((e) => e.name === 'optical')!.tasks, ['classification', 'features']);
  const bad = await cli([
    'reference',
    'ringmoe-tiny',
    '-o',
    join(tempDir('cli'), 'z'),
    '--tasks',
    'classification,captioning',
  ]);
  t.is(bad.code, 2);
  t.regex(
    bad.stderr,
    /--tasks: Expected one of "classification", "segmentation", "detection", "depth" for --tasks but received "captioning"/,
  );
});

test('in-process runCli returns the result object', async (t) => {
  const io = captureIO(false);
  const res = await runCli(['plan', '--config', 'ringmoe-tiny'], () => io);
  t.truthy(res.result);
  t.true(io.lines.some((l) => l.startsWith('ringmoe-tiny: deployment tiers')));
});
