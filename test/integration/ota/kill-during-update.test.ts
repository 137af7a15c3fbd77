/**
 * Power cuts: a device process installing v2 over v1 is killed with SIGKILL at 50 random points
 * across download, staging, loading, switching, health check and commit. After each kill a new
 * agent starts on the same storage and must come up serving a valid model (v1 or v2, every file
 * verified, a frame served), then finish or undo the interrupted update and still serve.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { probeFeeds } from '../../../sdk/ota/hosts/probe-frames.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';
import { tempDir } from '../../helpers/packages.js';
import { otaFixture, startDevice } from './fixtures.js';

const KILLS = 50;
const PHASES = ['downloading', 'staging', 'loading', 'switching', 'health-check', 'committing'] as const;
const CHILD = join(REPO_ROOT, 'test', 'integration', 'ota', 'kill-child.ts');

/** Deterministic pseudo-random numbers (the seed is logged so a failure can be replayed). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

/** Runs the child until it enters `phase`, waits `delayMs`, kills it. Returns what it printed. */
function runAndKill(
  root: string,
  trust: string,
  bundle: string,
  phase: string,
  delayMs: number,
): Promise<{ lines: string[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, root, trust, bundle], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let armed = false;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (!armed && line.startsWith(`STATE ${phase} `)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL' && code !== 0) return reject(new Error(`child exited ${code}: ${stderr.slice(-2000)}`));
      resolve({ lines, killed: signal === 'SIGKILL' });
    });
  });
}

test(`kill -9 at ${KILLS} random points of an update: every restart comes up serving a valid model`, async (t) => {
  t.timeout(25 * 60_000, 'fifty child processes on a shared machine');
  const fx = await otaFixture();
  const template = tempDir('kill-template');
  {
    const dev = await startDevice(fx, { root: template });
    const out = await dev.agent.installFromDirectory(fx.bundles.v1);
    await dev.close();
    if (out.result !== 'installed') throw new Error(out.message);
  }
  const seed = Number(process.env.RINGMOE_KILL_SEED ?? Date.now() % 1e9);
  t.log(`seed ${seed} (set RINGMOE_KILL_SEED to replay)`);
  const random = rng(seed);
  const killedIn: Record<string, number> = {};
  const after: Record<string, number> = {};
  for (let i = 0; i < KILLS; i++) {
    const root = join(tempDir('kill'), 'store');
    await cp(template, root, { recursive: true });
    const phase = PHASES[i % PHASES.length]!;
    const delay = Math.floor(random() * (phase === 'downloading' || phase === 'loading' ? 120 : 25));
    const run = await runAndKill(root, fx.trustFile, fx.bundles.v2, phase, delay);
    const record = JSON.parse(await readFile(join(root, 'agent.json'), 'utf8').catch(() => '{"state":"(none)"}')) as {
      state: string;
    };
    const at = run.killed ? record.state : 'finished';
    killedIn[at] = (killedIn[at] ?? 0) + 1;

    // Restart on the same storage.
    const dev = await startDevice(fx, { root, device: 'kill' });
    try {
      const context = `kill ${i} (${phase} + ${delay} ms, state ${at})`;
      const active = dev.host.active;
      t.truthy(active, `${context}: a model is active right after start`);
      const first = dev.agent.report().current!;
      t.true(['1.0.0', '2.0.0'].includes(first.version), `${context}: runs ${first.version}`);
      await dev.store.verifySlot(first.manifest);
      const spec = dev.host.activeEntry('optical')!;
      const r = await dev.host.process({ seq: 0, entry: 'optical', feeds: probeFeeds(spec, 1) });
      t.is(r.model, first.manifest, context);
      await dev.agent.whenIdle();
      const settled = dev.agent.report();
      t.is(settled.state, 'idle', context);
      const pointer = (await dev.store.readPointer())!;
      t.falsy(pointer.trial, `${context}: no trial left after recovery`);
      t.is(pointer.current, settled.current!.manifest);
      await dev.store.verifySlot(pointer.current);
      const again = await dev.host.process({
        seq: 1,
        entry: 'optical',
        feeds: probeFeeds(dev.host.activeEntry('optical')!, 2),
      });
      t.is(again.model, pointer.current, context);
      after[settled.current!.version] = (after[settled.current!.version] ?? 0) + 1;
    } finally {
      await dev.close();
    }
  }
  t.log(`killed in: ${JSON.stringify(killedIn)}; after recovery running: ${JSON.stringify(after)}`);
  const covered = ['staging', 'loading', 'switching', 'health-check', 'committing'].filter((s) => killedIn[s]);
  t.true(covered.length >= 3, `kills landed in ${covered.join(', ')}`);
});
