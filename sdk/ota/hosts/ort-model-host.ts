/**
 * {@link ModelHost} on onnxruntime: one session per entry per loaded model, frames served one at
 * a time in call order. Because frames, probes and switches go through one queue, a switch takes
 * effect exactly between two frames: every frame submitted before `activate` runs on the old
 * model, every frame after on the new one.
 */
import { EdgeError, messageOf } from '../../core/errors.js';
import type { EntryManifest } from '../../package/package-manifest.js';
import { healthSettings, median, runHealthCheck } from './health-check.js';
import { is, invalidOption } from '../../core/validate.js';
import { openPackage, type ModelPackage } from '../../package/open-package.js';
import type { Backend, BackendSession } from '../../core/backend.js';
import { OrtBackend } from '../../runtime/backends/ort.js';
import type {
  ModelFrame,
  ModelFrameResult,
  HealthCheckOptions,
  HealthFailure,
  HealthReport,
  HostedModel,
  ModelHost,
  ModelSource,
  SwitchReport,
  WarmUpReport,
} from './model-host.js';
import { outputProblem } from './output-check.js';
import { probeFeeds } from './probe-frames.js';

/** Options of {@link OrtModelHost.create}. */
export interface OrtModelHostOptions {
  /** Backend to run on (default onnxruntime CPU). */
  backend?: Backend;
  /** Entries to load from each package (default all). */
  entries?: string[];
  /** Entries every model must have; a package without one is refused at load (E_TARGET_MISMATCH). */
  requiredEntries?: string[];
  /** Intra-op threads per session. */
  threads?: number;
  /** How `load` re-checks the package (default `size`: the slot store already verified hashes). */
  verify?: 'full' | 'size' | 'none';
}

interface Model extends HostedModel {
  pkg: ModelPackage;
  sessions: Map<string, BackendSession>;
  /** Live frames that failed on this model while it was active. */
  failures: HealthFailure[];
  disposed: boolean;
}

/**
 * Serves frames from model packages on onnxruntime.
 * @example
 * const host = await OrtModelHost.create({ entries: ['optical'] });
 * const v1 = await host.load({ id: slotId, dir: store.slotPackageDir(slotId) });
 * await host.activate(v1);
 * const result = await host.process({ seq: 0, entry: 'optical', feeds });
 */
export class OrtModelHost implements ModelHost {
  private readonly models = new Map<string, Model>();
  private current: Model | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private served = 0;
  private closed = false;

  private constructor(
    private readonly backend: Backend,
    private readonly o: OrtModelHostOptions,
  ) {}

  /**
   * @throws EdgeError E_INVALID_ARGUMENT for bad options
   */
  static async create(options: OrtModelHostOptions = {}): Promise<OrtModelHost> {
    if (!is.object(options as unknown)) throw invalidOption('options', 'an object', options);
    for (const k of ['entries', 'requiredEntries'] as const) {
      const v = options[k];
      if (v !== undefined && (!Array.isArray(v) || !v.every(is.nonEmptyString)))
        throw invalidOption(`options.${k}`, 'a list of entry names', v);
    }
    return new OrtModelHost(options.backend ?? new OrtBackend(), options);
  }

  get active(): HostedModel | undefined {
    return this.current;
  }

  /**
   * The package entry `name` of the active model (its inputs and outputs), or undefined when no
   * model is active or it has no such entry.
   */
  activeEntry(name: string): EntryManifest | undefined {
    const m = this.current;
    return m && m.entries.includes(name) ? m.pkg.entry(name) : undefined;
  }

