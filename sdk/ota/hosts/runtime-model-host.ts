/**
 * {@link ModelHost} on the runtime SDK's frame pipeline: the OTA agent loads a new version beside
 * the one the {@link Runtime} serves, warms it up, and activates it between two frames (frames
 * already in preprocessing finish on the old model). Health checks run probe frames through the
 * new model's sessions and count the pipeline's inference failures since the switch. The old
 * model is freed only after every frame admitted before the switch has left the pipeline.
 *
 * Create the runtime on the package of the slot the device starts with
 * (`store.slotPackageDir(pointer.current)`); the host adopts that model as the running one.
 */
import { resolve } from 'node:path';
import { EdgeError } from '../../core/errors.js';
import { healthSettings, median, runHealthCheck } from './health-check.js';
import { is, invalidOption } from '../../core/validate.js';
import type { Clock } from '../../core/clock.js';
import type { LoadedModel } from '../../pipeline/loaded-model.js';
import type { Runtime } from '../../runtime/runtime.js';
import type {
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
import { otaClock, sleep } from '../timing.js';

interface Held extends HostedModel {
  model: LoadedModel;
  failures: HealthFailure[];
}

/**
 * The runtime as a model host.
 * @example
 * const runtime = await createRuntime({ package: store.slotPackageDir(pointer.current), backend: 'auto' });
 * const agent = await OtaAgent.start({ ..., host: new RuntimeModelHost(runtime, { entries: ['optical'] }) });
 */
export class RuntimeModelHost implements ModelHost {
  private readonly held = new Map<string, Held>();
  private current: Held | undefined;
  /** Frames the runtime had received when the current model was activated. */
  private receivedAtSwitch = 0;
  private readonly onError: (f: { stage: string; error: { code: string; message: string } }) => void;
  private closed = false;

  /**
   * @param options.entries entries the health check runs (default: the model's single-modality entries)
   * @param options.drainTimeoutMs longest wait for frames of a model being freed (default 30000)
   * @param options.clock what that wait runs on (default: the system time)
   */
  constructor(
    private readonly runtime: Runtime,
    private readonly options: { entries?: string[]; drainTimeoutMs?: number; clock?: Clock } = {},
  ) {
    if (!runtime || typeof runtime.loadModel !== 'function')
      throw invalidOption('runtime', 'a Runtime from createRuntime', runtime);
    this.onError = (f) => {
      if (f.stage === 'inference' && this.current)
        this.current.failures.push({
          entry: '*',
          code: f.error.code,
          reason: `a live frame failed: ${f.error.message}`,
        });
    };
    runtime.on('error', this.onError);
  }

  get active(): HostedModel | undefined {
    return this.current;
  }

  private entriesOf(model: LoadedModel): string[] {
    const all = model.pkg.manifest.entries;
    const wanted =
      this.options.entries ?? all.filter((e) => e.kind === 'modality' || e.kind === 'imported').map((e) => e.name);
    return all.filter((e) => wanted.includes(e.name)).map((e) => e.name);
  }

  private wrap(id: string, model: LoadedModel, label?: string): Held {
    const h: Held = {
      id,
      label: label ?? `${model.name}@${model.version}`,
      entries: this.entriesOf(model),
      model,
      failures: [],
    };
    this.held.set(id, h);
    return h;
  }

  async load(source: ModelSource): Promise<HostedModel> {
    if (this.closed) throw new EdgeError('E_CLOSED', 'model host was closed');
    if (!source || !is.nonEmptyString(source.id)) throw invalidOption('source.id', 'a model id', source?.id);
    if (!is.nonEmptyString(source.dir)) throw invalidOption('source.dir', 'a package directory', source.dir);
    const existing = this.held.get(source.id);
    if (existing) return existing;
    const serving = this.runtime.activeModel;
    if (!this.current && resolve(serving.pkg.dir) === resolve(source.dir)) {
      // The model the runtime was created with: adopt it instead of loading it twice.
      return this.wrap(source.id, serving, source.label);
    }
    return this.wrap(source.id, await this.runtime.loadModel(source.dir), source.label);
  }

  private get(m: HostedModel): Held {
    const h = this.held.get(m.id);
    if (!h)
      throw new EdgeError('E_INVALID_ARGUMENT', `model ${m.label} is not loaded in this host`, { field: 'model' });
    return h;
  }

  async warmUp(m: HostedModel, framesPerEntry = 2): Promise<WarmUpReport> {
    const h = this.get(m);
    await h.model.warmup();
    const medianMs: Record<string, number> = {};
    let frames = 0;
    for (const entry of h.entries) {
      const times: number[] = [];
      for (let i = 0; i < framesPerEntry; i++) {
        const t0 = performance.now();
        await h.model.run(entry, probeFeeds(h.model.pkg.entry(entry), i + 1));
        times.push(performance.now() - t0);
        frames++;
      }
      medianMs[entry] = median(times.slice(1).length ? times.slice(1) : times);
    }
    return { frames, medianMs };
  }

  async activate(m: HostedModel): Promise<SwitchReport> {
    const h = this.get(m);
    const from = this.current?.id;
    const framesBefore = this.runtime.metrics().frames.received;
    if (this.runtime.activeModel !== h.model) this.runtime.activate(h.model, false);
    this.current = h;
    h.failures = [];
    this.receivedAtSwitch = framesBefore;
    return { ...(from !== undefined ? { from } : {}), to: h.id, framesBefore };
  }

  async healthCheck(options: HealthCheckOptions = {}): Promise<HealthReport> {
    const settings = healthSettings(options);
    const h = this.current;
    if (!h) throw new EdgeError('E_INVALID_ARGUMENT', 'no model is active to check');
    const entries = options.entries ? h.entries.filter((e) => options.entries!.includes(e)) : h.entries;
    return runHealthCheck(
      h.id,
      entries,
      settings,
      async (entry, i) => {
        const t0 = performance.now();
        const outputs = await h.model.run(entry, probeFeeds(h.model.pkg.entry(entry), 100 + i));
        return { ms: performance.now() - t0, problem: () => outputProblem(h.model.pkg.entry(entry), outputs) };
      },
      h.failures,
    );
  }

  async unload(m: HostedModel): Promise<void> {
    const h = this.held.get(m.id);
    if (!h) return;
    if (this.current === h || this.runtime.activeModel === h.model)
      throw new EdgeError('E_INVALID_ARGUMENT', `model ${h.label} is serving frames; activate another first`, {
        field: 'model',
      });
    this.held.delete(m.id);
    // Frames admitted before the last switch may still be on this model: let them leave first.
    const clock = this.options.clock ?? otaClock;
    const deadline = clock.now() + (this.options.drainTimeoutMs ?? 30_000);
    for (;;) {
      const f = this.runtime.metrics().frames;
      if (f.completed + f.failed + f.dropped >= this.receivedAtSwitch || clock.now() > deadline) break;
      await sleep(clock, 5);
    }
    await h.model.dispose();
  }

  /** Frees the models this host loaded besides the serving one (the runtime owns and closes that one). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.runtime.off('error', this.onError);
    for (const h of this.held.values())
      if (h.model !== this.runtime.activeModel) await h.model.dispose().catch(() => {});
    this.held.clear();
    this.current = undefined;
  }
}
