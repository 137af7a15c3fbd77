/**
 * What the agent's step modules (install, rollback, recovery) share: resolved options, the
 * persisted record, the slots the host holds, and the one way to change state.
 */
import type { Clock } from '../../core/clock.js';
import type { AgentRecord } from './agent-record.js';
import type { BundleRef, TransitionName, UpdateProgress } from './agent-states.js';
import type { BlobSource, FetchPolicy } from '../sources/blob-source.js';
import type { HttpBlobSourceOptions } from '../sources/blob-source-http.js';
import type { BundleLimits } from '../bundle/bundle-manifest.js';
import type { HealthCheckOptions, HostedModel, ModelHost } from '../hosts/model-host.js';
import type { SlotStore } from '../slots/slot-store.js';
import type { TrustStore } from '../../core/signing/trust-store.js';
import type { DeviceIdentity } from './update-policy.js';
import type { UpdateRequest } from './agent-record.js';

/** Options of the agent with every default applied. */
export interface ResolvedAgentOptions {
  identity: DeviceIdentity;
  store: SlotStore;
  host: ModelHost;
  trust: TrustStore;
  limits: BundleLimits;
  sdkVersion: string;
  health: HealthCheckOptions;
  warmUpFrames: number;
  fetch: Pick<FetchPolicy, 'retries' | 'retryDelayMs' | 'clock'>;
  http: HttpBlobSourceOptions;
  extraSources: (request: UpdateRequest) => Promise<BlobSource[]>;
  verifyOnStart: boolean;
  maxAttempts: number;
  clock: Clock;
  now: () => Date;
  log: (line: string) => void;
}

/** A slot the host has loaded (or that could not be loaded). */
export interface HeldSlot {
  ref: BundleRef;
  model?: HostedModel;
}

/** The agent as its step modules see it. */
export interface AgentContext {
  readonly o: ResolvedAgentOptions;
  readonly record: AgentRecord;
  /** What the host serves now and what it could go back to. */
  slots: { current?: HeldSlot; previous?: HeldSlot };
  /** Takes a transition, persists the record (with `patch`) and reports. @throws EdgeError E_INTERNAL for an illegal transition */
  go(name: TransitionName, patch?: Partial<AgentRecord>): Promise<void>;
  /** Updates download progress (reported at most a few times a second). */
  progress(p: UpdateProgress): void;
}
