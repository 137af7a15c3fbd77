/**
 * Answers blob chunk requests over MQTT for the bundles a publisher serves, for devices whose
 * only link is MQTT. Requests for unknown blobs get an E_BLOB_MISSING answer.
 */
import type { MqttClient } from 'mqtt';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { decodeChunkRequest, encodeChunk } from '../../sdk/internal.js';
import type { OtaTopics } from '../../sdk/internal.js';
import type { BundleDir } from './bundle-dir.js';
import { openRegular } from '../../sdk/internal.js';

/** A running chunk server. */
export interface ChunkServer {
  /** Bytes of blob content sent. */
  readonly bytesSent: number;
  /** Of those, bytes sent again because a device asked for the same range twice (a lost or late answer). */
  readonly bytesRepeated: number;
  readonly requests: number;
  add(bundle: BundleDir): void;
  /** Unsubscribes. Idempotent. */
  close(): Promise<void>;
}

/**
 * Subscribes to the fleet's chunk requests and answers them.
 * @throws EdgeError E_MQTT_OFFLINE
 */
export async function startChunkServer(
  client: MqttClient,
  topics: OtaTopics,
  fleet: string,
  bundles: BundleDir[],
): Promise<ChunkServer> {
  const files = new Map<string, { path: string; size: number }>();
  const add = (b: BundleDir) => {
    files.set(b.manifestSha256, { path: `${b.dir}/bundle.json`, size: b.manifestBytes.length });
    for (const f of b.manifest.files) files.set(f.sha256, { path: b.blobPath(f.sha256), size: f.size });
  };
  bundles.forEach(add);
  const stats = { bytesSent: 0, bytesRepeated: 0, requests: 0 };
  const answered = new Set<string>();
  const filter = topics.fleetChunkRequests(fleet);
  const answer = async (topic: string, payload: Buffer) => {
    const device = topics.deviceOf(topic, fleet);
    if (!device || !topic.endsWith('/chunk-req')) return;
    let req;
    try {
      req = decodeChunkRequest(payload);
    } catch {
      return; // not a request this protocol can answer; the device times out and asks again
    }
    stats.requests++;
    const out = topics.chunk(fleet, device);
    const f = files.get(req.sha256);
    if (!f || req.offset >= f.size) {
      const error = {
        code: 'E_BLOB_MISSING',
        message: f
          ? `offset ${req.offset} is past the end of the blob`
          : `blob ${req.sha256.slice(0, 12)}… is not published here`,
      };
      client.publish(out, encodeChunk({ id: req.id, sha256: req.sha256, offset: req.offset, error }), { qos: 1 });
      return;
    }
    const length = Math.min(req.length, f.size - req.offset);
    const fh = await openRegular(f.path);
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, req.offset);
      stats.bytesSent += bytesRead;
      const key = `${device}:${req.sha256}:${req.offset}`;
      if (answered.has(key)) stats.bytesRepeated += bytesRead;
      else answered.add(key);
      client.publish(
        out,
        encodeChunk({ id: req.id, sha256: req.sha256, offset: req.offset }, buf.subarray(0, bytesRead)),
        { qos: 1 },
      );
    } finally {
      await fh.close();
    }
  };
  const onMessage = (topic: string, payload: Buffer) => {
    answer(topic, payload).catch(() => {});
  };
  client.on('message', onMessage);
  try {
    await client.subscribeAsync(filter, { qos: 1 });
  } catch (err) {
    client.removeListener('message', onMessage);
    throw new EdgeError('E_MQTT_OFFLINE', `cannot subscribe to ${filter}: ${messageOf(err)}`, { cause: err });
  }
  let closed = false;
  return {
    get bytesSent() {
      return stats.bytesSent;
    },
    get bytesRepeated() {
      return stats.bytesRepeated;
    },
    get requests() {
      return stats.requests;
    },
    add,
    async close() {
      if (closed) return;
      closed = true;
      client.removeListener('message', onMessage);
      await client.unsubscribeAsync(filter).catch(() => {});
    },
  };
}
