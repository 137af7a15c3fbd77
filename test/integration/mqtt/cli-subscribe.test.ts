import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../../tools/cli/cli.js';
import { createIO } from '../../../tools/cli/io.js';
import type { SubscribeResult } from '../../../tools/cli/commands/subscribe.js';
import { startEmbeddedBroker } from '../../../sdk/mqtt/embedded-broker.js';
import { ResultPublisher } from '../../../sdk/mqtt/publisher.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';
import { forEachBroker } from './brokers.js';

const BIN = join(REPO_ROOT, 'tools', 'cli', 'bin.ts');

function capture(): { io: (json: boolean) => ReturnType<typeof createIO>; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { io: (json) => createIO(json, stdout, stderr), out: () => out, err: () => err };
}

/** Publishes a numbered result every 50 ms until stopped. */
function keepPublishing(publisher: ResultPublisher): () => void {
  let n = 0;
  const timer = setInterval(() => void publisher.publishResult('detection', { n: n++ }, { frameId: `f-${n}` }), 50);
  return () => clearInterval(timer);
}

test('ringmoe-edge subscribe --count 3 --json prints the results and a fleet summary (embedded broker)', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 });
  const publisher = await ResultPublisher.create({ url: broker.url, fleet: 'north', device: 'drone-1' });
  const stop = keepPublishing(publisher);
  try {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', BIN, 'subscribe', '--broker', broker.url, '--fleet', 'north', '--count', '3', '--json'],
      { cwd: REPO_ROOT },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    t.is(code, 0, stderr);
    const result = JSON.parse(stdout) as SubscribeResult;
    t.like(result, { fleet: 'north', protocolVersion: 4, stoppedBy: 'count', received: 3, resultsTruncated: false });
    t.is(result.results.length, 3);
    const ns = result.results.map((r) => (r.result as { n: number }).n);
    t.deepEqual(ns, [ns[0]!, ns[0]! + 1, ns[0]! + 2]);
    t.like(result.results[0], { device: 'drone-1', task: 'detection' });
    t.like(
      result.summary.devices.find((d) => d.device === 'drone-1'),
      { online: true },
    );
  } finally {
    stop();
    await publisher.close();
    await broker.close();
  }
});

forEachBroker(
  'ringmoe-edge subscribe --timeout prints results as they arrive and a summary table',
  async (t, broker) => {
    const publisher = await ResultPublisher.create({ url: broker.url, fleet: 'east', device: 'cam-9' });
    const stop = keepPublishing(publisher);
    const cap = capture();
    try {
      const { result } = await runCli(
        ['subscribe', '--broker', broker.url, '--fleet', 'east', '--timeout', '1'],
        cap.io,
      );
      const r = result as SubscribeResult;
      t.is(r.stoppedBy, 'timeout');
      t.true(r.received > 3);
      const lines = cap.out().trim().split('\n');
      t.regex(lines[0]!, /^\d\d:\d\d:\d\d\.\d{3} {2}cam-9 {2}detection {2}[0-9a-f-]{36} {2}\{"n":\d+\}$/);
      t.regex(cap.out(), /device\s+state\s+bdSeq\s+results/);
      t.regex(cap.out(), new RegExp(`cam-9\\s+online\\s+\\d+\\s+detection:${r.summary.devices[0]!.results.detection}`));
      t.regex(cap.err(), /cam-9 online \(bdSeq \d+, MQTT (5|3\.1\.1), json\)/);
    } finally {
      stop();
      await publisher.close();
    }
  },
);

test('BAD CALL - subscribe names the flag at fault', async (t) => {
  const cases: [string[], RegExp][] = [
    [['subscribe', '--fleet', 'north'], /--broker: this option is required/],
    [['subscribe', '--broker', 'mqtt://127.0.0.1:1883'], /--fleet: this option is required/],
    [
      ['subscribe', '--broker', 'mqtt://127.0.0.1:1883', '--fleet', 'north', '--count', 'ten'],
      /Expected a whole number >= 1 for --count but received "ten"/,
    ],
    [['subscribe', '--broker', 'mqtt://127.0.0.1:1883', '--fleet', 'north', '--timeout', '-2'], /for --timeout/],
    [
      ['subscribe', '--broker', 'mqtt://127.0.0.1:1883', '--fleet', 'north/#'],
      /^--fleet: Expected a topic level .* for --fleet but received "north\/#"/,
    ],
    [
      ['subscribe', '--broker', 'http://127.0.0.1', '--fleet', 'north'],
      /^--broker: Expected a URL with scheme mqtt, .* for --broker/,
    ],
    [['subscribe', '--broker', 'mqtt://127.0.0.1:1883', '--fleet', 'north', '--prefix', 'a//b'], /^--prefix: /],
    [['subscribe', '--broker', 'mqtt://127.0.0.1:1883', '--fleet', 'north', '--protocol', '3'], /--protocol/],
    [
      ['subscribe', '--broker', 'mqtt://127.0.0.1:1883', '--fleet', 'north', '--group', 'g', '--protocol', '4'],
      /^--group: shared subscriptions \(--group\) need MQTT 5/,
    ],
  ];
  for (const [argv, re] of cases) {
    const err = await t.throwsAsync(runCli(argv, capture().io), { message: re });
    t.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT', argv.join(' '));
  }
});

test('EXPECTED FAILURE - subscribe to an unreachable broker says what to do next', async (t) => {
  const err = await t.throwsAsync(
    runCli(['subscribe', '--broker', 'mqtt://127.0.0.1:1', '--fleet', 'north'], capture().io),
  );
  t.is((err as { code?: string }).code, 'E_MQTT_OFFLINE');
  t.regex(err!.message, /cannot reach the broker at mqtt:\/\/127\.0\.0\.1:1.*\(start a broker/);
});
