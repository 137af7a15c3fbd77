/**
 * The ONLY loader of the TensorRT addon (`ringmoe_trt.node`). It tries each candidate file in order,
 * collects every failure, and returns either a typed binding or one reason that the SDK shows as
 * `tensorrt unavailable: <reason>`. Nothing else in the SDK calls `require` on a `.node` file.
 *
 * Candidates, in order:
 * 1. `RINGMOE_TRT_ADDON` (an explicit path, for vendors who ship their own build);
 * 2. `native/build/Release/ringmoe_trt.node` (made by `npm run build:native`);
 * 3. `prebuilds/<platform>-<arch>-trt<major>/ringmoe_trt.node`, preferring the majors whose
 *    `libnvinfer.so.<major>` is installed (an addon is tied to one TensorRT major, P11).
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdgeError, messageOf } from './errors.js';
import type { DType } from './dtype.js';

//#region binding types (mirror native/src/*_wrap.h)

/** What `versions()` reports. */
export interface NativeVersions {
  /** Version of the libnvinfer actually loaded, e.g. `10.3.0`. */
  tensorrt: string;
  /** TensorRT headers the addon was compiled against. */
  tensorrtHeaders: string;
  tensorrtMajor: number;
  /** CUDA runtime / driver versions, e.g. `12.6` (empty when unknown). */
  cudaRuntime: string;
  cudaDriver: string;
  napi: number;
}

/** One CUDA device as the addon sees it. */
export interface NativeDevice {
  index: number;
  name: string;
  /** e.g. `8.7` (Orin), `7.2` (Xavier), `11.0` (Thor). */
  computeCapability: string;
  /** Integrated GPU sharing DRAM with the CPU (Jetson). */
  integrated: boolean;
  canMapHostMemory: boolean;
  totalMemory: number;
  multiProcessors: number;
  dlaCores: number;
}

/** Options of `buildEngine`, already validated by tools/engine/build-spec.ts. */
export interface NativeBuildOptions {
  onnxPath: string;
  precision: 'fp32' | 'fp16' | 'int8';
  typing?: 'auto' | 'weak' | 'strong';
  dlaCore?: number;
  gpuFallback?: boolean;
  workspaceBytes?: number;
  calibrationCache?: string;
  timingCache?: string;
  profile?: { input: string; min: number[]; opt: number[]; max: number[] }[];
  optimizationLevel?: number;
  device?: number;
}

/** Result of `buildEngine`. */
export interface NativeBuildResult {
  plan: Uint8Array;
  sha256: string;
  log: string[];
  notes: string[];
  typing: 'weak' | 'strong';
  explicitQuantization: boolean;
  timingCacheSaved: boolean;
}

/** One I/O tensor of a loaded engine. Dynamic dims are -1. */
export interface NativeTensorInfo {
  name: string;
  mode: 'input' | 'output';
  dtype: DType;
  shape: number[];
  profile?: { min: number[]; opt: number[]; max: number[] };
}

/** A tensor crossing the binding. `data` is the SDK's TypedArray for `dtype`. */
export interface NativeTensor {
  name: string;
  dtype: DType;
  shape: number[];
  data: ArrayBufferView;
}

/** A loaded engine (native `Engine` class). */
export interface NativeEngine {
  describe(): NativeTensorInfo[];
  run(inputs: NativeTensor[], outputs: string[]): Promise<NativeTensor[]>;
  dispose(): void;
  readonly memoryMode: 'mapped' | 'pinned' | null;
  readonly activationBytes: number | null;
}

/** Options of `loadEngine`. */
export interface NativeLoadOptions {
  device?: number;
  dlaCore?: number;
  /** Expected plan sha256; the addon re-checks it off the JS thread. */
  sha256?: string;
  forcePinned?: boolean;
}

/** The addon's exports. */
export interface NativeBinding {
  setErrorClass(ctor: typeof EdgeError): void;
  versions(): NativeVersions;
  devices(): { devices: NativeDevice[]; error?: string };
  buildEngine(options: NativeBuildOptions): Promise<NativeBuildResult>;
  loadEngine(plan: Uint8Array, options: NativeLoadOptions): Promise<NativeEngine>;
  readonly abi: number;
}

//#endregion

/** ABI of the addon this SDK speaks (native/src/addon.cc exports `abi`). */
export const BINDING_ABI = 1;
/** File name of the addon. */
export const ADDON_FILE = 'ringmoe_trt.node';

/** One candidate that failed, and why. */
export interface BindingAttempt {
  path: string;
  error: string;
}

/** Result of {@link loadBinding}. */
export type BindingResult =
  | { ok: true; binding: NativeBinding; path: string; attempts: BindingAttempt[] }
  | { ok: false; reason: string; attempts: BindingAttempt[] };

