/**
 * The publisher's connection loop when `close()` meets a connection that is not online yet: the
 * broker has answered CONNACK but not yet acknowledged the birth certificate. The broker below holds
 * the birth's PUBACK until the test lets it go, so the race that made a runtime on a damaged outbox
 * hang under load (close() arriving in that window) happens on every run.
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

test('close() while the birth certificate awaits its PUBACK ends that connection and resolves, and the publisher never goes online', async (t) => {
  const broker = await startAedes();
  const births = holdBirths(broker);
  const publisher = await ResultPublisher.create({ url: broker.url, fleet: 'north', device: 'drone-1', protocol: 4 });
  const connected: unknown[] = [];
  publisher.on('connected', (c) => connected.push(c));
  try {
    await publisher.publishResult('detection', { n: 1 });
    await births.held;
    t.is(publisher.status().state, 'connecting');
    const closing = publisher.close({ deadlineMs: 1000 });
    // The PUBACK the loop was waiting for arrives after close() began.
    births.release();
    // Closing takes milliseconds; the bound only turns a hang into a failure instead of a timeout.
    t.deepEqual(await settlesWithin(closing, 30_000, 'close()'), { drained: false, pending: 1 });
    t.is(publisher.status().state, 'closed');
    t.deepEqual(connected, [], 'no connected event after close() began');
  } finally {
    births.release();
    await broker.close();
  }
});
