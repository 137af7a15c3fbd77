/**
 * Blobs in chunks over MQTT ({@link ./chunk-protocol.ts}): a window of requests in flight,
 * answers written in order, a request that gets no answer in time asked again. A dropped
 * connection fails the attempt; the fetch resumes from the bytes already written.
 *
 * Any client on the broker can answer a device's chunk requests. Each answer is therefore verified
 * before it is written: against the chunk's hash in the signed manifest (chunk-hashes.ts), or, for a
 * blob that comes in one answer (at most `chunkBytes`), against the blob's own sha256. Blobs with
 * neither (a manifest larger than one chunk, files of bundles made before chunk hashes) are checked
 * as a whole when complete. An answer that does not
 * verify, names the wrong range or carries an error is not trusted: the request stays open for the
 * real answer (and is asked again on timeout); only after `maxBadAnswers` bad answers for one chunk,
 * or a timeout with nothing but error answers, does the source give up (E_BLOB_HASH, or the error's
 * E_BLOB_MISSING), so the fetch moves on to the next source.
 */
import type { MqttClient } from 'mqtt';
import { EdgeError, messageOf } from '../../core/errors.js';
import type { Clock, ClockTimer } from '../../core/clock.js';
import { otaClock } from '../timing.js';
import type { BlobRequest, BlobSource, SourceFetchOptions } from './blob-source.js';
import { createHash } from 'node:crypto';
import { chunkHash } from '../bundle/chunk-hashes.js';
import { decodeChunk, encodeChunkRequest, MAX_CHUNK_BYTES } from './chunk-protocol.js';
import type { BlobWriter } from '../slots/slot-store.js';

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
  /** Answers to one chunk refused (forged, wrong range, error) before the source gives up (default 16). */
  maxBadAnswers?: number;
  /** What answer timeouts run on (default: the system time). */
  clock?: Clock;
}

interface Pending {
  offset: number;
  length: number;
  tries: number;
  timer: ClockTimer;
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
  /** Answers refused so far (did not verify, wrong range, error): for tests and logs. */
  refusedAnswers = 0;

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
  static async create(
    client: MqttClient,
    requestTopic: string,
    responseTopic: string,
    o: MqttBlobSourceOptions = {},
  ): Promise<MqttBlobSource> {
    const chunkBytes = o.chunkBytes ?? 32 << 10;
    if (!Number.isInteger(chunkBytes) || chunkBytes < 1024 || chunkBytes > MAX_CHUNK_BYTES)
      throw new EdgeError('E_INVALID_ARGUMENT', `chunkBytes must be an integer between 1024 and ${MAX_CHUNK_BYTES}`, {
        field: 'chunkBytes',
      });
    try {
      await client.subscribeAsync(responseTopic, { qos: 1 });
    } catch (err) {
      throw new EdgeError('E_MQTT_OFFLINE', `cannot subscribe to ${responseTopic}: ${messageOf(err)}`, { cause: err });
    }
    return new MqttBlobSource(client, requestTopic, responseTopic, {
      chunkBytes,
      window: o.window ?? 4,
      timeoutMs: o.timeoutMs ?? 5000,
      retries: o.retries ?? 4,
      maxBadAnswers: o.maxBadAnswers ?? 16,
      clock: o.clock ?? otaClock,
    });
  }

