/**
 * The OTA agent's options: what a device passes to {@link OtaAgent.start}, checked at the edge and
 * completed with every default ({@link ResolvedAgentOptions}).
 */
import { debuglog } from 'node:util';
import { is, invalidOption, rejectUnknownKeys } from '../../core/validate.js';
import { VERSION } from '../../core/version.js';
import type { Clock } from '../../core/clock.js';
import type { ResolvedAgentOptions } from './agent-context.js';
import type { UpdateRequest } from './agent-record.js';
import type { BlobSource, FetchPolicy } from '../sources/blob-source.js';
import type { HttpBlobSourceOptions } from '../sources/blob-source-http.js';
import { DEFAULT_BUNDLE_LIMITS, type BundleLimits } from '../bundle/bundle-manifest.js';
import type { HealthCheckOptions, ModelHost } from '../hosts/model-host.js';
import type { SlotStore } from '../slots/slot-store.js';
import type { TrustStore } from '../../core/signing/trust-store.js';
import { otaClock } from '../timing.js';
import type { DeviceIdentity } from './update-policy.js';

const debug = debuglog('ringmoe-ota');

/** Options of {@link OtaAgent.start}. */
export interface OtaAgentOptions {
  /** Fleet, device id and target of this device. */
  identity: DeviceIdentity;
  store: SlotStore;
  /** What runs the model (the runtime pipeline, or {@link OrtModelHost}). */
  host: ModelHost;
  /** Keys trusted for bundles and desired states. */
  trust: TrustStore;
  /** Health check after a switch (frames per entry, latency budget). */
  health?: HealthCheckOptions;
  /** Warm-up frames per entry before a switch (default 2). */
  warmUpFrames?: number;
  /** Size limits; `totalBytes` is usually set to what the device can store. */
  limits?: Partial<BundleLimits>;
  /** SDK version bundles are checked against (default this SDK's). */
  sdkVersion?: string;
  /** Retry policy of blob downloads. */
  fetch?: Pick<FetchPolicy, 'retries' | 'retryDelayMs'>;
  /** HTTP(S) client options (idle timeout, CA certificates for HTTPS blob servers). */
  http?: HttpBlobSourceOptions;
  /** Sources tried after the HTTP servers a desired state names (e.g. MQTT chunks). */
  extraSources?: (request: UpdateRequest) => Promise<BlobSource[]>;
  /** Hash every file of the starting version at start (default true). */
  verifyOnStart?: boolean;
  /** Interrupted installs of one update before it is given up (default 3). */
  maxAttempts?: number;
  /** Time of the agent: timestamps, the progress report rate, fetch retry backoff (default: the system time). */
  clock?: Clock;
  /** Timestamps of records and outcomes (default: the clock's time). */
  now?: () => Date;
  /** Log lines (default: `NODE_DEBUG=ringmoe-ota`). */
  log?: (line: string) => void;
}

const KNOWN = [
  'identity',
  'store',
  'host',
  'trust',
  'health',
  'warmUpFrames',
  'limits',
  'sdkVersion',
  'fetch',
  'http',
  'extraSources',
  'verifyOnStart',
  'maxAttempts',
  'clock',
  'now',
  'log',
];

/**
 * Checks `o` and applies the defaults.
 * @throws EdgeError E_INVALID_ARGUMENT naming the option
 */
export function resolveAgentOptions(o: OtaAgentOptions): ResolvedAgentOptions {
  if (!is.object(o as unknown)) throw invalidOption('options', 'an object', o);
  rejectUnknownKeys('options', o as unknown as Record<string, unknown>, KNOWN);
  const id = o.identity as Partial<DeviceIdentity> | undefined;
  if (!id || !is.nonEmptyString(id.fleet) || !is.nonEmptyString(id.device) || !is.nonEmptyString(id.target)) {
    throw invalidOption('options.identity', 'an object {fleet, device, target}', o.identity);
  }
  for (const k of ['store', 'host', 'trust'] as const)
    if (!is.object(o[k] as unknown)) throw invalidOption(`options.${k}`, `a ${k}`, o[k]);
  const warmUpFrames = o.warmUpFrames ?? 2;
  if (!Number.isInteger(warmUpFrames) || warmUpFrames < 1)
    throw invalidOption('options.warmUpFrames', 'an integer >= 1', warmUpFrames);
  const maxAttempts = o.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw invalidOption('options.maxAttempts', 'an integer >= 1', maxAttempts);
  const clock = o.clock ?? otaClock;
  if (
    !is.object(clock as unknown) ||
    typeof clock.now !== 'function' ||
    typeof clock.setTimeout !== 'function' ||
    typeof clock.clearTimeout !== 'function'
  ) {
    throw invalidOption('options.clock', 'a Clock {now, setTimeout, clearTimeout}', o.clock);
  }
  return {
    identity: o.identity,
    store: o.store,
    host: o.host,
    trust: o.trust,
    limits: { ...DEFAULT_BUNDLE_LIMITS, ...(o.limits ?? {}) },
    sdkVersion: o.sdkVersion ?? VERSION,
    health: o.health ?? {},
    warmUpFrames,
    fetch: { ...(o.fetch ?? {}), clock },
    http: o.http ?? {},
    extraSources: o.extraSources ?? (async () => []),
    verifyOnStart: o.verifyOnStart ?? true,
    maxAttempts,
    clock,
    now: o.now ?? (() => new Date(clock.now())),
    log: o.log ?? ((line) => debug(line)),
  };
}
