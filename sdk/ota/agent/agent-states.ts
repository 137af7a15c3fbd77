/**
 * The OTA agent's state machine: every state and transition has a name, every transition is
 * listed with the states it may leave, and the agent refuses (E_INTERNAL) any other. The current
 * state is persisted in the slot store at each transition and published on the device's OTA
 * state topic.
 *
 * ```
 * starting ──started──▶ idle ──update-requested──▶ verifying ──manifest-verified──▶ downloading
 *    │  └─resumed──▶ verifying          ▲   ▲            │ unchanged / rejected          │ blobs-fetched
 *    └─interrupted-rollback─▶ rolling-back  │            ▼                               ▼
 *                               │ rolled-back  idle ◀── rejected ── loading ◀──staged── staging
 *                               ▼                        │ loaded
 *                              idle ◀─committed─ committing ◀─healthy─ health-check ◀─switched─ switching
 *                                                           └─unhealthy─▶ rolling-back
 * ```
 */
import { EdgeError } from '../../core/errors.js';
import type { HealthReport } from '../hosts/model-host.js';

/** Every state of the agent. */
export const AGENT_STATES = [
  'starting',
  'idle',
  'verifying',
  'downloading',
  'staging',
  'loading',
  'switching',
  'health-check',
  'committing',
  'rolling-back',
] as const;
/** One of {@link AGENT_STATES}. */
export type AgentState = (typeof AGENT_STATES)[number];

/** Every transition: the states it may leave and the state it enters. */
export const TRANSITIONS = {
  started: { from: ['starting'], to: 'idle' },
  resumed: { from: ['starting'], to: 'verifying' },
  'interrupted-rollback': { from: ['starting'], to: 'rolling-back' },
  'update-requested': { from: ['idle'], to: 'verifying' },
  unchanged: { from: ['verifying'], to: 'idle' },
  'manifest-verified': { from: ['verifying'], to: 'downloading' },
  'blobs-fetched': { from: ['downloading'], to: 'staging' },
  staged: { from: ['staging'], to: 'loading' },
  loaded: { from: ['loading'], to: 'switching' },
  switched: { from: ['switching'], to: 'health-check' },
  'switch-failed': { from: ['switching'], to: 'rolling-back' },
  healthy: { from: ['health-check'], to: 'committing' },
  unhealthy: { from: ['health-check'], to: 'rolling-back' },
  committed: { from: ['committing'], to: 'idle' },
  'rolled-back': { from: ['rolling-back'], to: 'idle' },
  rejected: { from: ['verifying', 'downloading', 'staging', 'loading', 'switching'], to: 'idle' },
} as const satisfies Record<string, { from: readonly AgentState[]; to: AgentState }>;
/** A transition name. */
export type TransitionName = keyof typeof TRANSITIONS;

/**
 * The state `name` leads to from `from`.
 * @throws EdgeError E_INTERNAL when the transition may not leave `from`
 */
export function nextState(from: AgentState, name: TransitionName): AgentState {
  const t = TRANSITIONS[name];
  if (!(t.from as readonly AgentState[]).includes(from)) {
    throw new EdgeError(
      'E_INTERNAL',
      `OTA agent: transition ${name} cannot leave state ${from} (allowed from ${t.from.join(', ')})`,
    );
  }
  return t.to;
}

/** A bundle as reports name it. */
export interface BundleRef {
  name: string;
  version: string;
  /** Bundle manifest sha256 (also the slot id). */
  manifest: string;
}

/** How an update ended. */
export interface UpdateOutcome {
  result: 'installed' | 'rolled-back' | 'rejected' | 'unchanged';
  bundle?: BundleRef;
  /** Error code for `rolled-back` and `rejected`. */
  code?: string;
  message?: string;
  /** Desired-state seq it answered, if any. */
  seq?: number;
  /** What the update had to fetch: the delta against the blobs the device held. */
  transfer?: { blobs: number; bytes: number; bundleBytes: number };
  at: string;
}

/** Download progress of an update. */
export interface UpdateProgress {
  blobsTotal: number;
  bytesTotal: number;
  /** What the device lacked: the delta it fetches. */
  blobsNeeded: number;
  bytesNeeded: number;
  bytesDone: number;
}

/** What the agent publishes on its state topic (retained) and emits as `state`. */
export interface AgentReport {
  fleet: string;
  device: string;
  state: AgentState;
  /** The transition that led here. */
  transition: TransitionName | 'none';
  at: string;
  current?: BundleRef;
  previous?: BundleRef;
  /** The bundle being installed. */
  target?: BundleRef;
  progress?: UpdateProgress;
  health?: Pick<HealthReport, 'ok' | 'frames' | 'passed' | 'medianMs' | 'maxMs' | 'latencyBudgetMs' | 'failures'>;
  /** The last finished update. */
  outcome?: UpdateOutcome;
}
