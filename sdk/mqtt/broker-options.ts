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

/**
 * How a client proves who it is to the broker and checks who the broker is: user name and password,
 * and the TLS material (fleet CA, client certificate and key). Commands resolve it once from their
 * flags and hand it to whatever connects (publisher, consumer, fleet watcher, bundle publisher).
 */
export interface BrokerAuth {
  username?: string;
  password?: string;
  tls?: TlsOptions;
}

/** The mqtt.js connect options that carry `auth` (empty when there is nothing to carry). */
export function brokerAuthOptions(auth: BrokerAuth | undefined): {
  username?: string;
  password?: string;
} & TlsOptions {
  if (!auth) return {};
  return {
    ...(auth.username !== undefined ? { username: auth.username } : {}),
    ...(auth.password !== undefined ? { password: auth.password } : {}),
    ...(auth.tls ?? {}),
  };
}

/** Node's codes for a peer certificate it does not accept (OpenSSL verify results). */
const CERT_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * What a socket error says about the TLS handshake, or undefined when it is not a TLS failure:
 * the broker refused our client certificate (none, or one of another CA), or we refused the
 * broker's. Pure: it reads the error's code only.
 * @example
 * tlsFailure(Object.assign(new Error('alert'), { code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' }))
 * // → 'the broker refused the client certificate (unknown CA)'
 */
export function tlsFailure(err: unknown): { message: string; hint: string } | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (CERT_VERIFY_CODES.has(code))
    return {
      message: `the broker's certificate is not trusted (${code})`,
      hint: "give the CA that signed the broker's certificate (tls.ca; CLI --broker-ca) and a URL whose host it names",
    };
  const alert = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(.+)$/.exec(code);
  if (alert) {
    const what = alert[1]!.toLowerCase().replace(/_/g, ' ');
    return {
      message: `the broker refused the TLS handshake (${what}): it wants a client certificate of its CA`,
      hint: "give a client certificate and key signed by the broker's CA (tls.cert, tls.key; CLI --broker-cert, --broker-key)",
    };
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))
    return {
      message: `TLS failed (${code})`,
      hint: 'check the URL scheme and the TLS options (CLI --broker-ca, --broker-cert, --broker-key)',
    };
  return undefined;
}
