/**
 * One MQTT connection attempt, and the MQTT 5 → 3.1.1 negotiation. A broker that only speaks
 * 3.1.1 (aedes, older Mosquitto, some cloud gateways) answers a version-5 CONNECT with CONNACK
 * return code 1 ("unacceptable protocol version") or 0x84; `auto` then retries once with 3.1.1.
 * @internal
 */
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import { EdgeError, messageOf } from '../core/errors.js';
import { tlsFailure, type ProtocolChoice, type TlsOptions } from './broker-options.js';
import { mqttLog as log } from './log.js';

/** Everything one CONNECT needs. */
export interface ConnectSpec {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  tls?: TlsOptions;
  keepaliveSeconds: number;
  connectTimeoutMs: number;
  /** Clean start / clean session. */
  clean: boolean;
  /** MQTT 5 session expiry; for 3.1.1 only `clean` matters. */
  sessionExpirySeconds?: number;
  will?: IClientOptions['will'];
  /** 0: no automatic reconnect (the publisher runs its own). */
  reconnectPeriod: number;
}

/** A live connection. */
export interface Connected {
  client: MqttClient;
  protocolVersion: 4 | 5;
  connack: IConnackPacket;
}

const UNSUPPORTED_PROTOCOL = new Set([1, 0x84]);
const NOT_AUTHORIZED = new Set([4, 5, 0x86, 0x87]);

/** True when `err` says the broker refused the protocol version. */
export function isUnsupportedProtocol(err: unknown): boolean {
  return err instanceof EdgeError && (err as EdgeError & { refusedProtocol?: boolean }).refusedProtocol === true;
}

/** The mqtt.js options of one CONNECT with `protocolVersion`. */
function clientOptions(spec: ConnectSpec, protocolVersion: 4 | 5): IClientOptions {
  return {
    clientId: spec.clientId,
    protocolVersion,
    clean: spec.clean,
    keepalive: spec.keepaliveSeconds,
    connectTimeout: spec.connectTimeoutMs,
    reconnectPeriod: spec.reconnectPeriod,
    queueQoSZero: false,
    resubscribe: spec.reconnectPeriod > 0,
    // Pings are cheap; re-arming the ping timer on every packet sent is not (one timer per PUBLISH).
    reschedulePings: false,
    // mqtt.js formats a debug line per packet even when nobody listens; keep it only when asked for.
    ...(/mqttjs/.test(process.env.DEBUG ?? '') ? {} : { log: () => undefined }),
    ...(spec.username !== undefined ? { username: spec.username } : {}),
    ...(spec.password !== undefined ? { password: spec.password } : {}),
    ...(spec.tls ?? {}),
    ...(spec.will ? { will: protocolVersion === 5 ? spec.will : { ...spec.will, properties: undefined } } : {}),
    ...(protocolVersion === 5 && spec.sessionExpirySeconds
      ? { properties: { sessionExpiryInterval: spec.sessionExpirySeconds } }
      : {}),
  };
}

/**
 * What an mqtt.js `error` before CONNACK means: a CONNACK refusal (protocol version, credentials,
 * anything else) or an unreachable broker.
 */
function connectError(spec: ConnectSpec, protocolVersion: 4 | 5, err: Error & { code?: number | string }): EdgeError {
  const code = typeof err.code === 'number' ? err.code : undefined;
  if (code !== undefined && UNSUPPORTED_PROTOCOL.has(code)) {
    const e = new EdgeError(
      'E_MQTT_PROTOCOL',
      `broker at ${spec.url} refused MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: ${err.message}`,
      { cause: err },
    );
    return Object.assign(e, { refusedProtocol: true });
  }
  if (code !== undefined && NOT_AUTHORIZED.has(code)) {
    return new EdgeError('E_MQTT_PROTOCOL', `broker at ${spec.url} refused the connection: ${err.message}`, {
      cause: err,
      hint: 'check username, password and the broker ACL',
    });
  }
  if (code !== undefined) {
    return new EdgeError(
      'E_MQTT_PROTOCOL',
      `broker at ${spec.url} refused the connection (code ${code}): ${err.message}`,
      { cause: err },
    );
  }
  const tls = tlsFailure(err);
  if (tls)
    return new EdgeError('E_MQTT_TLS', `TLS with the broker at ${spec.url} failed: ${tls.message}`, {
      cause: err,
      hint: tls.hint,
    });
  return new EdgeError('E_MQTT_OFFLINE', `cannot reach the broker at ${spec.url}: ${messageOf(err)}`, { cause: err });
}

/**
 * Opens one connection with `protocolVersion`; resolves on CONNACK success.
 * @throws EdgeError E_MQTT_PROTOCOL (refused: protocol version, credentials, client id), E_MQTT_TLS (a
 *   client certificate refused, the broker's not trusted), E_MQTT_OFFLINE (unreachable, timeout)
 */
export function connectOnce(spec: ConnectSpec, protocolVersion: 4 | 5, signal?: AbortSignal): Promise<Connected> {
  const options = clientOptions(spec, protocolVersion);
  return new Promise((resolve, reject) => {
    let settled = false;
    const client = mqtt.connect(spec.url, options);
    const fail = (err: EdgeError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end(true);
      reject(err);
    };
    // mqtt.js's own connectTimeout covers the CONNACK wait; this also covers a stalled TCP/TLS handshake.
    const timer = setTimeout(
      () => fail(new EdgeError('E_MQTT_OFFLINE', `no CONNACK from ${spec.url} within ${spec.connectTimeoutMs} ms`)),
      spec.connectTimeoutMs + 500,
    );
    timer.unref();
    const abort = (): void => fail(new EdgeError('E_CLOSED', 'connection attempt abandoned: the owner is closing'));
    if (signal?.aborted) return abort();
    signal?.addEventListener('abort', abort, { once: true });
    client.once('connect', (connack) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      // Small PUBLISH packets go out as PUBACKs come back; Nagle would hold each one until the
      // previous segment is acknowledged at TCP level.
      const stream = client.stream as { setNoDelay?: (on: boolean) => void } | undefined;
      stream?.setNoDelay?.(true);
      log('connectOnce :: connected to %s with MQTT %d as %s', spec.url, protocolVersion, spec.clientId);
      resolve({ client, protocolVersion, connack });
    });
    client.on('error', (err: Error & { code?: number | string }) => fail(connectError(spec, protocolVersion, err)));
    client.once('close', () =>
      fail(new EdgeError('E_MQTT_OFFLINE', `the broker at ${spec.url} closed the connection before CONNACK`)),
    );
  });
}

/**
 * Connects with the version `choice` asks for; `auto` tries 5, then 3.1.1 if the broker refuses 5.
 * `spec` is called per attempt so each attempt can carry its own will (a new bdSeq).
 */
export async function connectNegotiated(
  choice: ProtocolChoice,
  spec: (protocolVersion: 4 | 5) => Promise<ConnectSpec>,
  signal?: AbortSignal,
): Promise<Connected> {
  const first: 4 | 5 = choice === 4 ? 4 : 5;
  try {
    return await connectOnce(await spec(first), first, signal);
  } catch (err) {
    if (choice !== 'auto' || !isUnsupportedProtocol(err)) throw err;
    log('connectNegotiated :: MQTT 5 refused, retrying with 3.1.1');
    return connectOnce(await spec(4), 4, signal);
  }
}
