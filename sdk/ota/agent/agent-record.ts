/**
 * What the agent persists in the slot store at every transition, and the update request it
 * works on. After a power cut the record says where the agent was; the pointer says which model
 * is safe to start.
 */
import type {
  AgentReport,
  AgentState,
  BundleRef,
  TransitionName,
  UpdateOutcome,
  UpdateProgress,
} from './agent-states.js';
import type { BlobSources } from '../fleet/desired-state.js';
import type { SignatureRecord } from '../../core/signing/signature.js';

/** Format tag of the persisted record. */
export const AGENT_RECORD_FORMAT = 'ringmoe-edge/ota-agent';

/** One update to perform, from a desired state or a local bundle directory. */
export interface UpdateRequest {
  origin: 'desired' | 'local';
  /** Desired-state seq (origin `desired`). */
  seq?: number;
  /** Bundle directory (origin `local`). */
  dir?: string;
  name: string;
  version: string;
  target: string;
  manifestSha256: string;
  manifestSize: number;
  signature: SignatureRecord;
  sources: BlobSources;
  /** Signed permission to go to a lower version. */
  rollback: boolean;
}

/** The persisted record. */
export interface AgentRecord {
  format: typeof AGENT_RECORD_FORMAT;
  state: AgentState;
  transition: TransitionName | 'none';
  at: string;
  /** Highest desired-state seq processed (accepted, rejected or installed). */
  lastSeq?: number;
  /** Manifest named by that seq. */
  lastSeqManifest?: string;
  /** The update in progress. */
  pending?: {
    request: UpdateRequest;
    /** Installs of this request started (a request that keeps dying is given up). */
    attempts: number;
    /** The pointer's previous slot before the update, restored by a rollback. */
    previousBefore?: string;
  };
  target?: BundleRef;
  progress?: UpdateProgress;
  /** The last health check. */
  health?: AgentReport['health'];
  outcome?: UpdateOutcome;
}

/** Reads a record value back, or undefined when absent or of another format. */
export function asAgentRecord(value: unknown): AgentRecord | undefined {
  const r = value as Partial<AgentRecord> | undefined;
  return r && typeof r === 'object' && r.format === AGENT_RECORD_FORMAT && typeof r.state === 'string'
    ? (r as AgentRecord)
    : undefined;
}