/** Everything the loader touches, injectable for tests. */
export interface BindingLoaderDeps {
  /** Package root (holds native/ and prebuilds/). */
  root: string;
  env: NodeJS.ProcessEnv;
  platform: string;
  arch: string;
  exists(path: string): boolean;
  /** Directory entries, [] when absent. */
  list(dir: string): string[];
  /** Loads a `.node` file (Node's require). */
  load(path: string): unknown;
  /** Directories searched for libnvinfer.so.<major>. */
  libDirs: string[];
}

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function defaultDeps(): BindingLoaderDeps {
  const req = createRequire(import.meta.url);
  return {
    root: PACKAGE_ROOT,
    env: process.env,
    platform: process.platform,
    arch: process.arch,
    exists: existsSync,
    list: (dir) => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    },
    load: (path) => req(path),
    libDirs: [
      ...(process.env.TENSORRT_ROOT
        ? [join(process.env.TENSORRT_ROOT, 'lib'), join(process.env.TENSORRT_ROOT, 'lib64')]
        : []),
      ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
      '/usr/lib/aarch64-linux-gnu',
      '/usr/lib/x86_64-linux-gnu',
      '/usr/lib',
    ],
  };
}

/** TensorRT majors whose `libnvinfer.so.<major>` exists in `deps.libDirs`, highest first. */
export function installedTensorRtMajors(deps: Pick<BindingLoaderDeps, 'libDirs' | 'list'>): number[] {
  const majors = new Set<number>();
  for (const dir of deps.libDirs) {
    for (const name of deps.list(dir)) {
      const m = /^libnvinfer\.so\.(\d+)$/.exec(name);
      if (m) majors.add(Number(m[1]));
    }
  }
  return [...majors].sort((a, b) => b - a);
}

/** The candidate paths, in the order they are tried. */
export function bindingCandidates(deps: BindingLoaderDeps): string[] {
  const out: string[] = [];
  if (deps.env.RINGMOE_TRT_ADDON) out.push(resolve(deps.env.RINGMOE_TRT_ADDON));
  out.push(join(deps.root, 'native', 'build', 'Release', ADDON_FILE));
  const prefix = `${deps.platform}-${deps.arch}-trt`;
  const prebuilt = deps
    .list(join(deps.root, 'prebuilds'))
    .filter((d) => d.startsWith(prefix) && /^\d+$/.test(d.slice(prefix.length)))
    .map((d) => Number(d.slice(prefix.length)));
  const installed = installedTensorRtMajors(deps);
  // Installed majors first (newest first), then any other prebuild (its load error says what is missing).
  const ordered = [
    ...installed.filter((m) => prebuilt.includes(m)),
    ...prebuilt.filter((m) => !installed.includes(m)).sort((a, b) => b - a),
  ];
  for (const major of ordered) out.push(join(deps.root, 'prebuilds', `${prefix}${major}`, ADDON_FILE));
  return out;
}

function isBinding(value: unknown): value is NativeBinding {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return ['setErrorClass', 'versions', 'devices', 'buildEngine', 'loadEngine'].every((k) => typeof v[k] === 'function');
}

/** First line of a load error (dlopen messages name the missing library there). */
function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/**
 * Tries every candidate and returns the first binding that loads, or the reason none did.
 * Never throws.
 * @example
 * const r = loadBinding();
 * if (!r.ok) console.log(`tensorrt unavailable: ${r.reason}`);
 */
export function loadBinding(deps: BindingLoaderDeps = defaultDeps()): BindingResult {
  const attempts: BindingAttempt[] = [];
  if (deps.platform !== 'linux') {
    return { ok: false, reason: `the TensorRT addon is built for Linux only (this is ${deps.platform})`, attempts };
  }
  for (const path of bindingCandidates(deps)) {
    if (!deps.exists(path)) {
      attempts.push({ path, error: 'not found' });
      continue;
    }
    try {
      const mod = deps.load(path);
      if (!isBinding(mod)) {
        attempts.push({ path, error: 'not a ringmoe TensorRT addon (exports missing)' });
        continue;
      }
      if (mod.abi !== BINDING_ABI) {
        attempts.push({
          path,
          error: `addon ABI ${String(mod.abi)} does not match this SDK's ${BINDING_ABI}; rebuild with npm run build:native`,
        });
        continue;
      }
      mod.setErrorClass(EdgeError);
      return { ok: true, binding: mod, path, attempts };
    } catch (err) {
      attempts.push({ path, error: firstLine(messageOf(err)) });
    }
  }
  return { ok: false, reason: describeFailure(attempts, deps), attempts };
}

function describeFailure(attempts: BindingAttempt[], deps: BindingLoaderDeps): string {
  const loaded = attempts.filter((a) => a.error !== 'not found');
  if (loaded.length > 0) return loaded.map((a) => `${a.path}: ${a.error}`).join('; ');
  const majors = installedTensorRtMajors(deps);
  const where = majors.length > 0 ? `TensorRT ${majors.join('/')} is installed` : 'no libnvinfer.so.<major> found';
  return `no TensorRT addon is built (${where}; run npm run build:native on the device, see docs/compilation.md)`;
}

let cached: BindingResult | undefined;

/** {@link loadBinding} with the real filesystem, memoised for the process. */
export function defaultBinding(): BindingResult {
  cached ??= loadBinding();
  return cached;
}

/**
 * The binding, or an EdgeError E_BACKEND_UNAVAILABLE whose message is `tensorrt unavailable: <reason>`.
 * @throws EdgeError E_BACKEND_UNAVAILABLE
 */
export function requireBinding(result: BindingResult = defaultBinding()): NativeBinding {
  if (result.ok) return result.binding;
  throw new EdgeError('E_BACKEND_UNAVAILABLE', `tensorrt unavailable: ${result.reason}`, {
    hint: 'the SDK falls back to onnxruntime',
  });
}
