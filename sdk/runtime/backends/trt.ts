/**
 * The TensorRT backend: Jetson GPUs (and DLA cores) from Node through our own addon.
 *
 * load(): engine from the cache when its key matches (graph + weights, experts, TensorRT version,
 * GPU, DLA core, precision, batch profile); otherwise build it on the device (first start) and
 * cache it; otherwise E_BACKEND_UNAVAILABLE with the reason. A stale or foreign cached engine is
 * rebuilt, never loaded.
 */
import {
  defaultBinding,
  type BindingResult,
  type NativeBinding,
  type NativeDevice,
  type NativeLoadOptions,
} from '../../core/binding.js';
import { EdgeError, isEdgeError, messageOf } from '../../core/errors.js';
import type { Backend, BackendAvailability, BackendLoadOptions, BackendSession } from '../../core/backend.js';
import { graphHashFromFiles } from '../engine-cache/graph-hash.js';
import type { EngineKey } from '../engine-cache/key.js';
import { readOnnxInfo } from '../../package/onnx-info.js';
import { EngineCache } from '../engine-cache/store.js';
import { seedTimingCache, trtBuildOptions } from './trt-build.js';
import { resolveTrtOptions, type TrtResolvedOptions } from './trt-options.js';
import { TrtSession } from './trt-session.js';

/** Injectable parts (tests pass a fake binding, labelled as such). */
export interface TensorRtBackendDeps {
  /** Loads the addon; default: the real loader (sdk/core/binding.ts). */
  loadBinding?: () => BindingResult;
  env?: NodeJS.ProcessEnv;
  /** Receives one line per decision (cache hit, rebuild and why). Off by default. */
  log?: (line: string) => void;
}

/** What {@link TensorRtBackend} found of the addon, the GPUs and TensorRT. */
type TrtProbe =
  | { ok: true; binding: NativeBinding; devices: NativeDevice[]; version: string; major: number }
  | { ok: false; reason: string };

/**
 * The device a load runs on, and the network typing it builds with (`auto`: strong from TensorRT 11).
 * @throws EdgeError E_INVALID_ARGUMENT (no such device, a typing this TensorRT cannot build),
 *   E_BACKEND_UNAVAILABLE (a DLA core the device lacks)
 */
function checkTarget(
  o: TrtResolvedOptions,
  p: Extract<TrtProbe, { ok: true }>,
): { device: NativeDevice; typing: 'weak' | 'strong' } {
  const device = p.devices.find((d) => d.index === o.device);
  if (!device)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `CUDA device ${o.device} does not exist (devices: ${p.devices.map((d) => d.index).join(', ')})`,
      { field: 'extra.device' },
    );
  if (o.dlaCore !== undefined && o.dlaCore >= device.dlaCores) {
    throw new EdgeError(
      'E_BACKEND_UNAVAILABLE',
      `tensorrt unavailable: DLA core ${o.dlaCore} was asked for but ${device.name} has ${device.dlaCores} with TensorRT ${p.version}`,
      {
        field: 'extra.dlaCore',
      },
    );
  }
  const typing = o.typing === 'auto' ? (p.major >= 11 ? 'strong' : 'weak') : o.typing;
  if (p.major >= 11 && typing === 'weak')
    throw new EdgeError('E_INVALID_ARGUMENT', `TensorRT ${p.version} builds only strongly typed networks`, {
      field: 'extra.typing',
    });
  if (p.major < 10 && typing === 'strong')
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `strongly typed networks need TensorRT 10 or newer (this is ${p.version})`,
      { field: 'extra.typing' },
    );
  return { device, typing };
}

