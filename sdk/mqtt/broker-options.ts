/**
 * How to reach the broker, the option group that publisher and consumer share: the broker URL, the
 * MQTT version, TLS material and the reconnect backoff, with their checks and defaults. Pure: no I/O here.
 */
import { expectInteger, expectString, invalidOption, is, rejectUnknownKeys } from '../core/validate.js';

/** Reconnect backoff: doubles from `minDelayMs` up to `maxDelayMs`, with ±20 % jitter. */
export interface ReconnectPolicy {
  minDelayMs: number;
  maxDelayMs: number;
}

/** Which MQTT version to speak: `auto` tries 5 and falls back to 3.1.1 when the broker refuses 5. */
export type ProtocolChoice = 'auto' | 5 | 4;

/** TLS material for `mqtts://` and `wss://` URLs (passed to Node's tls). */
export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
}

const URL_PROTOCOLS = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:'];

/**
 * Checks a broker URL.
 * @throws EdgeError E_INVALID_ARGUMENT naming `name`
 */
export function expectBrokerUrl(name: string, value: unknown): string {
  const text = expectString(name, value);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidOption(name, 'a broker URL such as mqtt://host:1883', value);
  }
  if (!URL_PROTOCOLS.includes(url.protocol))
    throw invalidOption(name, `a URL with scheme ${URL_PROTOCOLS.map((p) => p.slice(0, -1)).join(', ')}`, value);
  if (!url.hostname) throw invalidOption(name, 'a broker URL with a host name', value);
  return text;
}

/** Checks `protocol`. */
export function expectProtocol(name: string, value: unknown): ProtocolChoice {
  if (value === undefined) return 'auto';
  if (value === 'auto' || value === 5 || value === 4) return value;
  throw invalidOption(name, '"auto", 5 or 4', value);
}

/** Checks `reconnect` and applies its defaults. */
export function resolveReconnect(value: unknown): ReconnectPolicy {
  const reconnect = value === undefined ? {} : value;
  if (!is.object(reconnect)) throw invalidOption('options.reconnect', 'an object', reconnect);
  rejectUnknownKeys('options.reconnect', reconnect, ['minDelayMs', 'maxDelayMs']);
  const minDelayMs =
    reconnect.minDelayMs === undefined
      ? 500
      : expectInteger('options.reconnect.minDelayMs', reconnect.minDelayMs, 1, 3_600_000);
  const maxDelayMs =
    reconnect.maxDelayMs === undefined
      ? Math.max(30_000, minDelayMs)
      : expectInteger('options.reconnect.maxDelayMs', reconnect.maxDelayMs, minDelayMs, 3_600_000);
  return { minDelayMs, maxDelayMs };
}
