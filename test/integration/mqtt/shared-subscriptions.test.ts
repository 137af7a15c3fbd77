import { FleetConsumer, type ReceivedResult } from '../../../sdk/mqtt/consumer.js';
import { ResultPublisher } from '../../../sdk/mqtt/publisher.js';
import { forEachBroker, until } from './brokers.js';

forEachBroker(
  "two consumers in one shared-subscription group split a fleet's results; each still sees every birth",
  async (t, broker) => {
    const a = await FleetConsumer.create({ url: broker.url, fleet: 'west', group: 'ground' });
    const b = await FleetConsumer.create({ url: broker.url, fleet: 'west', group: 'ground' });
    t.true(a.filters.includes('$share/ground/ringmoe/west/+/results/+'));
    t.true(a.filters.includes('ringmoe/west/+/birth'));
    const got: Record<'a' | 'b', ReceivedResult[]> = { a: [], b: [] };
    a.on('result', (r) => got.a.push(r));
    b.on('result', (r) => got.b.push(r));
    const publishers = await Promise.all(
      ['uav-1', 'uav-2'].map((device) => ResultPublisher.create({ url: broker.url, fleet: 'west', device })),
    );
    try {
      const ids = new Set<string>();
      for (let i = 0; i < 30; i++) {
        for (const p of publishers) ids.add((await p.publishResult('detection', { i })).id);
      }
      await until(() => got.a.length + got.b.length === 60, 15_000, '60 results across both consumers');
      await new Promise((r) => setTimeout(r, 200)); // nothing more arrives
      t.is(got.a.length + got.b.length, 60);
      t.true(got.a.length > 0 && got.b.length > 0, `split ${got.a.length}/${got.b.length}`);
      const idsA = new Set(got.a.map((r) => r.id));
      t.deepEqual(
        got.b.filter((r) => idsA.has(r.id)),
        [],
        'no result went to both',
      );
      t.deepEqual([...idsA, ...got.b.map((r) => r.id)].sort(), [...ids].sort());
      for (const c of [a, b]) {
        t.deepEqual(
          c.summary().devices.map((d) => [d.device, d.online]),
          [
            ['uav-1', true],
            ['uav-2', true],
          ],
        );
      }
      t.log(`split: consumer a ${got.a.length}, consumer b ${got.b.length}`);
    } finally {
      await Promise.all(publishers.map((p) => p.close()));
      await a.close();
      await b.close();
    }
  },
  ['mosquitto'],
);

forEachBroker(
  'EXPECTED FAILURE - a shared-subscription group on a broker that speaks only MQTT 3.1.1 is refused, not silently empty',
  async (t, broker) => {
    const err = await t.throwsAsync(FleetConsumer.create({ url: broker.url, fleet: 'west', group: 'ground' }), {
      message: /shared subscriptions need MQTT 5/,
    });
    t.is((err as { code?: string }).code, 'E_MQTT_PROTOCOL');
  },
  ['aedes'],
);