/** The engine cache key of a graph built for `device` with this TensorRT. */
function engineKey(
  o: TrtResolvedOptions,
  tensorrt: string,
  device: NativeDevice,
  typing: 'weak' | 'strong',
  graphSha256: string,
): EngineKey {
  return {
    entry: o.entry,
    graphSha256,
    experts: o.experts,
    tensorrt,
    computeCapability: device.computeCapability,
    gpuName: device.name,
    target: o.dlaCore !== undefined ? { kind: 'dla', core: o.dlaCore, gpuFallback: o.gpuFallback } : { kind: 'gpu' },
    precision: o.precision,
    typing,
    profile: o.batch,
    ...(o.module !== undefined ? { module: o.module } : {}),
    ...(o.jetpack !== undefined ? { jetpack: o.jetpack } : {}),
  };
}

/** The TensorRT implementation of {@link Backend}. */
export class TensorRtBackend implements Backend {
  readonly name = 'tensorrt' as const;
  private readonly deps: Required<Pick<TensorRtBackendDeps, 'loadBinding' | 'env'>> & Pick<TensorRtBackendDeps, 'log'>;

  constructor(deps: TensorRtBackendDeps = {}) {
    this.deps = {
      loadBinding: deps.loadBinding ?? defaultBinding,
      env: deps.env ?? process.env,
      ...(deps.log ? { log: deps.log } : {}),
    };
  }

  private probe(): TrtProbe {
    const loaded = this.deps.loadBinding();
    if (!loaded.ok) return { ok: false, reason: loaded.reason };
    try {
      const versions = loaded.binding.versions();
      const { devices, error } = loaded.binding.devices();
      if (devices.length === 0) return { ok: false, reason: `no CUDA device${error ? ` (${error})` : ''}` };
      return { ok: true, binding: loaded.binding, devices, version: versions.tensorrt, major: versions.tensorrtMajor };
    } catch (err) {
      return { ok: false, reason: `the addon failed to report versions: ${messageOf(err)}` };
    }
  }

  /** Whether the addon loads, a GPU is present, and which TensorRT runs. Never throws. */
  async availability(): Promise<BackendAvailability> {
    const p = this.probe();
    if (!p.ok) return { available: false, reason: `tensorrt unavailable: ${p.reason}` };
    return {
      available: true,
      version: p.version,
      devices: p.devices.flatMap((d) => [
        `cuda:${d.index} ${d.name} (sm_${d.computeCapability.replace('.', '')}${d.integrated ? ', integrated' : ''})`,
        ...Array.from({ length: d.dlaCores }, (_, i) => `dla:${i}`),
      ]),
    };
  }

  /**
   * Loads (or builds, then caches) the engine for a graph.
   * @throws EdgeError E_INVALID_ARGUMENT (options), E_BACKEND_UNAVAILABLE (no addon/GPU, or no cached
   *   engine with building disabled), E_ENGINE_BUILD, E_ENGINE_FOREIGN/E_ENGINE_STALE (only when a
   *   freshly built plan fails to load), E_FILE_NOT_FOUND / E_ONNX_PARSE / E_EXTERNAL_DATA (graph)
   */
  async load(options: BackendLoadOptions): Promise<BackendSession> {
    const o = resolveTrtOptions(options, this.deps.env);
    const p = this.probe();
    if (!p.ok)
      throw new EdgeError('E_BACKEND_UNAVAILABLE', `tensorrt unavailable: ${p.reason}`, {
        hint: 'use the onnxruntime backend',
      });
    const { device, typing } = checkTarget(o, p);

    const onnx = await readOnnxInfo(o.graphPath);
    const graphSha256 = o.graphSha256 ?? (await graphHashFromFiles(o.graphPath, onnx)).sha256;
    const key = engineKey(o, p.version, device, typing, graphSha256);
    const cache = new EngineCache(o.cacheDir);
    const loadOpts: NativeLoadOptions = {
      device: o.device,
      ...(o.dlaCore !== undefined ? { dlaCore: o.dlaCore } : {}),
      forcePinned: o.forcePinned,
    };
    let rejected: string | undefined;

    if (o.build !== 'always') {
      const cached = await this.loadCached(o, p, key, cache, loadOpts);
      if ('session' in cached) return cached.session;
      rejected = cached.rejected;
    }

    const buildOptions = trtBuildOptions(o, p, device, typing, onnx.inputs);
    await seedTimingCache(o.timingCacheSeed, buildOptions.timingCache!);
    const built = await p.binding.buildEngine(buildOptions);
    const saved = await cache.save(key, built.plan, {
      planSha256: built.sha256,
      build: {
        notes: built.notes,
        typing: built.typing,
        explicitQuantization: built.explicitQuantization,
        warnings: built.log,
      },
    });
    const engine = await p.binding.loadEngine(saved.plan, { ...loadOpts, sha256: built.sha256 });
    this.deps.log?.(`TensorRtBackend.load :: built ${saved.planPath}`);
    return new TrtSession(engine, {
      ...this.info(p, key, saved.planPath, rejected ? 'rebuilt' : 'built', engine, saved.sidecar.build),
      ...(rejected ? { rejectedEngine: rejected } : {}),
    });
  }

