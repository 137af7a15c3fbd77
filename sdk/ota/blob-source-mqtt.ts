/**
 * Blobs in chunks over MQTT ({@link ./chunk-protocol.ts}): a window of requests in flight,
 * answers written in order, a request that gets no answer in time asked again. A dropped
 * connection fails the attempt; the fetch resumes from the bytes already written.
 */
import type { MqttClient } from 'mqtt';
import { EdgeError, messageOf } from '../core/errors.js';
import type { BlobRequest, BlobSource, SourceFetchOptions } from './blob-source.js';
import { decodeChunk, encodeChunkRequest, MAX_CHUNK_BYTES } from './chunk-protocol.js';
import type { BlobWriter } from './slot-store.js';

/** Options of {@link MqttBlobSource}. */
export interface MqttBlobSourceOptions {
  /** Bytes per chunk (default 32 KiB, at most 1 MiB). */
  chunkBytes?: number;
  /** Requests in flight (default 4). */
  window?: number;
  /** Time to wait for an answer before asking again (default 5000 ms). */
  timeoutMs?: number;
  /** Times one chunk is asked again before the attempt fails (default 4). */
  retries?: number;
}

interface Pending {
  offset: number;
  length: number;
  tries: number;
  timer: NodeJS.Timeout;
}

/**
 * MQTT chunk source over a connected client.
 * @example
 * const source = await MqttBlobSource.create(client, topics.chunkRequest(fleet, id), topics.chunk(fleet, id));
 */
export class MqttBlobSource implements BlobSource {
  readonly name = 'mqtt';
  private nextId = 1;
  private readonly handlers = new Set<(topic: string, payload: Buffer) => void>();

  private constructor(
    private readonly client: MqttClient,
    private readonly requestTopic: string,
    private readonly responseTopic: string,
    private readonly o: Required<MqttBlobSourceOptions>,
  ) {}

  /**
   * Subscribes to the device's chunk topic.
   * @throws EdgeError E_INVALID_ARGUMENT (options), E_MQTT_OFFLINE
   */
  static async create(client: MqttClient, requestTopic: string, responseTopic: string, o: MqttBlobSourceOptions = {}): Promise<MqttBlobSource> {
    const chunkBytes = o.chunkBytes ?? 32 << 10;
    if (!Number.isInteger(chunkBytes) || chunkBytes < 1024 || chunkBytes > MAX_CHUNK_BYTES) throw new EdgeError('E_INVALID_ARGUMENT', `chunkBytes must be an integer between 1024 and ${MAX_CHUNK_BYTES}`, { field: 'chunkBytes' });
    try {
      await client.subscribeAsync(responseTopic, { qos: 1 });
    } catch (err) {
      throw new EdgeError('E_MQTT_OFFLINE', `cannot subscribe to ${responseTopic}: ${messageOf(err)}`, { cause: err });
    }
    return new MqttBlobSource(client, requestTopic, responseTopic, { chunkBytes, window: o.window ?? 4, timeoutMs: o.timeoutMs ?? 5000, retries: o.retries ?? 4 });
  }

  fetch(blob: BlobRequest, writer: BlobWriter, o: SourceFetchOptions = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const pending = new Map<number, Pending>();
      const received = new Map<number, Buffer>();
      let nextOffset = writer.offset;
      let writeOffset = writer.offset;
      let writing = Promise.resolve();
      let done = false;
      const finish = (err?: unknown) => {
        if (done) return;
        done = true;
        for (const p of pending.values()) clearTimeout(p.timer);
        this.client.removeListener('message', handler);
        this.handlers.delete(handler);
        this.client.removeListener('close', onClose);
        o.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const onClose = () => finish(new EdgeError('E_MQTT_OFFLINE', `connection lost at byte ${writeOffset} of ${blob.size}`));
      const onAbort = () => finish(o.signal!.reason);
      const send = (offset: number, length: number, tries: number) => {
        const id = this.nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          if (tries >= this.o.retries) return finish(new EdgeError('E_IO', `no answer for the chunk at ${offset} after ${tries + 1} requests`));
          send(offset, length, tries + 1);
        }, this.o.timeoutMs);
        pending.set(id, { offset, length, tries, timer });
        this.client.publish(this.requestTopic, encodeChunkRequest({ id, sha256: blob.sha256, offset, length }), { qos: 1 }, (err) => {
          if (err) finish(new EdgeError('E_MQTT_OFFLINE', `cannot send a chunk request: ${messageOf(err)}`, { cause: err }));
        });
      };
      const fill = () => {
        while (!done && pending.size < this.o.window && nextOffset < blob.size) {
          const length = Math.min(this.o.chunkBytes, blob.size - nextOffset);
          send(nextOffset, length, 0);
          nextOffset += length;
        }
      };
      const handler = (topic: string, payload: Buffer) => {
        if (topic !== this.responseTopic || done) return;
        let msg: ReturnType<typeof decodeChunk>;
        try {
          msg = decodeChunk(payload);
        } catch {
          return; // not ours to judge: a stray message on our topic does not end the fetch
        }
        const p = pending.get(msg.header.id);
        if (!p || msg.header.sha256 !== blob.sha256) return; // an answer to a request already retried
        clearTimeout(p.timer);
        pending.delete(msg.header.id);
        if (msg.header.error) return finish(new EdgeError(msg.header.error.code === 'E_BLOB_MISSING' ? 'E_BLOB_MISSING' : 'E_IO', `publisher: ${msg.header.error.message}`));
        if (msg.header.offset !== p.offset || msg.data.length > p.length) return finish(new EdgeError('E_BLOB_HASH', `chunk at ${msg.header.offset} has ${msg.data.length} bytes where ${p.length} at ${p.offset} were asked for`));
        if (msg.data.length < p.length) return finish(new EdgeError('E_BLOB_HASH', `chunk at ${p.offset} is short (${msg.data.length} of ${p.length} bytes)`));
        received.set(p.offset, Buffer.from(msg.data));
        writing = writing.then(async () => {
          for (let b = received.get(writeOffset); b && !done; b = received.get(writeOffset)) {
            received.delete(writeOffset);
            await writer.write(b);
            writeOffset += b.length;
            o.onBytes?.(b.length);
          }
          if (writeOffset >= blob.size) finish();
          else fill();
        }).catch((err) => finish(err));
      };
      this.handlers.add(handler);
      this.client.on('message', handler);
      this.client.on('close', onClose);
      o.signal?.addEventListener('abort', onAbort);
      if (!this.client.connected) return onClose();
      if (nextOffset >= blob.size) return finish();
      fill();
    });
  }

  async close(): Promise<void> {
    for (const h of this.handlers) this.client.removeListener('message', h);
    this.handlers.clear();
    await this.client.unsubscribeAsync(this.responseTopic).catch(() => {});
  }
}
