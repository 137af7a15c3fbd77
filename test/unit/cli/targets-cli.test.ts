/**
 * `ringmoe-edge targets`: in-process through runCli (stdout captured), and as a child process
 * through bin/ringmoe-edge.js (exit codes, stderr, RINGMOE_TARGETS_DIR).
 */
import test from 'ava';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from '../../../tools/cli/cli.js';
import { createIO } from '../../../tools/cli/io.js';
import type { TargetsResult } from '../../../tools/cli/commands/targets.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';
import { runCliProcess as child } from '../../helpers/cli-process.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'targets');

/** A writable that keeps what it is given. */
function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** Runs the CLI in this process; JSON mode writes to process.stdout, so that is captured too. */
async function cli(argv: string[]): Promise<{ out: string; err: string; result: TargetsResult }> {
  const out = sink();
  const err = sink();
  const realWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => out.stream.write(chunk)) as typeof process.stdout.write;
  try {
    const { result } = await runCli(argv, (json) => createIO(json, out.stream, err.stream));
    return { out: out.text(), err: err.text(), result: result as TargetsResult };
  } finally {
    process.stdout.write = realWrite;
  }
}

test.serial('in-process: the listing shows id, arch/sm, memory, DLA, dense INT8 TOPS and JetPack lines', async (t) => {
  const { out, result } = await cli(['targets']);
  t.true('targets' in result && result.targets.length === 15);
  const row = out.split('\n').find((l) => l.startsWith('jetson-agx-orin-64gb '))!;
  t.truthy(row);
  for (const cell of [
    'Ampere sm_87',
    '64 GiB✔',
    '2x v2✔',
    '137.5=*',
    'JP 5.1.1 5.1.2 5.1.4 6.0 6.1 6.2 6.2.1 7.2 7.2.2',
  ])
    t.true(row.includes(cell), cell);
  t.true(
    out
      .split('\n')
      .find((l) => l.startsWith('jetson-orin-nano-8gb '))!
      .includes(' 0✔ '),
    'Orin Nano: 0 DLA, confirmed',
  );
  t.regex(out, /marks: ✔ confirmed {2}◐ nvidia-secondary {2}\? unconfirmed/);
});

test.serial("in-process: one profile in full, with marks, numbered sources and the planner's view", async (t) => {
  const { out, result } = await cli(['targets', 'orin-nx-8gb']);
  t.true('target' in result && result.target.id === 'jetson-orin-nx-8gb');
  t.regex(out, /count\s+1 \? \[\d+\]\s+\(secondary sources say 1 DLA/);
  t.regex(out, /set original ◐ \[\d+\], default 15W/);
  t.regex(out, /\* 15W/);
  t.regex(out, /TensorRT\s+10\.16 \? /);
  t.regex(out, /DLA usable\s+no ✔/);
  t.regex(out, /best precision\s+int8/);
  t.regex(out, /model memory budget\s+4\.75 GiB/);
  t.regex(out, /\[1\] https:\/\//);
});

test.serial('in-process: --json prints the resolved profile and the planning numbers', async (t) => {
  const { out } = await cli(['targets', 'jetson-agx-orin-64gb', '--json']);
  const parsed = JSON.parse(out) as {
    target: { id: string; gpu: { sm: string } };
    planning: { dlaUsableByTensorrt: Record<string, boolean>; modelMemoryBudgetBytes: number };
  };
  t.is(parsed.target.gpu.sm, 'sm_87');
  t.deepEqual(parsed.planning.dlaUsableByTensorrt, {
    '8.5.2': true,
    '8.6.2': true,
    '10.3': true,
    '10.16': false,
    '11.4.1': true,
  });
  t.is(parsed.planning.modelMemoryBudgetBytes, 58 * 2 ** 30);
  const list = JSON.parse((await cli(['targets', '--json'])).out) as {
    targets: { id: string; int8DenseTops: { scope: string } | null }[];
  };
  t.is(list.targets.find((x) => x.id === 'jetson-agx-orin-64gb')?.int8DenseTops?.scope, 'gpu+dla');
  t.is(list.targets.find((x) => x.id === 'jetson-nano-4gb')?.int8DenseTops, null);
});

test.serial('EXPECTED FAILURE - in-process: a malformed user profile rejects with E_TARGET_PROFILE', async (t) => {
  const e = await t.throwsAsync(cli(['targets', join(FIXTURES, 'unknown-default-power-mode.json')]));
  t.is((e as { code?: string }).code, 'E_TARGET_PROFILE');
});

test('child process: bin/ringmoe-edge.js targets --json lists the shipped profiles', async (t) => {
  const { code, stdout } = await child(['targets', '--json'], { [`RINGMOE_TARGETS_DIR`]: '' });
  t.is(code, 0);
  const parsed = JSON.parse(stdout) as { targets: { id: string }[] };
  t.is(parsed.targets.length, 15);
});

test('EXPECTED FAILURE - child process: an unknown id exits 1 with E_UNKNOWN_TARGET and a suggestion on stderr', async (t) => {
  const { code, stderr, stdout } = await child(['targets', 'agx-orin-32'], { RINGMOE_TARGETS_DIR: '' });
  t.is(code, 1);
  t.is(stdout, '');
  t.regex(stderr, /^error E_UNKNOWN_TARGET: .*did you mean "jetson-agx-orin-32gb"\?/);
});

test('EXPECTED FAILURE - child process: a malformed profile exits 1 naming the file and field, JSON error on stdout with --json', async (t) => {
  const file = join(FIXTURES, 'negative-memory.json');
  const { code, stdout, stderr } = await child(['targets', file, '--json']);
  t.is(code, 1);
  t.regex(stderr, /error E_TARGET_PROFILE: .*negative-memory\.json/);
  const parsed = JSON.parse(stdout) as { error: { code: string; file: string; issues: { field: string }[] } };
  t.is(parsed.error.code, 'E_TARGET_PROFILE');
  t.is(parsed.error.file, file);
  t.deepEqual(
    parsed.error.issues.map((i) => i.field),
    ['memory.totalGiB.value'],
  );
});

test('child process: RINGMOE_TARGETS_DIR replaces the shipped directory', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ringmoe-targets-env-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await copyFile(join(FIXTURES, 'valid-user-board.json'), join(dir, 'valid-user-board.json'));
  const { code, stdout } = await child(['targets', '--json'], { RINGMOE_TARGETS_DIR: dir });
  t.is(code, 0);
  t.deepEqual(
    (JSON.parse(stdout) as { targets: { id: string }[] }).targets.map((x) => x.id),
    ['valid-user-board'],
  );
  const alias = await child(['targets', 'my-board', '--json'], { RINGMOE_TARGETS_DIR: dir });
  t.is((JSON.parse(alias.stdout) as { target: { id: string } }).target.id, 'valid-user-board');
});