  /**
   * The cached engine for `key` when it loads; otherwise why a cached one was rejected (undefined:
   * none cached), for {@link load} to build instead.
   * @throws EdgeError E_BACKEND_UNAVAILABLE (building disabled), a load error other than
   *   E_ENGINE_FOREIGN/E_ENGINE_STALE
   */
  private async loadCached(
    o: TrtResolvedOptions,
    p: Extract<TrtProbe, { ok: true }>,
    key: EngineKey,
    cache: EngineCache,
    loadOpts: NativeLoadOptions,
  ): Promise<{ session: BackendSession } | { rejected: string | undefined }> {
    let rejected: string | undefined;
    const found = await cache.lookup(key);
    if (found.status === 'hit') {
      try {
        const engine = await p.binding.loadEngine(found.plan, { ...loadOpts, sha256: found.sidecar.planSha256 });
        this.deps.log?.(`TensorRtBackend.load :: cache hit ${found.planPath}`);
        return {
          session: new TrtSession(engine, this.info(p, key, found.planPath, 'hit', engine, found.sidecar.build)),
        };
      } catch (err) {
        if (!isEdgeError(err, 'E_ENGINE_FOREIGN') && !isEdgeError(err, 'E_ENGINE_STALE')) throw err;
        rejected = `${err.code}: ${err.message}`;
      }
    } else if (found.status === 'rejected') {
      rejected = `${found.error.code}: ${found.error.message}`;
    }
    if (rejected) this.deps.log?.(`TensorRtBackend.load :: cached engine rejected, rebuilding (${rejected})`);
    if (o.build === 'never') {
      throw new EdgeError(
        'E_BACKEND_UNAVAILABLE',
        `tensorrt unavailable: no usable cached engine for ${o.entry} (${rejected ?? 'none cached'}) and building is disabled`,
        {
          file: cache.paths(key).plan,
          hint: 'allow building (extra.build "auto") or ship an engine built for this device',
        },
      );
    }
    return { rejected };
  }

  private info(
    p: { version: string },
    key: EngineKey,
    planPath: string,
    cache: 'hit' | 'built' | 'rebuilt',
    engine: { memoryMode: string | null; activationBytes: number | null },
    build: Record<string, unknown> | undefined,
  ): Record<string, unknown> {
    return {
      provider: 'tensorrt',
      tensorrt: p.version,
      device: `${key.gpuName} (compute ${key.computeCapability})`,
      target: key.target.kind === 'dla' ? `dla:${key.target.core}` : 'gpu',
      precision: key.precision,
      typing: key.typing,
      batch: key.profile,
      engine: planPath,
      cache,
      memoryMode: engine.memoryMode,
      activationBytes: engine.activationBytes,
      ...(build && Array.isArray(build.notes) ? { notes: build.notes } : {}),
    };
  }
}
