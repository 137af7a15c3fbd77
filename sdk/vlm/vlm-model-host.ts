/**
 * The OTA agent's model host for RS-MoE packages: loads a new version beside the running one,
 * warms it up, switches between two requests, health-checks it with probe captions and questions,
 * switches back, unloads — the {@link ModelHost} contract the agent drives, so an RS-MoE package
 * is updated over the air like any other.
 *
 * Probe frames are deterministic synthetic RGB rasters (no files needed on the device). A probe
 * passes when every expert's output is finite (no NaN/Inf log-probabilities), the fused result is
 * produced, and the request stays within the latency budget.
 */
import { EdgeError, messageOf } from '../core/errors.js';
import { healthSettings, median, runHealthCheck } from '../ota/hosts/health-check.js';
import { invalidOption, is } from '../core/validate.js';
import type {
  HealthCheckOptions,
  HealthFailure,
  HealthReport,
  HostedModel,
  ModelHost,
  ModelSource,
  SwitchReport,
  WarmUpReport,
} from '../ota/hosts/model-host.js';
import type { Backend } from '../core/backend.js';
import type { Frame } from '../sensors/frame.js';
import type { GenerationOptions } from './generate.js';
import { createVlmRuntime, type VlmResult, type VlmRuntime } from './vlm-runtime.js';

export interface VlmModelHostOptions {
  backend?: Backend;
  /** Generation settings of warm-up and health-check probes (default greedy, 8 tokens). */
  probeGeneration?: GenerationOptions;
  /** Package verification on load (default `size`: the agent verified the blobs). */
  verify?: 'full' | 'size' | 'none';
}

interface Model extends HostedModel {
  runtime: VlmRuntime;
  failures: HealthFailure[];
  disposed: boolean;
}

const PROBE_QUESTION = 'how many ships are in the harbour?';

/** A deterministic synthetic RGB frame (gradients and a bright block), 64×64. */
export function probeFrame(i: number): Frame {
  const w = 64;
  const h = 64;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      const block = x > 20 + i && x < 40 + i && y > 24 && y < 36;
      data[o] = block ? 230 : (x * 4 + i * 17) & 255;
      data[o + 1] = block ? 230 : (y * 4) & 255;
      data[o + 2] = block ? 220 : 120;
    }
  }
  return {
    id: `probe-${i}`,
    modality: 'optical',
    timestamp: 0,
    pixels: { data, width: w, height: h, bands: 3, dtype: 'uint8', layout: 'hwc' },
  };
}

/** Why a result is unhealthy, or undefined. */
function resultProblem(r: VlmResult): string | undefined {
  const bad = r.experts.filter((e) => !Number.isFinite(e.meanLogProb));
  if (bad.length)
    return `expert(s) ${bad.map((e) => e.id).join(', ')} produced non-finite log-probabilities (NaN/Inf logits)`;
  if (typeof r.text !== 'string') return 'no fused text';
  return undefined;
}

export class VlmModelHost implements ModelHost {
  private readonly models = new Map<string, Model>();
  private current: Model | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private served = 0;

  constructor(private readonly o: VlmModelHostOptions = {}) {
    if (!is.object(o as unknown)) throw invalidOption('options', 'an object', o);
  }

  get active(): HostedModel | undefined {
    return this.current;
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
    const runtime = await createVlmRuntime({
      package: source.dir,
      verify: this.o.verify ?? 'size',
      ...(this.o.backend ? { backend: this.o.backend } : {}),
    });
    const model: Model = {
      id: source.id,
      label: source.label ?? `${runtime.name}#${source.id.slice(0, 12)}`,
      entries: ['caption', 'vqa'],
      runtime,
      failures: [],
      disposed: false,
    };
    this.models.set(source.id, model);
    return model;
  }

  /** Captions a frame on the model active when its turn comes. */
  caption(frame: Frame, options?: Parameters<VlmRuntime['caption']>[1]): Promise<VlmResult> {
    return this.serve((rt) => rt.caption(frame, options));
  }

  /** Answers a question on the model active when its turn comes. */
  ask(frame: Frame, question: string, options?: Parameters<VlmRuntime['ask']>[2]): Promise<VlmResult> {
    return this.serve((rt) => rt.ask(frame, question, options));
  }

  private serve(fn: (rt: VlmRuntime) => Promise<VlmResult>): Promise<VlmResult> {
    return this.enqueue(async () => {
      if (this.closed) throw new EdgeError('E_CLOSED', 'model host was closed');
      const m = this.current;
      if (!m) throw new EdgeError('E_INFERENCE', 'no model is active yet');
      this.served++;
      try {
        return await fn(m.runtime);
      } catch (err) {
        m.failures.push({ entry: 'vlm', code: (err as EdgeError).code ?? 'E_INFERENCE', reason: messageOf(err) });
        throw err;
      }
    });
  }

  private probe(m: Model, task: 'caption' | 'vqa', i: number): Promise<{ r: VlmResult; ms: number }> {
    return this.enqueue(async () => {
      const t0 = performance.now();
      const generation = { maxTokens: 8, ...(this.o.probeGeneration ?? {}) };
      const r =
        task === 'caption'
          ? await m.runtime.caption(probeFrame(i), { generation })
          : await m.runtime.ask(probeFrame(i), PROBE_QUESTION, { generation });
      return { r, ms: performance.now() - t0 };
    });
  }

  async warmUp(model: HostedModel, framesPerEntry = 2): Promise<WarmUpReport> {
    const m = this.model(model);
    const medianMs: Record<string, number> = {};
    let frames = 0;
    for (const task of ['caption', 'vqa'] as const) {
      const times: number[] = [];
      for (let i = 0; i < framesPerEntry; i++) {
        const { ms } = await this.probe(m, task, i);
        if (i > 0 || framesPerEntry === 1) times.push(ms);
        frames++;
      }
      medianMs[task] = median(times);
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
    const tasks = (['caption', 'vqa'] as const).filter((t) => !options.entries || options.entries.includes(t));
    return runHealthCheck(
      m.id,
      tasks,
      settings,
      async (task, i) => {
        const { r, ms } = await this.probe(m, task as 'caption' | 'vqa', 100 + i);
        return { ms, problem: () => resultProblem(r) };
      },
      m.failures,
    );
  }

  async unload(model: HostedModel): Promise<void> {
    const m = this.models.get(model.id);
    if (!m || m.disposed) return;
    if (this.current === m)
      throw new EdgeError('E_INVALID_ARGUMENT', `model ${m.label} is serving requests; activate another first`, {
        field: 'model',
      });
    m.disposed = true;
    this.models.delete(m.id);
    await this.enqueue(() => m.runtime.close());
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
      await m.runtime.close().catch(() => {});
    }
  }
}
