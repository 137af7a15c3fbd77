/**
 * The guarantee the outbox exists for: results produced while the broker is down survive the
 * device process being killed (SIGKILL) and restarted, and every one reaches the consumer once the
 * broker is back. Duplicates are allowed (at-least-once) and counted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FleetConsumer } from '../../../sdk/mqtt/consumer.js';
import { forEachBroker, until } from './brokers.js';

const PRODUCER = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'numbered-producer.ts');
const COUNT = 150;
const INTERVAL_MS = 20;
const MAX_INFLIGHT = 16; // the producer fixture's window

interface Producer {
  proc: ChildProcess;
  lines: string[];
  produced: number;
  exited: Promise<number | null>;
}

function startProducer(url: string, stateDir: string, shared: { produced: number }): Producer {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', PRODUCER, url, stateDir, String(COUNT), String(INTERVAL_MS)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const p: Producer = {
    proc,
    lines: [],
    produced: -1,
    exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))),
  };
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    p.lines.push(line);
    const m = /^produced (\d+)$/.exec(line);
    if (m) shared.produced = Math.max(shared.produced, Number(m[1]));
  });
  proc.stderr!.on('data', (d: Buffer) => p.lines.push(`stderr: ${d.toString().trim()}`));
  return p;
}

forEachBroker(
  'nothing is lost: broker down for seconds, producer SIGKILLed and restarted meanwhile, every result arrives',
  async (t, broker) => {
    const stateDir = await mkdtemp(join(tmpdir(), 'outage-'));
    const consumer = await FleetConsumer.create({
      url: broker.url,
      fleet: 'key',
      clientId: `gs-${broker.name}`,
      sessionExpirySeconds: 600,
      reconnectDelayMs: 100,
    });
    const seen = new Map<number, number>();
    consumer.on('result', (r) => {
      const n = (r.result as { n: number }).n;
      seen.set(n, (seen.get(n) ?? 0) + 1);
    });
    const shared = { produced: -1 };
    const producers: Producer[] = [];
    try {
      producers.push(startProducer(broker.url, stateDir, shared));
      await until(() => shared.produced >= 30, 30_000, 'the first 30 results');

      await broker.outage();
      const outageStart = Date.now();
      await until(() => shared.produced >= 60, 30_000, '30 results produced during the outage');

      producers[0]!.proc.kill('SIGKILL');
      t.is(await producers[0]!.exited, null, 'killed by signal');
      const atKill = shared.produced;
      producers.push(startProducer(broker.url, stateDir, shared));
      await until(() => producers[1]!.lines.some((l) => l.startsWith('start ')), 30_000, 'restart');
      const start = /^start (\d+) pending (\d+)$/.exec(producers[1]!.lines.find((l) => l.startsWith('start '))!)!;
      t.true(Number(start[1]) >= atKill && Number(start[1]) <= atKill + 1, `resumes at ${start[1]} after ${atKill}`);
      t.true(Number(start[2]) >= 25, `the outbox kept the results produced during the outage (${start[2]} pending)`);

      await until(() => shared.produced >= 90, 30_000, 'results produced after the restart');
      await new Promise((r) => setTimeout(r, Math.max(0, 3000 - (Date.now() - outageStart))));
      t.is(seen.size <= 31 + 1, true, 'nothing produced during the outage arrived while the broker was down');
      const outageMs = Date.now() - outageStart;
      await broker.restore();

      t.is(await producers[1]!.exited, 0, producers[1]!.lines.slice(-5).join(' | '));
      t.true(producers[1]!.lines.includes('drained true'));
      await until(
        () => seen.size === COUNT,
        30_000,
        `all ${COUNT} results (missing: ${Array.from({ length: COUNT }, (_, i) => i)
          .filter((i) => !seen.has(i))
          .slice(0, 20)
          .join(',')})`,
      );

      const missing = Array.from({ length: COUNT }, (_, i) => i).filter((i) => !seen.has(i));
      t.deepEqual(missing, []);
      t.true(
        [...seen.values()].every((c) => c === 1),
        'the consumer delivers each id once',
      );
      const duplicates = consumer.summary().totals.duplicates;
      t.log(`outage ${outageMs} ms; ${COUNT} results delivered; ${duplicates} duplicate(s) dropped by id`);
      // Copies come only from entries in flight when the broker went away (at most the window) and the
      // one result a SIGKILL can leave between "in the outbox" and "checkpoint written".
      t.true(duplicates <= MAX_INFLIGHT + 1, `${duplicates} duplicates`);
    } finally {
      for (const p of producers) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
      await consumer.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  },
);
