/**
 * Links that drop: blob downloads resume where they stopped (HTTP Range, MQTT chunk offsets),
 * across a process restart too; a server that ignores Range restarts the blob from zero; a kept
 * partial that was damaged is fetched again from zero. Every blob is verified before use.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import mqtt from 'mqtt';
import { HttpBlobSource } from '../../../sdk/ota/sources/blob-source-http.js';
import { MqttBlobSource } from '../../../sdk/ota/sources/blob-source-mqtt.js';
import { fetchBlob } from '../../../sdk/ota/sources/blob-source.js';
import { FsSlotStore } from '../../../sdk/ota/slots/slot-store-fs.js';
import { OtaTopics } from '../../../sdk/ota/fleet/topics.js';
import { openBundleDir } from '../../../tools/bundle/bundle-dir.js';
import { startChunkServer } from '../../../tools/bundle/chunk-server.js';
import { tempDir } from '../../helpers/packages.js';
import { startAedes } from './brokers.js';
import { desiredMessage, otaFixture, startDevice } from './fixtures.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Serves blobs with Range; the first request for each blob is cut after `cutAfter` bytes. */
async function flakyServer(blobs: Map<string, Buffer>, o: { cutAfter?: number; ignoreRange?: boolean } = {}) {
  const log: { sha: string; range?: string; status: number }[] = [];
  const cut = new Set<string>();
  let bytes = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const h = /^\/blobs\/([0-9a-f]{64})$/.exec(req.url ?? '')?.[1];
    const b = h ? blobs.get(h) : undefined;
    if (!h || !b) return void res.writeHead(404).end();
    const m = o.ignoreRange ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const status = m ? 206 : 200;
    log.push({ sha: h, ...(req.headers.range ? { range: req.headers.range } : {}), status });
    res.writeHead(status, {
      'content-length': b.length - start,
      ...(m ? { 'content-range': `bytes ${start}-${b.length - 1}/${b.length}` } : {}),
    });
    if (o.cutAfter !== undefined && !cut.has(h) && b.length - start > o.cutAfter) {
      cut.add(h);
      bytes += o.cutAfter;
      res.write(b.subarray(start, start + o.cutAfter), () => res.socket?.destroy());
      return;
    }
    bytes += b.length - start;
    res.end(b.subarray(start));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    get bytes() {
      return bytes;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      }),
  };
}

