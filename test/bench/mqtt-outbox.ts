/**
 * Benchmark: how fast results get to the broker through the durable outbox, against plain mqtt.js
 * QoS 1 (the anchor) in the same run and on the same local broker.
 *
 * Each run publishes N results as fast as the API accepts them and stops the clock when the broker
 * has acknowledged all of them (PUBACK), so both sides measure "accepted by the broker" throughput:
 * - anchor: what an application does with plain mqtt.js: stringify the same result envelope and
 *   `publishAsync` it with QoS 1, all in flight at once, then await all;
 * - outbox: `ResultPublisher.publishResult` (file outbox in a temp dir: write + fdatasync per batch,
 *   ack records, in-flight window) for every result, then `drain()`.
 * - signed: the same publisher with a device key, so every result is signed (Ed25519 over topic and
 *   payload, docs/mqtt.md); its ratio against the unsigned variant of the same outbox, in the same
 *   run, is the cost of signing.
 * Runs alternate anchor/outbox; the table shows every run, the ratio uses medians. CPU time per
 * result is printed too: on a shared machine it is steadier than wall-clock rates.
 *
 * usage: npx tsx test/bench/mqtt-outbox.ts [--n 5000] [--runs 5] [--broker aedes|mosquitto]
 * (also part of `npm run bench`, with the defaults)
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import { encodePayload } from '../../sdk/mqtt/codec.js';
import { startEmbeddedBroker } from '../../sdk/mqtt/embedded-broker.js';
import type { FsyncPolicy } from '../../sdk/mqtt/outbox/open-log.js';
import { ResultPublisher } from '../../sdk/mqtt/publisher.js';
import { HAS_MOSQUITTO, startMosquitto } from '../helpers/mosquitto.js';
import type { Bench, BenchResult } from './harness.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const N = Number(arg('n', '5000'));
const RUNS = Number(arg('runs', '5'));
const BROKER = arg('broker', HAS_MOSQUITTO ? 'mosquitto' : 'aedes');

/** A detection result of a realistic size (~12 boxes). */
const result = (i: number) => ({
  frame: i,
  boxes: Array.from({ length: 12 }, (_, k) => [k * 10 + 1, k * 7 + 2, 40, 30, 0.5 + k / 30, k % 5]),
  label: 'vehicle',
});

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Sample {
  /** Results acknowledged per second (wall clock). */
  rate: number;
  /** CPU time of this process per result, microseconds (user + system). */
  cpuUs: number;
}

function sample(t0: number, c0: NodeJS.CpuUsage): Sample {
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { rate: (N / ms) * 1000, cpuUs: (c.user + c.system) / N };
}

/** What an application would do with plain mqtt.js: stringify the same result envelope, publish QoS 1. */
async function anchorRun(url: string, protocolVersion: 4 | 5): Promise<Sample> {
  const client = await mqtt.connectAsync(url, { protocolVersion, clientId: `bench-anchor-${process.pid}` });
  const results = Array.from({ length: N }, (_, i) => result(i));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    results.map((r, i) =>
      client.publishAsync(
        'ringmoe/bench/anchor/results/detection',
        encodePayload('json', {
          v: 1,
          type: 'result',
          id: `anchor-${i}`,
          fleet: 'bench',
          device: 'anchor',
          task: 'detection',
          ts: Date.now(),
          result: r,
        }),
        { qos: 1 },
      ),
    ),
  );
  const s = sample(t0, c0);
  await client.endAsync();
  return s;
}

/** The device key of the signed variants. */
const DEVICE_KEY = generateKeyPairSync('ed25519').privateKey;

interface Variant {
  fsync: FsyncPolicy | 'memory';
  /** Sign every result with a device key. */
  signed?: boolean;
}