  /** Frames served so far, by any model. */
  get framesServed(): number {
    return this.served;
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => {});
    return p;
  }

  private model(m: HostedModel): Model {
    const found = this.models.get(m.id);
    if (!found || found.disposed)
      throw new EdgeError('E_INVALID_ARGUMENT', `model ${m.label} is not loaded in this host`, { field: 'model' });
    return found;
  }

  async load(source: ModelSource): Promise<HostedModel> {
    if (this.closed) throw new EdgeError('E_CLOSED', 'model host was closed');
    if (!source || !is.nonEmptyString(source.id)) throw invalidOption('source.id', 'a model id', source?.id);
    if (!is.nonEmptyString(source.dir))
      throw invalidOption('source.dir', 'a package directory (this host loads from disk)', source.dir);
    const existing = this.models.get(source.id);
    if (existing && !existing.disposed) return existing;
    const pkg = await openPackage(source.dir, { verify: this.o.verify ?? 'size' });
    const names = pkg.manifest.entries.map((e) => e.name);
    for (const req of this.o.requiredEntries ?? []) {
      if (!names.includes(req))
        throw new EdgeError(
          'E_TARGET_MISMATCH',
          `package ${pkg.manifest.name} has no entry ${req}, which this device serves (it has ${names.join(', ')})`,
          { file: source.dir },
        );
    }
    const wanted = this.o.entries ? names.filter((n) => this.o.entries!.includes(n)) : names;
    if (!wanted.length)
      throw new EdgeError(
        'E_TARGET_MISMATCH',
        `package ${pkg.manifest.name} has none of the entries this host serves (${this.o.entries!.join(', ')})`,
        { file: source.dir },
      );
    const sessions = new Map<string, BackendSession>();
    try {
      for (const name of wanted) {
        sessions.set(
          name,
          await this.backend.load({
            graphPath: pkg.path(pkg.entry(name).graph),
            ...(this.o.threads !== undefined ? { threads: this.o.threads } : {}),
          }),
        );
      }
    } catch (err) {
      for (const s of sessions.values()) await s.dispose().catch(() => {});
      throw err;
    }
    const model: Model = {
      id: source.id,
      label: source.label ?? `${pkg.manifest.name}#${source.id.slice(0, 12)}`,
      entries: wanted,
      pkg,
      sessions,
      failures: [],
      disposed: false,
    };
    this.models.set(source.id, model);
    return model;
  }

  private async runOn(m: Model, frame: ModelFrame): Promise<ModelFrameResult> {
    const session = m.sessions.get(frame.entry);
    if (!session)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `model ${m.label} has no entry ${JSON.stringify(frame.entry)}; it serves ${m.entries.join(', ')}`,
        { field: 'frame.entry' },
      );
    const t0 = performance.now();
    const outputs = await session.run(frame.feeds);
    return { seq: frame.seq, entry: frame.entry, model: m.id, outputs, latencyMs: performance.now() - t0 };
  }

  /**
   * Serves one frame on the model active when its turn comes.
   * @throws EdgeError E_INVALID_ARGUMENT (bad frame, unknown entry), E_INFERENCE, E_CLOSED
   */
  process(frame: ModelFrame): Promise<ModelFrameResult> {
    if (!frame || !Number.isSafeInteger(frame.seq) || !is.nonEmptyString(frame.entry) || !is.object(frame.feeds)) {
      return Promise.reject(invalidOption('frame', 'an object {seq: integer, entry: string, feeds: object}', frame));
    }
    return this.enqueue(async () => {
      if (this.closed) throw new EdgeError('E_CLOSED', 'model host was closed');
      const m = this.current;
      if (!m) throw new EdgeError('E_INFERENCE', 'no model is active yet');
      this.served++;
      try {
        return await this.runOn(m, frame);
      } catch (err) {
        m.failures.push({ entry: frame.entry, code: (err as EdgeError).code ?? 'E_INFERENCE', reason: messageOf(err) });
        throw err;
      }
    });
  }

  async warmUp(model: HostedModel, framesPerEntry = 2): Promise<WarmUpReport> {
    const m = this.model(model);
    const medianMs: Record<string, number> = {};
    let frames = 0;
    for (const name of m.entries) {
      const times: number[] = [];
      for (let i = 0; i < framesPerEntry; i++) {
        // Through the queue: warm-up shares the device with the live stream instead of racing it.
        const r = await this.enqueue(() =>
          this.runOn(m, { seq: -1 - i, entry: name, feeds: probeFeeds(m.pkg.entry(name), i + 1) }),
        );
        if (i > 0 || framesPerEntry === 1) times.push(r.latencyMs);
        frames++;
      }
      medianMs[name] = median(times);
    }
    return { frames, medianMs };
  }

  activate(model: HostedModel): Promise<SwitchReport> {
    const m = this.model(model);
    return this.enqueue(async () => {
      const from = this.current?.id;
      this.current = m;
      m.failures = [];
      return { ...(from !== undefined ? { from } : {}), to: m.id, framesBefore: this.served };
    });
  }

  async healthCheck(options: HealthCheckOptions = {}): Promise<HealthReport> {
    const settings = healthSettings(options);
    const m = this.current;
    if (!m) throw new EdgeError('E_INVALID_ARGUMENT', 'no model is active to check');
    const entries = options.entries ? m.entries.filter((e) => options.entries!.includes(e)) : [...m.entries];
    return runHealthCheck(
      m.id,
      entries,
      settings,
      (name, i) =>
        this.enqueue(async () => {
          const r = await this.runOn(m, { seq: -1000 - i, entry: name, feeds: probeFeeds(m.pkg.entry(name), 100 + i) });
          return { ms: r.latencyMs, problem: () => outputProblem(m.pkg.entry(name), r.outputs) };
        }),
      // Live frames that failed on this model since it became active count against it too.
      m.failures,
    );
  }

  async unload(model: HostedModel): Promise<void> {
    const m = this.models.get(model.id);
    if (!m || m.disposed) return;
    if (this.current === m)
      throw new EdgeError('E_INVALID_ARGUMENT', `model ${m.label} is serving frames; activate another first`, {
        field: 'model',
      });
    m.disposed = true;
    this.models.delete(m.id);
    await this.enqueue(async () => {
      for (const s of m.sessions.values()) await s.dispose();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.models.values()];
    this.models.clear();
    this.current = undefined;
    await this.queue;
    for (const m of all) {
      m.disposed = true;
      for (const s of m.sessions.values()) await s.dispose().catch(() => {});
    }
  }
}
