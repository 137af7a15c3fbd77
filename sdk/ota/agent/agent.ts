/**
 * The device OTA agent: takes signed desired states (or a bundle directory), verifies them before
 * anything else, fetches only the blobs the device lacks, stages the new version beside the
 * running one, switches between two frames, checks its health and commits or rolls back. Every
 * state and transition is named ({@link TRANSITIONS}), persisted in the slot store and reported.
 *
 * Updates run one at a time; a desired state that arrives while one runs waits, and a newer one
 * replaces it.
 */
import { dirname, join } from 'node:path';
import { parseJsonBounded } from '../../core/json-limits.js';
import { readRegular } from '../../core/safe-fs.js';
import { EdgeError, messageOf } from '../../core/errors.js';
import { sha256 } from '../../package/hash.js';
import type { AgentContext, HeldSlot, ResolvedAgentOptions } from './agent-context.js';
import { runInstall } from './agent-install.js';
import { resolveAgentOptions, type OtaAgentOptions } from './agent-options.js';
import { AGENT_RECORD_FORMAT, asAgentRecord, type AgentRecord, type UpdateRequest } from './agent-record.js';
import { recover } from './agent-recovery.js';
import {
  nextState,
  type AgentReport,
  type AgentState,
  type TransitionName,
  type UpdateOutcome,
  type UpdateProgress,
} from './agent-states.js';
import { parseBundleManifest } from '../bundle/bundle-check.js';
import { BUNDLE_MANIFEST_FILE, BUNDLE_SIGNATURE_FILE } from '../bundle/bundle-manifest.js';
import { decodeDesired, type DesiredState } from '../fleet/desired-state.js';
import { checkSignatureRecord } from '../../core/signing/signature.js';
import { checkAddressed, checkFreshness } from './update-policy.js';

/**
 * The OTA agent of one device.
 * @example
 * const agent = await OtaAgent.start({ identity: { fleet: 'north', device: 'drone-7', target: 'jetson-orin-nano-8gb' }, store, host, trust });
 * agent.onReport((r) => console.log(r.state, r.transition));
 * const outcome = await agent.handleDesired(messageBytes);
 */
export class OtaAgent implements AgentContext {
  readonly o: ResolvedAgentOptions;
  record: AgentRecord;
  slots: { current?: HeldSlot; previous?: HeldSlot } = {};
  private current: AgentState = 'starting';
  private readonly listeners = new Set<(r: AgentReport) => void>();
  private chain: Promise<unknown> = Promise.resolve();
  private waiting: { cancel: (o: UpdateOutcome) => void } | undefined;
  private lastProgressAt = 0;
  private closed = false;

  private constructor(o: ResolvedAgentOptions, record: AgentRecord | undefined) {
    this.o = o;
    this.record = record ?? {
      format: AGENT_RECORD_FORMAT,
      state: 'starting',
      transition: 'none',
      at: o.now().toISOString(),
    };
  }

  /**
   * Recovers from whatever the last run left (see `agent-recovery.ts`), starts the model and
   * resumes an interrupted update in the background.
   * @throws EdgeError E_INVALID_ARGUMENT (options), E_IO (storage)
   */
  static async start(options: OtaAgentOptions): Promise<OtaAgent> {
    const o = resolveAgentOptions(options);
    const agent = new OtaAgent(o, asAgentRecord(await o.store.readRecord()));
    const resume = await recover(agent);
    if (resume) void agent.submit(() => runInstall(agent, resume));
    return agent;
  }

  /** The current state. */
  get state(): AgentState {
    return this.current;
  }

  /** What the agent would publish now. */
  report(): AgentReport {
    const r = this.record;
    return {
      fleet: this.o.identity.fleet,
      device: this.o.identity.device,
      state: this.current,
      transition: r.transition,
      at: r.at,
      ...(this.slots.current ? { current: this.slots.current.ref } : {}),
      ...(this.slots.previous ? { previous: this.slots.previous.ref } : {}),
      ...(r.target ? { target: r.target } : {}),
      ...(r.progress ? { progress: { ...r.progress } } : {}),
      ...(r.health ? { health: r.health } : {}),
      ...(r.outcome ? { outcome: r.outcome } : {}),
    };
  }

