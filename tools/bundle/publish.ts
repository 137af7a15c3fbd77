/**
 * `publish`: serves a bundle's blobs (HTTP with Range, and/or MQTT chunks) and sets the signed
 * desired state, retained, for a fleet or one device. Reports the delta against a base bundle
 * before anything is sent. While it runs, the desired state is also served over HTTP
 * (`/desired/<fleet>[/<device>]`) and put back on the broker when another client replaces it.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { bundleDelta, type BundleDelta } from '../../sdk/internal.js';
import { encodeDesired, type DesiredState } from '../../sdk/internal.js';
import { brokerAuthOptions, waitConnected, type BrokerAuth } from '../../sdk/internal.js';
import { checkSignatureRecord, verifyDocument } from '../../sdk/internal.js';
import { OtaTopics } from '../../sdk/internal.js';
import { startBlobServer, type BlobServer } from './blob-server.js';
import { openBundleDir, type BundleDir } from './bundle-dir.js';
import { startChunkServer, type ChunkServer } from './chunk-server.js';
import { desiredFor } from './desired.js';
import { loadPrivateKey } from './keys.js';
import { checkBundleBlobs } from './verify-bundle.js';

/** Options of {@link publishBundle}. */
export interface PublishOptions {
  bundleDir: string;
  fleet: string;
  /** Address one device instead of the whole fleet. */
  device?: string;
  /** Broker URL. */
  broker: string;
  /** Credentials and TLS material for the broker. */
  auth?: BrokerAuth;
  prefix?: string;
  /** Private key (PEM) that signs the desired state; the device must trust it for `desired`. */
  keyPath: string;
  /** Serve blobs over HTTP (default on, a free port on 127.0.0.1); `false` for MQTT chunks only. */
  http?: false | { port?: number; host?: string; advertiseUrl?: string };
  /** Also answer blob chunk requests over MQTT. */
  mqttChunks?: boolean;
  seq?: number;
  /** Signed permission for devices to install a lower version. */
  rollback?: boolean;
  expiresInS?: number;
  /** A bundle the fleet runs now: the delta against it is reported. */
  base?: string;
  /**
   * Put the desired state back when another client replaces the retained copy on the broker
   * (default true). A desired state signed by the same key with a higher seq supersedes this one
   * and is left alone.
   */
  restoreDesired?: boolean;
}

/** A running publication. */
export interface Publication {
  bundle: BundleDir;
  desired: DesiredState;
  /** Topic the desired state was published on (retained). */
  topic: string;
  /** Base URL of the blob server, when serving over HTTP. */
  httpUrl?: string;
  /** Delta against `base`, when given. */
  delta?: BundleDelta;
  client: MqttClient;
  /** Blob bytes sent so far; `mqttRepeated` counts chunks sent again because a device asked twice. */
  bytesSent(): { http: number; mqtt: number; mqttRepeated: number };
  /** Times the retained desired state was replaced by another client and put back. */
  desiredRestored(): number;
  /** Stops serving (the retained desired state stays). Idempotent. */
  close(): Promise<void>;
}

/**
 * Checks the bundle, starts the servers and publishes the desired state.
 * @throws EdgeError E_INVALID_ARGUMENT, E_FILE_NOT_FOUND, E_BUNDLE_INVALID, E_BLOB_* (the
 *   bundle is damaged), E_SIGNATURE (unsigned bundle, bad key), E_MQTT_OFFLINE, E_MQTT_TLS,
 *   E_MQTT_PROTOCOL (credentials refused), E_IO (port)
 * @example
 * const pub = await publishBundle({ bundleDir: 'out/v2', fleet: 'north', broker: 'mqtt://localhost:1883', keyPath: 'keys/ops.key' });
 */
