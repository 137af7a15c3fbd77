/**
 * A package loaded on a backend: one session per entry in use, plus what post-processing needs
 * (labels, input size). The unit a hot swap replaces.
 */
import { join } from 'node:path';
import { EdgeError } from '../core/errors.js';
import type { EntryManifest } from '../package/package-manifest.js';
import { openPackage, type ModelPackage } from '../package/open-package.js';
import type { Backend, BackendSession } from '../core/backend.js';
import type { HostTensor } from '../core/host-tensor.js';

/** How {@link LoadedModel.load} loads a package. */
export interface LoadModelOptions {
  /** Entries to load now (default: every modality entry); others load on first use. */
  entries?: string[];
  verify?: 'full' | 'size';
  threads?: number;
  maxBatch: number;
  /** Backend-specific options (TensorRT: cacheDir, dlaCore, precision, ...). */
  extra?: Record<string, unknown>;
}

/**
 * A package loaded on a backend, ready to run frames; the unit a hot swap replaces. Load one beside
 * the serving model with `runtime.loadModel(dir)`, then `runtime.activate(model)`.
 * @example
 * const next = await runtime.loadModel('pkg/v2');
 * await next.warmup();
 * runtime.activate(next);
 */
export class LoadedModel {
  private readonly sessions = new Map<string, Promise<BackendSession>>();
  private isDisposed = false;

  private constructor(
    readonly pkg: ModelPackage,
    readonly backend: Backend,
    private readonly options: LoadModelOptions,
  ) {}

  /**
   * Opens and verifies the package, then loads the chosen entries.
   * @throws EdgeError from openPackage, E_BACKEND_INIT, E_INVALID_ARGUMENT (unknown entry)
   */
  static async load(dir: string, backend: Backend, options: LoadModelOptions): Promise<LoadedModel> {
    const pkg = await openPackage(dir, { verify: options.verify ?? 'full' });
    const model = new LoadedModel(pkg, backend, options);
    const initial =
      options.entries ??
      pkg.manifest.entries.filter((e) => e.kind === 'modality' || e.kind === 'imported').map((e) => e.name);
    try {
      await Promise.all(initial.map((name) => model.session(name)));
    } catch (err) {
      await model.dispose();
      throw err;
    }
    return model;
  }

  /** True after {@link LoadedModel.dispose}. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  /** Package name. */
  get name(): string {
    return this.pkg.manifest.name;
  }

  /** Version of the package: the last lineage step's `version` param, else the package hash prefix. */
  get version(): string {
    const v = this.pkg.manifest.extensions?.version;
    return typeof v === 'string' ? v : this.pkg.packageHash.slice(0, 12);
  }

  get inputSize(): { width: number; height: number } | undefined {
    const s = this.pkg.manifest.model.inputSize;
    return s ? { width: s.width, height: s.height } : undefined;
  }

  /** The entry that reads single frames of `modality`. */
  entryForModality(modality: string): EntryManifest {
    const m = this.pkg.manifest;
    const e = m.entries.find(
      (x) =>
        (x.kind === 'modality' || x.kind === 'imported') && x.modalities.length === 1 && x.modalities[0] === modality,
    );
    if (!e) {
      const known = m.entries
        .filter((x) => x.kind === 'modality' || x.kind === 'imported')
        .map((x) => x.modalities.join('+') || x.name);
      throw new EdgeError(
        'E_UNKNOWN_MODALITY',
        `package ${m.name} has no entry for ${JSON.stringify(modality)} frames; it reads ${known.join(', ')}`,
        { field: 'frame.modality' },
      );
    }
    return e;
  }

  /** The change-detection entry of `modality`. */
  changeEntry(modality: string): EntryManifest {
    const e = this.pkg.manifest.entries.find((x) => x.kind === 'change' && x.modalities[0] === modality);
    if (!e)
      throw new EdgeError('E_INVALID_ARGUMENT', `package ${this.name} has no change-detection entry for ${modality}`, {
        field: 'modality',
      });
    return e;
  }

  /** The fusion entry reading exactly these modalities. */
  fusionEntry(modalities: string[]): EntryManifest {
    const want = [...modalities].sort().join(',');
    const e = this.pkg.manifest.entries.find((x) => x.kind === 'fusion' && [...x.modalities].sort().join(',') === want);
    if (!e)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `package ${this.name} has no fusion entry for ${modalities.join(' + ')}`,
        { field: 'modalities' },
      );
    return e;
  }

  /** The session of an entry, loading it on first use. */
  session(entry: string): Promise<BackendSession> {
    if (this.isDisposed) return Promise.reject(new EdgeError('E_CLOSED', `model ${this.name} was disposed`));
    let s = this.sessions.get(entry);
    if (!s) {
      const e = this.pkg.entry(entry);
      s = this.backend.load({
        graphPath: join(this.pkg.dir, e.graph),
        maxBatch: this.options.maxBatch,
        ...(this.options.threads !== undefined ? { threads: this.options.threads } : {}),
        extra: { entry: e.name, ...(this.options.extra ?? {}) },
      });
      s.catch(() => this.sessions.delete(entry));
      this.sessions.set(entry, s);
    }
    return s;
  }

  /** Runs one batch through an entry. Only the outputs a caller needs are fetched. */
  async run(
    entry: string,
    feeds: Record<string, HostTensor>,
    outputs?: readonly string[],
  ): Promise<Record<string, HostTensor>> {
    return (await this.session(entry)).run(feeds, outputs);
  }

  /** Runs a zero batch through every loaded entry so the first real frame does not pay for lazy initialisation. */
  async warmup(): Promise<void> {
    for (const name of this.sessions.keys()) {
      const e = this.pkg.entry(name);
      const feeds: Record<string, HostTensor> = {};
      for (const input of e.inputs) {
        const shape = input.shape.map((d) => (typeof d === 'number' ? d : 1));
        if (input.dtype !== 'float32') continue;
        feeds[input.name] = { dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
      }
      if (Object.keys(feeds).length === e.inputs.length) await this.run(name, feeds);
    }
  }

  /** Frees every session. Idempotent. */
  async dispose(): Promise<void> {
    if (this.isDisposed) return;
    this.isDisposed = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.dispose()));
  }
}