async function outboxRun(url: string, v: Variant): Promise<Sample & { protocolVersion: 4 | 5 }> {
  const { fsync } = v;
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-outbox-'));
  const publisher = await ResultPublisher.create({
    url,
    fleet: 'bench',
    device: 'outbox',
    ...(v.signed ? { deviceKey: DEVICE_KEY } : {}),
    ...(fsync === 'memory' ? {} : { stateDir, fsync }),
    outboxLimits: { maxEntries: N + 10 },
  });
  try {
    await new Promise<void>((resolve) => publisher.once('connected', () => resolve()));
    const results = Array.from({ length: N }, (_, i) => result(i));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(results.map((r) => publisher.publishResult('detection', r)));
    if (!(await publisher.drain(120_000))) throw new Error('outbox did not drain');
    return { ...sample(t0, c0), protocolVersion: publisher.status().protocolVersion! };
  } finally {
    await publisher.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

interface Table {
  label: string;
  protocolVersion: 4 | 5;
  rates: Record<string, number[]>;
  cpu: Record<string, number[]>;
}

const ANCHOR = 'plain mqtt.js QoS 1 (anchor)';
const HEADLINE = 'outbox file, fsync always (default)';
const SIGNED = 'outbox file, fsync always, signed';
const MEMORY = 'outbox memory';
const MEMORY_SIGNED = 'outbox memory, signed';
const VARIANTS: Record<string, Variant> = {
  [HEADLINE]: { fsync: 'always' },
  [SIGNED]: { fsync: 'always', signed: true },
  'outbox file, fsync every 200 ms': { fsync: { intervalMs: 200 } },
  [MEMORY]: { fsync: 'memory' },
  [MEMORY_SIGNED]: { fsync: 'memory', signed: true },
};

/** Median rate of `name` over that of `base` (same run, same broker). */
const rateRatio = (table: Table, name: string, base: string): number =>
  median(table.rates[name]!) / median(table.rates[base]!);

/** All runs against one broker configuration. */
async function measure(label: string, url: string): Promise<Table> {
  // Warm-up (JIT, broker, page cache); also tells which protocol the broker speaks.
  const { protocolVersion } = await outboxRun(url, { fsync: 'always' });
  await anchorRun(url, protocolVersion);
  const rates: Record<string, number[]> = { [ANCHOR]: [] };
  const cpu: Record<string, number[]> = { [ANCHOR]: [] };
  for (const name of Object.keys(VARIANTS)) {
    rates[name] = [];
    cpu[name] = [];
  }
  const record = (name: string, s: Sample): void => {
    rates[name]!.push(s.rate);
    cpu[name]!.push(s.cpuUs);
  };
  for (let r = 0; r < RUNS; r++) {
    record(ANCHOR, await anchorRun(url, protocolVersion));
    for (const [name, v] of Object.entries(VARIANTS)) record(name, await outboxRun(url, v));
  }
  return { label, protocolVersion, rates, cpu };
}

function print(table: Table, log: (line: string) => void): number {
  const anchor = median(table.rates[ANCHOR]!);
  log(`${table.label} (MQTT ${table.protocolVersion === 5 ? '5' : '3.1.1'})`);
  const width = Math.max(...Object.keys(table.rates).map((k) => k.length));
  log(
    `${'variant'.padEnd(width)}  ${'median/s'.padStart(9)}  ${'ratio'.padStart(5)}  ${'cpu us/result'.padStart(13)}  runs/s`,
  );
  for (const [name, xs] of Object.entries(table.rates)) {
    const m = median(xs);
    const cpu = median(table.cpu[name]!);
    log(
      `${name.padEnd(width)}  ${m.toFixed(0).padStart(9)}  ${(m / anchor).toFixed(2).padStart(5)}  ${cpu.toFixed(1).padStart(13)}  ${xs.map((x) => x.toFixed(0)).join(' ')}`,
    );
  }
  log(
    `signing: ${SIGNED} / unsigned ${rateRatio(table, SIGNED, HEADLINE).toFixed(2)}, ${MEMORY_SIGNED} / unsigned ${rateRatio(table, MEMORY_SIGNED, MEMORY).toFixed(2)} (CPU us/result ${median(table.cpu[HEADLINE]!).toFixed(1)} → ${median(table.cpu[SIGNED]!).toFixed(1)})`,
  );
  return median(table.rates[HEADLINE]!) / anchor;
}

async function main(log: (line: string) => void): Promise<BenchResult> {
  const tables: Table[] = [];
  if (BROKER === 'mosquitto') {
    // Mosquitto advertises max_inflight_messages (default 20) as its MQTT 5 receive maximum. The
    // publisher respects it; mqtt.js does not. Measure with the default and with it raised.
    for (const [label, extraConfig] of [
      ['mosquitto, default config (receive maximum 20)', []],
      ['mosquitto, max_inflight_messages 1000 (receive maximum 1000)', ['max_inflight_messages 1000']],
    ] as const) {
      const m = await startMosquitto({ persistence: false, extraConfig: [...extraConfig] });
      try {
        tables.push(await measure(label, m.url));
      } finally {
        await m.close();
      }
    }
  } else {
    const b = await startEmbeddedBroker({ port: 0 });
    try {
      tables.push(await measure('aedes, embedded (no receive maximum in MQTT 3.1.1)', b.url));
    } finally {
      await b.close();
    }
  }
  log(
    `${N} results per run, ${RUNS} runs per variant, runs interleaved; rate = results acknowledged (PUBACK) per second; ratio = median / anchor median`,
  );
  const ratios = tables.map((tb) => print(tb, log));
  const ratio = ratios[0]!;
  log(
    `ratio (outbox file, default fsync / plain mqtt.js QoS 1, ${tables[0]!.label}): ${ratio.toFixed(2)} (goal >= 0.5)`,
  );
  log(
    JSON.stringify({
      bench: 'mqtt-outbox',
      broker: BROKER,
      n: N,
      runs: RUNS,
      ratio: Number(ratio.toFixed(3)),
      goal: 0.5,
      pass: ratio >= 0.5,
      configs: tables.map((tb, i) => ({
        label: tb.label,
        protocolVersion: tb.protocolVersion,
        ratio: Number(ratios[i]!.toFixed(3)),
        signedOverUnsigned: Number(rateRatio(tb, SIGNED, HEADLINE).toFixed(3)),
        signedOverUnsignedMemory: Number(rateRatio(tb, MEMORY_SIGNED, MEMORY).toFixed(3)),
        medianPerSec: Object.fromEntries(Object.entries(tb.rates).map(([k, xs]) => [k, Math.round(median(xs))])),
        medianCpuUsPerResult: Object.fromEntries(
          Object.entries(tb.cpu).map(([k, xs]) => [k, Number(median(xs).toFixed(1))]),
        ),
      })),
    }),
  );
  return {
    name: 'mqtt-outbox',
    ratio: {
      label: `durable outbox (file, fsync always) results/s / plain mqtt.js QoS 1 results/s, ${tables[0]!.label}`,
      value: ratio,
      goal: '>= 0.5',
    },
    metrics: Object.fromEntries(
      tables.flatMap((tb, i) => [
        [`ratio: ${tb.label}`, Number(ratios[i]!.toFixed(3))],
        [`signed / unsigned (file, fsync always): ${tb.label}`, Number(rateRatio(tb, SIGNED, HEADLINE).toFixed(3))],
        [`signed / unsigned (memory): ${tb.label}`, Number(rateRatio(tb, MEMORY_SIGNED, MEMORY).toFixed(3))],
        ...Object.entries(tb.rates).map(([k, xs]) => [`${tb.label}: ${k} /s`, Math.round(median(xs))]),
      ]),
    ),
  };
}

/** For `npm run bench`: the same measurement with the defaults. */
export const bench: Bench = {
  name: 'mqtt-outbox',
  description: 'results/s acknowledged by the broker through the durable outbox vs plain mqtt.js QoS 1',
  run: (log) => main(log),
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main((line) => console.log(line));
