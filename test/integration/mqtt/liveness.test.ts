import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetConsumer } from '../../../sdk/mqtt/consumer.js';
import type { BirthPayload, DeathPayload } from '../../../sdk/mqtt/messages.js';
import { ResultPublisher } from '../../../sdk/mqtt/publisher.js';
import { forEachBroker, until } from './brokers.js';
import { startProxy } from './tcp-proxy.js';

forEachBroker(
  'birth on connect, death as last-will when the socket dies, bdSeq tells stale deaths from live births and survives a restart',
  async (t, broker) => {
    const stateDir = await mkdtemp(join(tmpdir(), 'liveness-'));
    const proxy = await startProxy(broker.url);
    const early = await FleetConsumer.create({ url: broker.url, fleet: 'north' });
    const births: BirthPayload[] = [];
    const deaths: { death: DeathPayload; stale: boolean }[] = [];
    early.on('birth', (b) => births.push(b));
    early.on('death', (death, { stale }) => deaths.push({ death, stale }));
    const options = {
      url: proxy.url,
      fleet: 'north',
      device: 'drone-3',
      stateDir,
      keepaliveSeconds: 5,
      reconnect: { minDelayMs: 50, maxDelayMs: 200 },
    };
    let publisher = await ResultPublisher.create(options);
    let late: FleetConsumer | undefined;
    try {
      await until(() => births.length === 1, 10_000, 'first birth');
      const b0 = births[0]!.bdSeq;
      t.is(publisher.status().bdSeq, b0);
      t.true(early.summary().devices[0]!.online);

      // Kill the publisher's connection: the broker publishes the will (death b0), the publisher
      // reconnects with b0 + 1 and publishes a new birth.
      proxy.cutAll();
      await until(() => births.length === 2 && deaths.length >= 1, 10_000, 'will and second birth');
      const b1 = births[1]!.bdSeq;
      t.is(b1, b0 + 1);
      t.like(deaths[0], { death: { bdSeq: b0, graceful: false, device: 'drone-3' } });
      t.like(early.summary().devices[0], { online: true, bdSeq: b1 });

      // A consumer that arrives now gets both retained messages: birth b1 and the stale death b0.
      late = await FleetConsumer.create({ url: broker.url, fleet: 'north' });
      await until(
        () => late!.summary().devices[0]?.bdSeq === b1 && late!.summary().devices[0]!.lastSeen > 0,
        10_000,
        'retained birth',
      );
      await new Promise((r) => setTimeout(r, 200));
      const seenLate = late.summary().devices[0]!;
      t.is(seenLate.online, true);
      t.is(
        seenLate.staleDeaths + (seenLate.lastDeath?.bdSeq === b0 ? 1 : 0),
        1,
        'the retained death b0 is recognised as not ending b1',
      );

      // Graceful close: an explicit death with b1, marked graceful.
      await publisher.close();
      await until(
        () => early.summary().devices[0]!.online === false && late!.summary().devices[0]!.online === false,
        10_000,
        'graceful death',
      );
      t.like(early.summary().devices[0]!.lastDeath, { bdSeq: b1, graceful: true });
      t.deepEqual(JSON.parse(await readFile(join(stateDir, 'bdseq.json'), 'utf8')), { bdSeq: b1 });

      // A new process with the same state directory continues the sequence.
      publisher = await ResultPublisher.create(options);
      await until(() => births.length === 3, 10_000, 'birth after restart');
      t.true(births[2]!.bdSeq > b1);
      t.like(early.summary().devices[0], { online: true, bdSeq: births[2]!.bdSeq });
    } finally {
      await publisher.close();
      await late?.close();
      await early.close();
      await proxy.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  },
);
