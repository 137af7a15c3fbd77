/**
 * Waiting for an mqtt.js client's first connection: resolves on `connect`, fails fast on a
 * refused connection or an error, or after a timeout.
 */
import type { MqttClient } from 'mqtt';
import { EdgeError, messageOf } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import { otaClock } from '../timing.js';
import { tlsFailure } from '../../mqtt/broker-options.js';

/**
 * Resolves when `client` is connected.
 * @param clock what the timeout runs on (default: the system time)
 * @throws EdgeError E_MQTT_OFFLINE naming the broker and the reason; E_MQTT_TLS when the TLS
 *   handshake failed (a client certificate refused or missing, the broker's certificate not trusted);
 *   E_MQTT_PROTOCOL when the broker answered CONNECT with a refusal (credentials, ACL)
 */
export function waitConnected(
  client: MqttClient,
  url: string,
  timeoutMs: number,
  field = 'url',
  clock: Clock = otaClock,
): Promise<void> {
  if (client.connected) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = (err?: unknown) => {
      clock.clearTimeout(timer);
      client.removeListener('connect', onConnect);
      client.removeListener('error', onError);
      const tls = tlsFailure(err);
      if (err === undefined) resolve();
      else if (tls)
        reject(
          new EdgeError('E_MQTT_TLS', `TLS with the broker ${url} failed: ${tls.message}`, {
            field,
            hint: tls.hint,
            cause: err,
          }),
        );
      else if (typeof (err as { code?: unknown }).code === 'number')
        // A CONNACK refusal: bad user name or password, not authorised, client id refused.
        reject(
          new EdgeError('E_MQTT_PROTOCOL', `the broker ${url} refused the connection: ${messageOf(err)}`, {
            field,
            hint: 'check the user name, password and the broker ACL',
            cause: err,
          }),
        );
      else
        reject(
          new EdgeError('E_MQTT_OFFLINE', `cannot reach the broker ${url}: ${messageOf(err)}`, {
            field,
            ...(err instanceof Error ? { cause: err } : {}),
          }),
        );
    };
    const onConnect = () => done();
    const onError = (err: Error) => done(err);
    const timer = clock.setTimeout(() => done(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    client.once('connect', onConnect);
    client.once('error', onError);
  });
}
