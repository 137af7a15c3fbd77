import test from 'ava';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OrtModelHost } from '../../../../sdk/ota/hosts/ort-model-host.js';
import { probeFeeds } from '../../../../sdk/ota/hosts/probe-frames.js';
import { sha256File } from '../../../../sdk/package/hash.js';
import { tempDir, tinyPackage } from '../../../helpers/packages.js';
import { LOADED_MACHINE_BUDGET_MS } from '../../../helpers/budgets.js';

async function host(entries = ['optical']) {
  return OrtModelHost.create({ entries, threads: 1 });
}

test('frames run on the active model; a switch takes effect exactly between two frames in call order', async (t) => {
  const a = await tinyPackage({ seed: 1 });
  const b = await tinyPackage({ seed: 2 });
  const h = await host();
  try {
    const ma = await h.load({ id: 'a', dir: a.dir });
    const mb = await h.load({ id: 'b', dir: b.dir });
    t.deepEqual(ma.entries, ['optical']);
    t.is((await h.activate(ma)).to, 'a');
    const feeds = probeFeeds(h.activeEntry('optical')!, 3);
    const pending = [];
    for (let seq = 0; seq < 10; seq++) {
      pending.push(h.process({ seq, entry: 'optical', feeds }));
      if (seq === 4) pending.push(h.activate(mb));
    }
    const results = await Promise.all(pending);
    const frames = results.filter((r): r is Awaited<ReturnType<typeof h.process>> => 'seq' in r);
    t.deepEqual(
      frames.map((r) => `${r.seq}${r.model}`),
      ['0a', '1a', '2a', '3a', '4a', '5b', '6b', '7b', '8b', '9b'],
    );
    const sw = results[5] as { from?: string; to: string; framesBefore: number };
    t.deepEqual(sw, { from: 'a', to: 'b', framesBefore: 5 });
    t.notDeepEqual(
      frames[0]!.outputs.embedding!.data,
      frames[9]!.outputs.embedding!.data,
      'the two models really differ',
    );
    t.deepEqual(frames[5]!.outputs.embedding!.shape, [1, 64]);
  } finally {
    await h.close();
  }
});

test('warm-up runs probe frames on a model that is not serving yet', async (t) => {
  const a = await tinyPackage({ seed: 1 });
  const h = await OrtModelHost.create({ threads: 1 });
  try {
    const m = await h.load({ id: 'a', dir: a.dir });
    t.is(m.entries.length, 7);
    const w = await h.warmUp(m, 2);
    t.is(w.frames, 14);
    t.true(Object.values(w.medianMs).every((x) => x > 0));
    t.is(h.active, undefined);
  } finally {
    await h.close();
  }
});

test('health check: passes within budget, fails over budget with the reason', async (t) => {
  const a = await tinyPackage({ seed: 1 });
  const h = await host();
  try {
    await h.activate(await h.load({ id: 'a', dir: a.dir }));
    const ok = await h.healthCheck({ frames: 3, latencyBudgetMs: LOADED_MACHINE_BUDGET_MS });
    t.like(ok, { ok: true, frames: 3, passed: 3, model: 'a' });
    const slow = await h.healthCheck({ frames: 2, latencyBudgetMs: 0.0001 });
    t.false(slow.ok);
    t.is(slow.passed, 0);
    t.regex(slow.failures[0]!.reason, /optical took [\d.]+ ms, over the 0\.0001 ms budget/);
  } finally {
    await h.close();
  }
});

test('health check: a model whose weights produce NaN fails with the output named', async (t) => {
  const a = await tinyPackage({ seed: 1 });
  const dir = join(tempDir('nan'), 'pkg');
  await cp(a.dir, dir, { recursive: true });
  const file = join(dir, 'weights', 'head.cls.bin');
  const bytes = await readFile(file);
  const nan = new Float32Array(bytes.length / 4).fill(Number.NaN);
  await writeFile(file, Buffer.from(nan.buffer));
  const manifest = JSON.parse(await readFile(join(dir, 'ringmoe.json'), 'utf8'));
  manifest.files['weights/head.cls.bin'].sha256 = await sha256File(file);
  await writeFile(join(dir, 'ringmoe.json'), JSON.stringify(manifest));
  const h = await host();
  try {
    await h.activate(await h.load({ id: 'nan', dir }));
    const report = await h.healthCheck({ frames: 1, latencyBudgetMs: LOADED_MACHINE_BUDGET_MS });
    t.false(report.ok);
    t.regex(report.failures[0]!.reason, /output cls_logits holds NaN/);
  } finally {
    await h.close();
  }
});

test('frames that fail on the active model count against it in the next health check', async (t) => {
  const a = await tinyPackage({ seed: 1 });
  const h = await host();
  try {
    await h.activate(await h.load({ id: 'a', dir: a.dir }));
    const bad = { image: { dtype: 'float32' as const, shape: [1, 5, 64, 64], data: new Float32Array(5 * 64 * 64) } };
    // 5 channels where the graph takes 3: the backend refuses the feed before running it.
    const err = await t.throwsAsync(h.process({ seq: 1, entry: 'optical', feeds: bad }));
    t.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT');
    t.regex(err!.message, /feeds\.image/);
    const report = await h.healthCheck({ frames: 1, latencyBudgetMs: LOADED_MACHINE_BUDGET_MS });
    t.false(report.ok);
    t.is(report.passed, 1);
    t.is(report.failures[0]!.code, 'E_INVALID_ARGUMENT');
  } finally {
    await h.close();
  }
});

test('BAD CALL - misuse is refused with a clear code', async (t) => {
  const a = await tinyPackage({ seed: 1 });
  const h = await host();
  const code = async (p: Promise<unknown>) => ((await t.throwsAsync(p)) as { code?: string }).code;
  t.is(await code(h.process({ seq: 0, entry: 'optical', feeds: {} })), 'E_INFERENCE', 'no model active yet');
  t.is(await code(h.load({ id: 'a' })), 'E_INVALID_ARGUMENT', 'no directory');
  const m = await h.load({ id: 'a', dir: a.dir });
  await h.activate(m);
  t.is(await code(h.process({ seq: 0, entry: 'sar-l2', feeds: {} })), 'E_INVALID_ARGUMENT', 'entry not loaded');
  t.is(await code(h.process({ seq: 1.5, entry: 'optical', feeds: {} } as never)), 'E_INVALID_ARGUMENT');
  t.is(await code(h.unload(m)), 'E_INVALID_ARGUMENT', 'the serving model cannot be unloaded');
  t.is(await code(h.healthCheck({ frames: 0 })), 'E_INVALID_ARGUMENT');
  await h.close();
  await h.close();
  t.is(await code(h.process({ seq: 2, entry: 'optical', feeds: {} })), 'E_CLOSED');
  const strict = await OrtModelHost.create({ requiredEntries: ['thermal'] });
  t.is(await code(strict.load({ id: 'a', dir: a.dir })), 'E_TARGET_MISMATCH');
  await strict.close();
  t.is(
    ((await t.throwsAsync(OrtModelHost.create({ entries: 'optical' } as never))) as { code?: string }).code,
    'E_INVALID_ARGUMENT',
  );
});
