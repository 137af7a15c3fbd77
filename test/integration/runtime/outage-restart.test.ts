/**
 * Nothing is lost with the whole pipeline in the loop: the broker goes down for seconds, the device
 * process running the runtime is killed (SIGKILL) and restarted during the outage, and every result
 * of every frame still reaches the ground station. Copies are allowed (at-least-once) and dropped by
 * result id; their number is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FleetConsumer } from '../../../sdk/mqtt/consumer.js';
import { tinyPackage } from '../../helpers/packages.js';
import { forEachBroker, until } from '../mqtt/brokers.js';

const DEVICE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'runtime-device.ts');
const COUNT = 80;
const INTERVAL_MS = 40;
const TASKS = ['classification', 'detection'];

interface Device {
  proc: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function startDevice(url: string, stateDir: string, pkg: string, progress: { done: number }): Device {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', DEVICE, url, stateDir, pkg, String(COUNT), String(INTERVAL_MS)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const d: Device = { proc, lines: [], exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))) };
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    d.lines.push(line);
    const m = /^done (\d+)$/.exec(line);
    if (m) progress.done = Math.max(progress.done, Number(m[1]));
  });
  proc.stderr!.on('data', (b: Buffer) => d.lines.push(`stderr: ${b.toString().trim()}`));
  return d;
}

forEachBroker(
  'broker down for seconds, device runtime SIGKILLed and restarted meanwhile: every result of every frame arrives',
  async (t, broker) => {
    const pkg = (await tinyPackage()).dir;
    const stateDir = await mkdtemp(join(tmpdir(), 'rt-outage-'));
    const consumer = await FleetConsumer.create({
      url: broker.url,
      fleet: 'outage',
      clientId: `gs-outage-${broker.name}`,
      sessionExpirySeconds: 600,
      reconnectDelayMs: 100,
    });
    const seen = new Map<string, number>();
    consumer.on('result', (r) => seen.set(`${r.frameId}/${r.task}`, (seen.get(`${r.frameId}/${r.task}`) ?? 0) + 1));
    const progress = { done: -1 };
    const devices: Device[] = [];
    try {
      devices.push(startDevice(broker.url, stateDir, pkg, progress));
      await until(() => progress.done >= 10, 60_000, 'the first frames');
      await until(() => seen.size >= 5, 20_000, 'results reaching the ground station while the broker is up');

      await broker.outage();
      const outageStart = Date.now();
      await until(() => progress.done >= 30, 60_000, 'frames processed during the outage');
      devices[0]!.proc.kill('SIGKILL');
      t.is(await devices[0]!.exited, null, 'killed by signal');
      const atKill = progress.done;

      devices.push(startDevice(broker.url, stateDir, pkg, progress));
      await until(() => devices[1]!.lines.some((l) => l.startsWith('start ')), 60_000, 'the restart');
      const [, next, pending] = /^start (\d+) pending (\d+)$/
        .exec(devices[1]!.lines.find((l) => l.startsWith('start '))!)!
        .map(Number);
      t.true(next! >= atKill && next! <= atKill + 1, `resumes at frame ${next} after ${atKill}`);
      t.true(
        pending! >= 20 * TASKS.length - 16,
        `the outbox kept what was produced during the outage (${pending} pending)`,
      );

      await until(() => progress.done >= atKill + 10, 60_000, 'frames after the restart');
      await new Promise((r) => setTimeout(r, Math.max(0, 3000 - (Date.now() - outageStart))));
      const outageMs = Date.now() - outageStart;
      await broker.restore();

      t.is(await devices[1]!.exited, 0, devices[1]!.lines.slice(-5).join(' | '));
      const closed = devices[1]!.lines.find((l) => l.startsWith('closed '));
      t.deepEqual(JSON.parse(closed!.slice(7)), { unsentResults: 0, drained: true });
      const want = Array.from({ length: COUNT }, (_, i) => TASKS.map((task) => `f-${i}/${task}`)).flat();
      await until(
        () => want.every((k) => seen.has(k)),
        60_000,
        `all ${want.length} results (missing ${want
          .filter((k) => !seen.has(k))
          .slice(0, 10)
          .join(', ')})`,
      );

      t.deepEqual(
        want.filter((k) => !seen.has(k)),
        [],
        'nothing lost',
      );
      t.is(seen.size, want.length, 'nothing unexpected');
      t.true(
        [...seen.values()].every((c) => c === 1),
        'the consumer delivers each result once',
      );
      const duplicates = consumer.summary().totals.duplicates;
      // Copies: results in flight when the broker went away (at most the in-flight window), and frames
      // between the last checkpoint and the kill, processed again after the restart (same ids).
      t.true(duplicates <= 16 + 4 * TASKS.length, `${duplicates} duplicates`);
      t.log(
        `outage ${outageMs} ms; ${want.length} results delivered; ${duplicates} duplicate(s) dropped by id; restart resumed at frame ${next} with ${pending} messages pending`,
      );
    } finally {
      for (const d of devices) if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
      await consumer.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  },
);
