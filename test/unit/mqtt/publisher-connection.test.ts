/**
 * The publisher's connection loop when `close()` meets a connection that is not online yet: the
 * broker has answered CONNACK but not yet acknowledged the birth certificate. The broker below holds
 * the birth's PUBACK until the test lets it go, so the race that made a runtime on a damaged outbox
 * hang under load (close() arriving in that window) happens on every run: close() gives that
 * connection its deadline to come up and drain, and ends it when the deadline passes first.
 */
import test from 'ava';
import type { PublishPacket } from 'aedes';
import { ResultPublisher } from '../../../sdk/mqtt/publisher.js';
import { startAedes, type AedesBroker } from '../../helpers/aedes.js';

/** Holds the PUBACK of every birth certificate until `release()`; `held` resolves at the first. */
function holdBirths(broker: AedesBroker): { held: Promise<void>; release: () => void } {
  const waiting: (() => void)[] = [];
  let released = false;
  let heard!: () => void;
  const held = new Promise<void>((resolve) => (heard = resolve));
  broker.aedes.authorizePublish = (_client, packet: PublishPacket, done) => {
    if (released || !packet.topic.endsWith('/birth')) return done(null);
    waiting.push(() => done(null));
    heard();
  };
  return {
    held,
    release: () => {
      released = true;
      for (const w of waiting.splice(0)) w();
    },
  };
}

/** `p`, or a rejection naming `what` once `ms` of real time passed (a hang, not a slow machine). */
function settlesWithin<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, hang]).finally(() => clearTimeout(timer));
}

/** A publisher with one result pending whose connection waits for its birth's PUBACK. */
async function pendingBirth(): Promise<{
  broker: AedesBroker;
  births: ReturnType<typeof holdBirths>;
  publisher: ResultPublisher;
  connected: unknown[];
}> {
  const broker = await startAedes();
  const births = holdBirths(broker);
  const publisher = await ResultPublisher.create({ url: broker.url, fleet: 'north', device: 'drone-1', protocol: 4 });
  const connected: unknown[] = [];
  publisher.on('connected', (c) => connected.push(c));
  await publisher.publishResult('detection', { n: 1 });
  await births.held;
  return { broker, births, publisher, connected };
}

test('close() while the birth certificate awaits its PUBACK lets that connection come up within the deadline and delivers what is pending', async (t) => {
  const { broker, births, publisher, connected } = await pendingBirth();
  try {
    t.is(publisher.status().state, 'connecting');
    const closing = publisher.close({ deadlineMs: 20_000 });
    // The PUBACK the loop was waiting for arrives after close() began, well inside the deadline.
    births.release();
    t.deepEqual(await settlesWithin(closing, 30_000, 'close()'), { drained: true, pending: 0 });
    t.is(publisher.status().state, 'closed');
    t.is(connected.length, 1, 'the connection made during close() went online once');
  } finally {
    births.release();
    await broker.close();
  }
});

test('close() while the birth certificate is never acknowledged ends that connection at the deadline, resolves, and the publisher never goes online', async (t) => {
  const { broker, births, publisher, connected } = await pendingBirth();
  try {
    const closing = publisher.close({ deadlineMs: 300 });
    // Closing takes the deadline; the bound only turns a hang into a failure instead of a timeout.
    t.deepEqual(await settlesWithin(closing, 30_000, 'close()'), { drained: false, pending: 1 });
    t.is(publisher.status().state, 'closed');
    // The PUBACK arrives after close() ended the connection: nothing goes online.
    births.release();
    await new Promise((r) => setTimeout(r, 100));
    t.deepEqual(connected, [], 'no connected event after close() began');
  } finally {
    births.release();
    await broker.close();
  }
});
