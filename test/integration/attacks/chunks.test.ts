/**
 * Forged MQTT chunk answers. Any client on the broker can answer a device's chunk requests: it sees
 * the request (id, blob, range) and can reply before the publisher. Each answer is verified against
 * the per-chunk hashes of the signed manifest (or the blob's sha256 when it comes in one answer), a
 * forged one is refused and the request stays open for the real answer: the update succeeds.
 */
import test from 'ava';
import mqtt from 'mqtt';
import { openBundleDir } from '../../../tools/bundle/bundle-dir.js';
import { publishBundle } from '../../../tools/bundle/publish.js';
import { chunkCount, chunkHash } from '../../../sdk/ota/bundle/chunk-hashes.js';
import { decodeChunkRequest, encodeChunk } from '../../../sdk/ota/sources/chunk-protocol.js';
import { startAedes } from '../ota/brokers.js';
import { FLEET, otaFixture, startMqttDevice, type TestDevice } from '../ota/fixtures.js';
import { readFile } from 'node:fs/promises';

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('bundles list a hash for every chunk of every file, in the signed manifest', async (t) => {
  const fx = await otaFixture();
  const b = await openBundleDir(fx.bundles.v2);
  const cb = b.manifest.chunkBytes!;
  t.true(cb >= 64 << 10);
  for (const f of b.manifest.files) {
    t.is(f.chunks?.length, chunkCount(f.size, cb), f.path);
  }
  const big = b.manifest.files.reduce((a, f) => (f.size > a.size ? f : a));
  const bytes = await readFile(b.blobPath(big.sha256));
  t.is(big.chunks![0], chunkHash(bytes.subarray(0, cb)));
});

for (const mode of ['garbage', 'error', 'wrong-range'] as const) {
  test(`every chunk request answered first by a forger (${mode}): the device refuses the forged answers and installs over MQTT`, async (t) => {
    const fx = await otaFixture();
    const broker = await startAedes();
    const forger = await mqtt.connectAsync(broker.url);
    let forged = 0;
    forger.on('message', (topic, payload) => {
      const m = /^ringmoe\/([^/]+)\/([^/]+)\/ota\/chunk-req$/.exec(topic);
      if (!m) return;
      const req = decodeChunkRequest(payload);
      forged++;
      const out = `ringmoe/${m[1]}/${m[2]}/ota/chunk`;
      if (mode === 'garbage')
        forger.publish(
          out,
          encodeChunk({ id: req.id, sha256: req.sha256, offset: req.offset }, Buffer.alloc(req.length, 0x5a)),
        );
      else if (mode === 'error')
        forger.publish(
          out,
          encodeChunk({
            id: req.id,
            sha256: req.sha256,
            offset: req.offset,
            error: { code: 'E_BLOB_MISSING', message: 'no such blob' },
          }),
        );
      else
        forger.publish(
          out,
          encodeChunk({ id: req.id, sha256: req.sha256, offset: req.offset + 1 }, Buffer.alloc(req.length, 1)),
        );
    });
    await forger.subscribeAsync(`ringmoe/${FLEET}/+/ota/chunk-req`);
    const pub = await publishBundle({
      bundleDir: fx.bundles.v2,
      fleet: FLEET,
      broker: broker.url,
      prefix: 'ringmoe',
      keyPath: fx.keyFiles.operator,
      http: false,
      mqttChunks: true,
    });
    let dev: TestDevice | undefined;
    try {
      dev = await startMqttDevice(fx, broker.url, `chunky-${mode}`);
      const d = dev;
      await until(
        () => d.agent.report().outcome !== undefined && d.agent.state === 'idle',
        120_000,
        'the update to end',
      );
      t.like(
        d.agent.report().outcome,
        { result: 'installed', seq: pub.desired.seq },
        JSON.stringify(d.agent.report().outcome),
      );
      t.is(d.agent.report().current?.version, '2.0.0');
      t.true(forged > 0, 'the forger answered requests');
      t.log(`${forged} forged answers refused; the update completed`);
    } finally {
      await dev?.close();
      await pub.close();
      await forger.endAsync();
      await broker.close();
    }
  });
}
