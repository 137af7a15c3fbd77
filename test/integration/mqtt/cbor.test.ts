import { FleetConsumer, type ReceivedResult } from '../../../sdk/mqtt/consumer.js';
import type { BirthPayload } from '../../../sdk/mqtt/messages.js';
import { ResultPublisher } from '../../../sdk/mqtt/publisher.js';
import { forEachBroker, until } from './brokers.js';

forEachBroker(
  'CBOR payloads carry typed arrays; consumers decode them by content type (MQTT 5) or first byte (3.1.1)',
  async (t, broker) => {
    const consumer = await FleetConsumer.create({ url: broker.url, fleet: 'south' });
    const results: ReceivedResult[] = [];
    const births: BirthPayload[] = [];
    consumer.on('result', (r) => results.push(r));
    consumer.on('birth', (b) => births.push(b));
    const publisher = await ResultPublisher.create({
      url: broker.url,
      fleet: 'south',
      device: 'ms-1',
      encoding: 'cbor',
    });
    try {
      const mask = new Uint8Array([0, 1, 1, 2, 2, 2, 0, 3]);
      const embedding = new Float32Array([0.25, -1.5, 3.0625]);
      await publisher.publishResult(
        'segmentation',
        { mask, shape: [2, 4], embedding, label: 'farmland' },
        { frameId: 'ms-7' },
      );
      await until(() => results.length === 1 && births.length === 1, 10_000, 'result and birth');
      const r = results[0]!;
      t.is(r.encoding, 'cbor');
      const got = r.result as { mask: Uint8Array; embedding: Float32Array; shape: number[]; label: string };
      t.true(got.mask instanceof Uint8Array);
      t.deepEqual([...got.mask], [...mask]);
      t.true(got.embedding instanceof Float32Array);
      t.deepEqual([...got.embedding], [...embedding]);
      t.deepEqual(got.shape, [2, 4]);
      t.is(r.frameId, 'ms-7');
      t.like(births[0], { encoding: 'cbor', contentType: 'application/cbor', protocolVersion: broker.protocolVersion });
      if (broker.protocolVersion === 5) t.is(r.userProperties?.frameId, 'ms-7');
    } finally {
      await publisher.close();
      await consumer.close();
    }
  },
);