  /** Calls `listener` with every report (each transition, and download progress). Returns the unsubscribe function. */
  onReport(listener: (r: AgentReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    const r = this.report();
    for (const l of this.listeners) {
      try {
        l(r);
      } catch (err) {
        this.o.log(`report listener failed: ${messageOf(err)}`);
      }
    }
  }

  /** @internal step modules call this; see {@link AgentContext.go}. */
  async go(name: TransitionName, patch: Partial<AgentRecord> = {}): Promise<void> {
    this.current = nextState(this.current, name);
    const next: AgentRecord = {
      ...this.record,
      ...patch,
      state: this.current,
      transition: name,
      at: this.o.now().toISOString(),
    };
    for (const k of Object.keys(patch) as (keyof AgentRecord)[]) if (patch[k] === undefined) delete next[k];
    this.record = next;
    await this.o.store.writeRecord(next);
    this.o.log(`state ${this.current} (${name})`);
    this.emit();
  }

  /** @internal see {@link AgentContext.progress}. */
  progress(p: UpdateProgress): void {
    this.record = { ...this.record, progress: { ...p } };
    const now = this.o.clock.now();
    if (now - this.lastProgressAt < 200 && p.bytesDone < p.bytesNeeded) return;
    this.lastProgressAt = now;
    this.emit();
  }

  private submit(job: () => Promise<UpdateOutcome>): Promise<UpdateOutcome> {
    this.waiting?.cancel({
      result: 'unchanged',
      message: 'superseded by a newer update request',
      at: this.o.now().toISOString(),
    });
    return new Promise<UpdateOutcome>((resolveJob, rejectJob) => {
      let cancelled = false;
      const entry = {
        cancel: (out: UpdateOutcome) => {
          cancelled = true;
          resolveJob(out);
        },
      };
      this.waiting = entry;
      this.chain = this.chain.then(async () => {
        if (this.waiting === entry) this.waiting = undefined;
        if (cancelled) return;
        if (this.closed)
          return resolveJob({ result: 'unchanged', message: 'the agent was closed', at: this.o.now().toISOString() });
        try {
          resolveJob(await job());
        } catch (err) {
          rejectJob(err);
        }
      });
    });
  }

  private async refuse(err: unknown, seq?: number): Promise<UpdateOutcome> {
    const e = err instanceof EdgeError ? err : new EdgeError('E_INTERNAL', messageOf(err), { cause: err });
    const out: UpdateOutcome = {
      result: 'rejected',
      code: e.code,
      message: e.message,
      ...(seq !== undefined ? { seq } : {}),
      at: this.o.now().toISOString(),
    };
    this.o.log(`update refused: ${e.code} ${e.message}`);
    await this.go('update-requested');
    await this.go('rejected', { outcome: out });
    return out;
  }

  /**
   * Handles a desired-state message (the bytes of an MQTT payload). A message already processed
   * (a retained message delivered again) is ignored quietly; any other message ends in a
   * reported outcome.
   * @returns how it ended
   */
  handleDesired(bytes: Uint8Array): Promise<UpdateOutcome> {
    if (this.closed) return Promise.reject(new EdgeError('E_CLOSED', 'the OTA agent was closed'));
    return this.submit(async () => {
      let d: DesiredState;
      try {
        d = decodeDesired(bytes, this.o.trust, this.o.limits).desired;
        checkAddressed(d, this.o.identity);
        if (checkFreshness(d, this.record.lastSeq, this.record.lastSeqManifest, this.o.now()) === 'same') {
          return {
            result: 'unchanged',
            seq: d.seq,
            message: 'desired state already processed',
            at: this.o.now().toISOString(),
          };
        }
      } catch (err) {
        return this.refuse(err);
      }
      const request: UpdateRequest = {
        origin: 'desired',
        seq: d.seq,
        name: d.bundle.name,
        version: d.bundle.version,
        target: d.bundle.target,
        manifestSha256: d.bundle.manifestSha256,
        manifestSize: d.bundle.manifestSize,
        signature: d.bundle.signature,
        sources: d.sources,
        rollback: d.rollback === true,
      };
      return this.begin(request, { lastSeq: d.seq, lastSeqManifest: d.bundle.manifestSha256 });
    });
  }

  /**
   * Installs a signed bundle directory (removable media, a factory image). The same checks as
   * for a desired state apply, except replay (there is no seq); a lower version needs `rollback`.
   * @returns how it ended
   */
  installFromDirectory(dir: string, options: { rollback?: boolean } = {}): Promise<UpdateOutcome> {
    if (this.closed) return Promise.reject(new EdgeError('E_CLOSED', 'the OTA agent was closed'));
    return this.submit(async () => {
      let request: UpdateRequest;
      try {
        const bytes = await readBundleRegular(join(dir, BUNDLE_MANIFEST_FILE), this.o.limits.manifestBytes);
        let sig: unknown;
        try {
          sig = parseJsonBounded(
            await readBundleRegular(join(dir, BUNDLE_SIGNATURE_FILE), 4096),
            { maxBytes: 4096, maxDepth: 4, maxStringLength: 4096 },
            { what: 'signature file', syntaxCode: 'E_SIGNATURE' },
          );
        } catch (err) {
          if (err instanceof EdgeError && err.code !== 'E_FILE_NOT_FOUND') throw err;
          throw new EdgeError('E_SIGNATURE', `bundle is not signed (${BUNDLE_SIGNATURE_FILE} is missing or not JSON)`, {
            file: dir,
          });
        }
        const signature = checkSignatureRecord(sig, { file: join(dir, BUNDLE_SIGNATURE_FILE) });
        this.o.trust.verify('bundle', bytes, signature, { file: join(dir, BUNDLE_SIGNATURE_FILE) });
        const m = parseBundleManifest(bytes, join(dir, BUNDLE_MANIFEST_FILE), this.o.limits);
        request = {
          origin: 'local',
          dir,
          name: m.name,
          version: m.version,
          target: m.target,
          manifestSha256: sha256(bytes),
          manifestSize: bytes.length,
          signature,
          sources: {},
          rollback: options.rollback === true,
        };
      } catch (err) {
        return this.refuse(err);
      }
      return this.begin(request, {});
    });
  }

  private async begin(request: UpdateRequest, patch: Partial<AgentRecord>): Promise<UpdateOutcome> {
    const pointer = await this.o.store.readPointer();
    await this.go('update-requested', {
      ...patch,
      pending: {
        request,
        attempts: 1,
        ...(pointer?.previous !== undefined ? { previousBefore: pointer.previous } : {}),
      },
      target: { name: request.name, version: request.version, manifest: request.manifestSha256 },
    });
    return runInstall(this, request);
  }

  /** Resolves when no update is running or waiting. */
  async whenIdle(): Promise<void> {
    for (;;) {
      const c = this.chain;
      await c;
      if (c === this.chain) return;
    }
  }

  /** Waits for the running update to finish, then stops taking requests. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waiting?.cancel({ result: 'unchanged', message: 'the agent was closed', at: this.o.now().toISOString() });
    await this.whenIdle();
    this.listeners.clear();
  }
}

/** A regular file of a side-loaded bundle (O_NOFOLLOW, no device or FIFO), at most `maxBytes`. */
function readBundleRegular(path: string, maxBytes: number): Promise<Buffer> {
  return readRegular(path, { maxBytes, tooLargeCode: 'E_BUNDLE_INVALID', label: 'bundle file', root: dirname(path) });
}
