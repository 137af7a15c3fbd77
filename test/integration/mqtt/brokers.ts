/**
 * The two real brokers every MQTT integration test runs against: aedes (in process, MQTT 3.1.1
 * only) and mosquitto (a child process, MQTT 5). `forEachBroker` registers a test per broker and
 * skips the mosquitto one visibly when the binary is absent.
 */
import test, { type ExecutionContext } from 'ava';
import { startAedes } from '../../helpers/aedes.js';
import { HAS_MOSQUITTO, startMosquitto } from '../../helpers/mosquitto.js';
import { testIf } from '../../helpers/shared-data.js';

/** A broker under test. */
export interface TestBroker {
  name: 'aedes' | 'mosquitto';
  url: string;
  /** The MQTT version an `auto` client ends up with. */
  protocolVersion: 4 | 5;
  /** Broker unreachable (mosquitto: process stopped; aedes: listener closed, connections dropped). */
  outage(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts one broker of the named kind. */
export async function startBroker(name: TestBroker['name']): Promise<TestBroker> {
  if (name === 'aedes') {
    const b = await startAedes();
    return { name, url: b.url, protocolVersion: 4, outage: b.outage, restore: b.restore, close: b.close };
  }
  const m = await startMosquitto();
  return { name, url: m.url, protocolVersion: 5, outage: m.stop, restore: m.start, close: m.close };
}

/** Registers `body` once per broker, titled `<broker>: <title>`; the broker is closed afterwards. */
export function forEachBroker(
  title: string,
  body: (t: ExecutionContext, broker: TestBroker) => Promise<void>,
  only?: TestBroker['name'][],
): void {
  for (const name of ['aedes', 'mosquitto'] as const) {
    if (only && !only.includes(name)) continue;
    const run = name === 'mosquitto' ? testIf(HAS_MOSQUITTO, test) : test;
    run(`${name}${name === 'mosquitto' && !HAS_MOSQUITTO ? ' (not installed)' : ''}: ${title}`, async (t) => {
      const broker = await startBroker(name);
      try {
        await body(t, broker);
      } finally {
        await broker.close();
      }
    });
  }
}

/** Resolves when `cond()` holds (polled every 20 ms); rejects with `what` after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
