/**
 * Waiting for an mqtt.js client's first connection: resolves on `connect`, fails fast on a
 * refused connection or an error, or after a timeout.
 */
import type { MqttClient } from 'mqtt';
import { EdgeError, messageOf } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import { otaClock } from '../timing.js';

/**
 * Resolves when `client` is connected.
 * @param clock what the timeout runs on (default: the system time)
 * @throws EdgeError E_MQTT_OFFLINE naming the broker and the reason
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
      if (err === undefined) resolve();
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