  fetch(blob: BlobRequest, writer: BlobWriter, o: SourceFetchOptions = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const pending = new Map<number, Pending>();
      const received = new Map<number, Buffer>();
      // What an answer is checked against: listed chunk hashes (aligned requests of that size), or
      // the blob's sha256 when it comes in one answer; otherwise only the range (and the final hash).
      const hashed = blob.chunks && blob.chunkBytes ? { bytes: blob.chunkBytes, list: blob.chunks } : undefined;
      const whole = !hashed && blob.size <= this.o.chunkBytes;
      const step = hashed ? hashed.bytes : whole ? Math.max(1, blob.size) : this.o.chunkBytes;
      let nextOffset = hashed || whole ? Math.floor(writer.offset / step) * step : writer.offset;
      let writeOffset = writer.offset;
      let writing = Promise.resolve();
      let done = false;
      const finish = (err?: unknown) => {
        if (done) return;
        done = true;
        for (const p of pending.values()) this.o.clock.clearTimeout(p.timer);
        this.client.removeListener('message', handler);
        this.handlers.delete(handler);
        this.client.removeListener('close', onClose);
        o.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const onClose = () =>
        finish(new EdgeError('E_MQTT_OFFLINE', `connection lost at byte ${writeOffset} of ${blob.size}`));
      const onAbort = () => finish(o.signal!.reason);
      /** Bad answers per chunk offset, and the last error answer per offset. */
      const bad = new Map<number, number>();
      const errors = new Map<number, { code: 'E_BLOB_MISSING' | 'E_IO'; message: string }>();
      const openFor = (offset: number) => [...pending.values()].some((q) => q.offset === offset);
      const send = (offset: number, length: number, tries: number) => {
        const id = this.nextId++;
        const timer = this.o.clock.setTimeout(() => {
          pending.delete(id);
          if (openFor(offset)) return; // another request for this chunk is still open
          // Only error answers came: the publisher (or whoever answered) says it has no such chunk.
          const said = errors.get(offset);
          if (said) return finish(new EdgeError(said.code, `chunk at ${offset}: ${said.message}`));
          if (tries >= this.o.retries)
            return finish(new EdgeError('E_IO', `no answer for the chunk at ${offset} after ${tries + 1} requests`));
          send(offset, length, tries + 1);
        }, this.o.timeoutMs);
        pending.set(id, { offset, length, tries, timer });
        this.client.publish(
          this.requestTopic,
          encodeChunkRequest({ id, sha256: blob.sha256, offset, length }),
          { qos: 1 },
          (err) => {
            if (err)
              finish(new EdgeError('E_MQTT_OFFLINE', `cannot send a chunk request: ${messageOf(err)}`, { cause: err }));
          },
        );
      };
      const fill = () => {
        while (!done && pending.size < this.o.window && nextOffset < blob.size) {
          const length = Math.min(step, blob.size - nextOffset);
          send(nextOffset, length, 0);
          nextOffset += length;
        }
      };
      /**
       * Refuses an answer: the request stays open, since the real answer may still come (it is asked
       * for again on the usual timeout); too many bad answers for one chunk end this source.
       */
      const refuse = (p: Pending, why: string, code: 'E_BLOB_HASH' | 'E_BLOB_MISSING' | 'E_IO') => {
        this.refusedAnswers++;
        const n = (bad.get(p.offset) ?? 0) + 1;
        bad.set(p.offset, n);
        if (code !== 'E_BLOB_HASH') errors.set(p.offset, { code, message: why });
        if (n >= this.o.maxBadAnswers) finish(new EdgeError(code, `chunk at ${p.offset}: ${why} (${n} bad answers)`));
      };
      /** Closes every open request for the chunk at `offset`. */
      const settle = (offset: number) => {
        for (const [id, q] of pending) {
          if (q.offset !== offset) continue;
          this.o.clock.clearTimeout(q.timer);
          pending.delete(id);
        }
      };
      const verify = (p: Pending, data: Buffer): string | undefined => {
        if (hashed) {
          const k = p.offset / hashed.bytes;
          return chunkHash(data) === hashed.list[k]
            ? undefined
            : `does not match chunk ${k}'s hash in the signed manifest`;
        }
        if (whole)
          return createHash('sha256').update(data).digest('hex') === blob.sha256
            ? undefined
            : "does not match the blob's sha256";
        return undefined;
      };
      const handler = (topic: string, payload: Buffer) => {
        if (topic !== this.responseTopic || done) return;
        let msg: ReturnType<typeof decodeChunk>;
        try {
          msg = decodeChunk(payload);
        } catch {
          return; // not ours to judge: a stray message on our topic does not end the fetch
        }
        const id = msg.header.id;
        const p = pending.get(id);
        if (!p || msg.header.sha256 !== blob.sha256) return; // an answer to a request already retried
        if (msg.header.error) {
          const missing = msg.header.error.code === 'E_BLOB_MISSING';
          return refuse(
            p,
            `publisher: ${String(msg.header.error.message).slice(0, 200)}`,
            missing ? 'E_BLOB_MISSING' : 'E_IO',
          );
        }
        if (msg.header.offset !== p.offset || msg.data.length !== p.length) {
          return refuse(
            p,
            `answer has ${msg.data.length} bytes at ${msg.header.offset} where ${p.length} at ${p.offset} were asked for`,
            'E_BLOB_HASH',
          );
        }
        const wrong = verify(p, msg.data);
        if (wrong) return refuse(p, `answer ${wrong}`, 'E_BLOB_HASH');
        settle(p.offset);
        // A resumed blob starts inside an aligned chunk: keep only the bytes not yet written.
        const skip = Math.max(0, writer.offset - p.offset);
        received.set(p.offset + skip, Buffer.from(msg.data.subarray(skip)));
        writing = writing
          .then(async () => {
            for (let b = received.get(writeOffset); b && !done; b = received.get(writeOffset)) {
              received.delete(writeOffset);
              await writer.write(b);
              writeOffset += b.length;
              o.onBytes?.(b.length);
            }
            if (writeOffset >= blob.size) finish();
            else fill();
          })
          .catch((err) => finish(err));
      };
      this.handlers.add(handler);
      this.client.on('message', handler);
      this.client.on('close', onClose);
      o.signal?.addEventListener('abort', onAbort);
      if (!this.client.connected) return onClose();
      if (writeOffset >= blob.size) return finish();
      fill();
    });
  }

  async close(): Promise<void> {
    for (const h of this.handlers) this.client.removeListener('message', h);
    this.handlers.clear();
    await this.client.unsubscribeAsync(this.responseTopic).catch(() => {});
  }
}