export async function publishBundle(o: PublishOptions): Promise<Publication> {
  if (o.http === false && !o.mqttChunks)
    throw new EdgeError('E_INVALID_ARGUMENT', 'nothing would serve the blobs: enable HTTP or --mqtt-chunks', {
      field: '--no-http',
    });
  const topics = new OtaTopics(o.prefix);
  const topic = o.device ? topics.deviceDesired(o.fleet, o.device) : topics.fleetDesired(o.fleet);
  const bundle = await openBundleDir(o.bundleDir);
  await checkBundleBlobs(bundle);
  const key = await loadPrivateKey(o.keyPath);
  const delta = o.base
    ? bundleDelta(
        bundle.manifest,
        (await openBundleDir(o.base)).manifest.files.map((f) => f.sha256),
      )
    : undefined;
  let server: BlobServer | undefined;
  let chunks: ChunkServer | undefined;
  let client: MqttClient | undefined;
  try {
    if (o.http !== false) server = await startBlobServer([bundle], o.http ?? {});
    const desired = desiredFor(bundle, {
      fleet: o.fleet,
      ...(o.device !== undefined ? { device: o.device } : {}),
      ...(o.seq !== undefined ? { seq: o.seq } : {}),
      ...(o.rollback ? { rollback: true } : {}),
      ...(o.expiresInS !== undefined ? { expiresInS: o.expiresInS } : {}),
      sources: { ...(server ? { http: [server.url] } : {}), ...(o.mqttChunks ? { mqtt: true } : {}) },
    });
    const payload = encodeDesired(desired, key);
    const c = mqtt.connect(o.broker, {
      clientId: `ringmoe-publish-${o.fleet}-${process.pid}`,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      ...brokerAuthOptions(o.auth),
    });
    client = c;
    await waitConnected(c, o.broker, 10_000, '--broker');
    if (o.mqttChunks) chunks = await startChunkServer(c, topics, o.fleet, [bundle]);
    server?.setDesired(o.fleet, o.device, payload);
    await c.publishAsync(topic, payload, { qos: 1, retain: true }).catch((err) => {
      throw new EdgeError('E_MQTT_PROTOCOL', `cannot publish the desired state: ${messageOf(err)}`, { cause: err });
    });
    const guard = o.restoreDesired === false ? undefined : await guardDesired(c, topic, payload, desired.seq, key);
    let closing: Promise<void> | undefined;
    return {
      bundle,
      desired,
      topic,
      ...(server ? { httpUrl: server.url } : {}),
      ...(delta ? { delta } : {}),
      client: c,
      bytesSent: () => ({
        http: server?.bytesSent ?? 0,
        mqtt: chunks?.bytesSent ?? 0,
        mqttRepeated: chunks?.bytesRepeated ?? 0,
      }),
      desiredRestored: () => guard?.restored ?? 0,
      close() {
        closing ??= (async () => {
          guard?.stop();
          await chunks?.close();
          await c.endAsync(false).catch(() => {});
          await server?.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await chunks?.close();
    await client?.endAsync(true).catch(() => {});
    await server?.close();
    throw err;
  }
}

/**
 * Watches the retained desired state and puts `payload` back whenever another client replaces it
 * (at most once a second), unless the replacement is a newer desired state signed by `key`.
 */
async function guardDesired(
  c: MqttClient,
  topic: string,
  payload: Buffer,
  seq: number,
  key: KeyObject,
): Promise<{ restored: number; stop(): void }> {
  const pub = createPublicKey(key);
  const state = { restored: 0, superseded: false, last: 0, timer: undefined as NodeJS.Timeout | undefined };
  const supersedes = (bytes: Buffer): boolean => {
    try {
      const env = JSON.parse(bytes.toString('utf8')) as { payload?: unknown; signature?: unknown };
      if (typeof env.payload !== 'string') return false;
      const rec = checkSignatureRecord(env.signature);
      if (!verifyDocument('desired', Buffer.from(env.payload, 'utf8'), rec, pub)) return false;
      return ((JSON.parse(env.payload) as { seq?: unknown }).seq as number) > seq;
    } catch {
      return false;
    }
  };
  const onMessage = (t: string, bytes: Buffer) => {
    if (t !== topic || state.superseded || bytes.equals(payload)) return;
    if (bytes.length > 0 && supersedes(bytes)) {
      state.superseded = true;
      return;
    }
    if (state.timer) return;
    const wait = Math.max(0, state.last + 1000 - Date.now());
    state.timer = setTimeout(() => {
      state.timer = undefined;
      state.last = Date.now();
      state.restored++;
      c.publish(topic, payload, { qos: 1, retain: true });
    }, wait);
  };
  c.on('message', onMessage);
  await c.subscribeAsync(topic, { qos: 1 });
  return {
    get restored() {
      return state.restored;
    },
    stop() {
      if (state.timer) clearTimeout(state.timer);
      c.removeListener('message', onMessage);
      c.unsubscribe(topic);
    },
  };
}