function blobOf(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

test('a download cut mid-blob resumes with a Range request and the blob verifies', async (t) => {
  const blob = blobOf(300_000, 1);
  const server = await flakyServer(new Map([[sha(blob), blob]]), { cutAfter: 100_000 });
  const store = await FsSlotStore.open(tempDir('resume'));
  const source = new HttpBlobSource(server.url);
  try {
    await fetchBlob(store, { sha256: sha(blob), size: blob.length }, [source], { retryDelayMs: 10 });
    t.true(await store.hasBlob(sha(blob)));
    t.deepEqual(Buffer.from(await store.readBlob(sha(blob), 1e6)), blob);
    t.is(server.log.length, 2);
    t.is(server.log[0]!.status, 200);
    t.is(server.log[1]!.status, 206);
    t.regex(server.log[1]!.range!, /^bytes=\d+-$/);
    const resumedAt = Number(/\d+/.exec(server.log[1]!.range!)![0]);
    // The client resumes after the bytes it received (the cut may lose some of what was written).
    t.true(resumedAt > 0 && resumedAt <= 100_000, `resumed at ${resumedAt}`);
  } finally {
    await source.close();
    await store.close();
    await server.close();
  }
});

test('a download resumes across a process restart from the partial bytes on disk', async (t) => {
  const blob = blobOf(200_000, 2);
  const root = tempDir('resume');
  const first = await FsSlotStore.open(root);
  const w = await first.openBlobWriter(sha(blob));
  await w.write(blob.subarray(0, 150_000));
  await w.close();
  await first.close();
  const server = await flakyServer(new Map([[sha(blob), blob]]));
  const store = await FsSlotStore.open(root);
  const source = new HttpBlobSource(server.url);
  try {
    await fetchBlob(store, { sha256: sha(blob), size: blob.length }, [source]);
    t.true(await store.hasBlob(sha(blob)));
    t.is(server.log[0]!.range, 'bytes=150000-');
    t.is(server.bytes, 50_000);
  } finally {
    await source.close();
    await store.close();
    await server.close();
  }
});

test('a server that ignores Range sends the whole blob again and the download restarts from zero', async (t) => {
  const blob = blobOf(120_000, 3);
  const server = await flakyServer(new Map([[sha(blob), blob]]), { cutAfter: 60_000, ignoreRange: true });
  const store = await FsSlotStore.open(tempDir('resume'));
  const source = new HttpBlobSource(server.url);
  try {
    await fetchBlob(store, { sha256: sha(blob), size: blob.length }, [source], { retryDelayMs: 10 });
    t.deepEqual(Buffer.from(await store.readBlob(sha(blob), 1e6)), blob);
    t.deepEqual(
      server.log.map((l) => l.status),
      [200, 200],
    );
  } finally {
    await source.close();
    await store.close();
    await server.close();
  }
});

test('a kept partial that was damaged (e.g. by a power cut) is fetched again from zero', async (t) => {
  const blob = blobOf(100_000, 4);
  const root = tempDir('resume');
  const first = await FsSlotStore.open(root);
  const w = await first.openBlobWriter(sha(blob));
  const damaged = Buffer.from(blob.subarray(0, 40_000));
  damaged.fill(0, 20_000, 24_000); // what an unflushed page looks like after a power cut
  await w.write(damaged);
  await w.close();
  await first.close();
  const server = await flakyServer(new Map([[sha(blob), blob]]));
  const store = await FsSlotStore.open(root);
  const source = new HttpBlobSource(server.url);
  const retries: string[] = [];
  try {
    await fetchBlob(store, { sha256: sha(blob), size: blob.length }, [source], {
      onRetry: (_s, _b, why) => retries.push(why),
    });
    t.deepEqual(Buffer.from(await store.readBlob(sha(blob), 1e6)), blob);
    t.is(server.log[0]!.range, 'bytes=40000-');
    t.is(server.log[1]!.range, undefined, 'the second fetch starts from zero');
    t.regex(retries.join('\n'), /fetching again from zero/);
  } finally {
    await source.close();
    await store.close();
    await server.close();
  }
});

test('EXPECTED FAILURE - a blob no source can deliver ends in E_BLOB_MISSING naming each source and its reason', async (t) => {
  const store = await FsSlotStore.open(tempDir('resume'));
  const down = new HttpBlobSource('http://127.0.0.1:9'); // the discard port: nothing listens
  try {
    const err = await t.throwsAsync(
      fetchBlob(store, { sha256: 'a'.repeat(64), size: 10, path: 'weights/x.bin' }, [down], {
        retries: 1,
        retryDelayMs: 5,
      }),
    );
    t.is((err as { code?: string }).code, 'E_BLOB_MISSING');
    t.regex(
      (err as Error).message,
      /weights\/x\.bin cannot be fetched: http http:\/\/127\.0\.0\.1:9: gave up after 1 retries/,
    );
  } finally {
    await down.close();
    await store.close();
  }
});

test('a full update through a link that drops every blob once still installs, and every blob was resumed', async (t) => {
  const fx = await otaFixture();
  const v2 = await openBundleDir(fx.bundles.v2);
  const blobs = new Map<string, Buffer>([[v2.manifestSha256, v2.manifestBytes]]);
  for (const f of v2.manifest.files) blobs.set(f.sha256, await readFile(v2.blobPath(f.sha256)));
  const server = await flakyServer(blobs, { cutAfter: 1000 });
  const dev = await startDevice(fx);
  try {
    t.is((await dev.agent.installFromDirectory(fx.bundles.v1)).result, 'installed');
    const out = await dev.agent.handleDesired(await desiredMessage(fx, v2, { http: [server.url] }));
    t.is(out.result, 'installed', out.message);
    const cutOnes = [...blobs].filter(([, b]) => b.length > 1000).length;
    t.is(
      server.log.filter((l) => l.status === 206).length,
      cutOnes,
      'one resumed request per blob larger than the cut',
    );
  } finally {
    await dev.close();
    await server.close();
  }
});

test('MQTT chunks: a connection dropped mid-blob resumes after the reconnect', async (t) => {
  const fx = await otaFixture();
  const v2 = await openBundleDir(fx.bundles.v2);
  const broker = await startAedes();
  const topics = new OtaTopics();
  const publisher = await mqtt.connectAsync(broker.url, { clientId: 'publisher' });
  const device = await mqtt.connectAsync(broker.url, { clientId: 'device', reconnectPeriod: 200 });
  const store = await FsSlotStore.open(tempDir('resume'));
  const server = await startChunkServer(publisher, topics, 'north', [v2]);
  const source = await MqttBlobSource.create(device, topics.chunkRequest('north', 'd1'), topics.chunk('north', 'd1'), {
    chunkBytes: 4096,
    timeoutMs: 1000,
  });
  try {
    const trunk = v2.manifest.files.find((f) => f.path === 'weights/trunk.bin')!;
    let dropped = false;
    const retries: string[] = [];
    await fetchBlob(store, { sha256: trunk.sha256, size: trunk.size, path: trunk.path }, [source], {
      retryDelayMs: 300,
      onBytes: () => {
        if (!dropped && server.bytesSent > trunk.size / 2) {
          dropped = true;
          device.stream.destroy(); // the radio link goes away
        }
      },
      onRetry: (_s, _b, why) => retries.push(why),
    });
    t.true(dropped);
    t.true(await store.hasBlob(trunk.sha256));
    t.regex(retries.join('\n'), /connection lost at byte \d+/);
    t.true(
      server.bytesSent < trunk.size * 1.5,
      `resumed, not restarted: ${server.bytesSent} bytes for a ${trunk.size}-byte blob`,
    );
  } finally {
    await source.close();
    await server.close();
    await device.endAsync(true);
    await publisher.endAsync(true);
    await store.close();
    await broker.close();
  }
});
