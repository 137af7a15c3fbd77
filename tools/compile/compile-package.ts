/**
 * `ringmoe-edge compile`: a package for one device target. Quantizes per the target's precisions
 * (or copies the package for fp32), records the target in the manifest (`extensions.target`),
 * then either builds the TensorRT engines (where the addon, TensorRT and a GPU of the target's
 * compute capability are here) or writes a build spec so the device builds them on first start,
 * with the equivalent trtexec command lines.
 */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { defaultBinding, type BindingResult, type NativeBinding } from '../../sdk/internal.js';
import { PACKAGE_MANIFEST_FILE, type LineageStep, type PackageManifest } from '../../sdk/internal.js';
import { loadTarget } from '../../sdk/internal.js';
import type { TargetProfile } from '../../sdk/internal.js';
import { VERSION } from '../../sdk/internal.js';
import { sha256File } from '../../sdk/internal.js';
import { openPackage } from '../../sdk/internal.js';
import { BUILD_SPEC_FILE } from '../../sdk/internal.js';
import { parseTrtVersion, trtexecCommand } from '../engine/trtexec.js';
import { writeBuildSpec } from '../engine/write-spec.js';
import { PackageWriter } from '../package/package-writer.js';
import { planFrames, type FramePlanOptions } from '../quantize/frame-plan.js';
import { quantizePackage } from '../quantize/quantize-package.js';
import { formatForTarget } from '../quantize/int8-format.js';
import type { QuantizationReport } from '../quantize/report.js';
import type { CalibrationMethod } from '../quantize/thresholds.js';
import { assertBuildableOn } from '../planner/lowering.js';
import type { FidelityFloors } from '../quantize/fidelity-floor.js';
import { planCompile, type CompilePlan, type CompilePlanOptions } from './compile-plan.js';
import { readPackageManifestFile } from '../../sdk/internal.js';
import { linkOrCopyRegular } from '../../sdk/internal.js';

export interface CompileOptions extends CompilePlanOptions {
  source: string;
  outDir: string;
  /** Target id or profile path. */
  target: string;
  calibration?: string[];
  heldOut?: string[];
  /** The sensor of real calibration and held-out frames per modality (options sensor, bands, scale of a command). */
  sensorFor?: FramePlanOptions['sensorFor'];
  /** INT8 calibration method; default `auto` (the best of all methods on the held-out frames). */
  method?: CalibrationMethod | 'auto';
  /** Fidelity floor of the quantization (see quantizePackage). */
  floors?: Partial<FidelityFloors>;
  /** Keep a quantization below the floor instead of refusing it. */
  acceptLoss?: boolean;
  maxFrames?: number;
  latencyRounds?: number;
  force?: boolean;
  /** The TensorRT addon (default: the SDK's loader); injectable for tests. */
  binding?: BindingResult;
  onProgress?: (step: string, done: number, total: number) => void;
}

export interface CompileResult {
  dir: string;
  plan: CompilePlan;
  /** Engines built here, if any. */
  built: { entry: string; path: string; sha256: string }[];
  /** Why no engine was built here (when none was). */
  notBuilt?: string;
  /** The build spec written instead, and the trtexec line per engine. */
  buildSpec?: string;
  trtexec: { entry: string; line: string; notes: string[] }[];
  report?: QuantizationReport;
}

async function copyPackageFiles(source: string, m: PackageManifest, writer: PackageWriter): Promise<void> {
  for (const rel of Object.keys(m.files)) {
    const dst = join(writer.dir, rel);
    await mkdir(dirname(dst), { recursive: true });
    // Linked only when the link is the very file checked without following links (the source was
    // verified, but a file swapped for a link since must not be followed); copied otherwise.
    await linkOrCopyRegular(join(source, rel), dst, { root: source, label: rel });
    writer.setRole(rel, m.files[rel]!.role);
  }
}

async function updateManifest(dir: string, change: (m: PackageManifest) => void): Promise<PackageManifest> {
  const file = join(dir, PACKAGE_MANIFEST_FILE);
  const m = (await readPackageManifestFile(file)).value as PackageManifest;
  change(m);
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(m, null, 2)}\n`);
  await rename(tmp, file);
  return m;
}

/** Why engines cannot be built here, or undefined when they can (addon, TensorRT line and GPU match). */
export function buildBlocker(
  binding: BindingResult,
  target: TargetProfile,
  plan: CompilePlan,
): { reason: string } | { binding: NativeBinding; device: number } {
  if (target.runtime !== 'tensorrt' || !target.gpu)
    return { reason: `${target.id} runs onnxruntime on the CPU; it needs no engine` };
  if (!binding.ok) return { reason: `tensorrt unavailable: ${binding.reason}` };
  const v = binding.binding.versions().tensorrt;
  const want = plan.target.tensorrt ?? '';
  if (want && v.split('.').slice(0, 2).join('.') !== want.split('.').slice(0, 2).join('.'))
    return {
      reason: `TensorRT here is ${v}, the target's line has ${want} (engines are tied to the TensorRT version)`,
    };
  const cc = target.gpu.computeCapability.value;
  const dev = binding.binding.devices().devices.find((d) => d.computeCapability === cc);
  if (!dev)
    return { reason: `no GPU of compute capability ${cc} (${target.gpu.sm}) here (engines are tied to the GPU)` };
  return { binding: binding.binding, device: dev.index };
}

/**
 * Compiles a package for a target.
 * @throws EdgeError E_TARGET_MISMATCH, E_INVALID_ARGUMENT, E_UNKNOWN_TARGET, E_CALIBRATION,
 *   E_QUANTIZE, E_ENGINE_BUILD, E_OUTPUT_EXISTS and the package-opening codes
 */
export async function compilePackage(o: CompileOptions): Promise<CompileResult> {
  const target = await loadTarget(o.target);
  const pkg = await openPackage(o.source);
  const plan = planCompile(pkg.manifest, target, o);
  const entries = o.entries?.length ? o.entries : pkg.manifest.entries.map((e) => e.name);
  // Before anything is written: an engine the device's TensorRT cannot build is no result.
  await assertBuildableOn(pkg.dir, pkg.manifest, target, { tensorrt: plan.target.tensorrt, entries, step: 'compile' });
  let report: QuantizationReport | undefined;
  if (plan.precision === 'fp32') {
    const writer = await PackageWriter.create(o.outDir, o.force !== undefined ? { force: o.force } : {});
    try {
      await copyPackageFiles(pkg.dir, pkg.manifest, writer);
      const { format: _f, formatVersion: _v, files: _files, ...rest } = pkg.manifest;
      await writer.finalize({ ...rest, extensions: { ...(pkg.manifest.extensions ?? {}), target: plan.target } });
    } catch (err) {
      writer.abort();
      throw err;
    }
  } else {
    const trt = plan.target.tensorrt;
    const caches =
      plan.precision === 'int8' && trt && Number(trt.split('.')[0]) < 11
        ? [trt.split('.').length === 2 ? `${trt}.0` : trt]
        : [];
    const frames = await planFrames({
      manifest: pkg.manifest,
      entries: entries.map((n) => pkg.entry(n)),
      precision: plan.precision,
      ...(o.calibration ? { calibration: o.calibration } : {}),
      ...(o.heldOut ? { heldOut: o.heldOut } : {}),
      ...(o.maxFrames !== undefined ? { maxFrames: o.maxFrames } : {}),
      ...(o.sensorFor ? { sensorFor: o.sensorFor } : {}),
    });
    const r = await quantizePackage({
      source: o.source,
      outDir: o.outDir,
      precision: plan.precision,
      calibration: frames.calibration,
      heldOut: frames.heldOut,
      entries,
      tensorrtVersions: caches,
      int8Format: formatForTarget(target),
      ...(o.method ? { method: o.method } : {}),
      ...(o.floors ? { floors: o.floors } : {}),
      ...(o.acceptLoss !== undefined ? { acceptLoss: o.acceptLoss } : {}),
      ...(o.latencyRounds !== undefined ? { latencyRounds: o.latencyRounds } : {}),
      ...(o.force !== undefined ? { force: o.force } : {}),
      extensions: { target: plan.target },
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    report = r.report;
  }
  const step: LineageStep = {
    step: 'compile',
    sourcePackage: pkg.packageHash,
    sourceName: pkg.manifest.name,
    params: {
      target: plan.target.id,
      precision: plan.precision,
      jetpack: plan.target.jetpack,
      tensorrt: plan.target.tensorrt,
      dlaCore: plan.target.dlaCore,
      entries,
    },
    tool: `ringmoe-edge ${VERSION}`,
  };
  const manifest = await updateManifest(o.outDir, (m) => m.lineage.push(step));
  const result: CompileResult = { dir: o.outDir, plan, built: [], trtexec: [], ...(report ? { report } : {}) };
  if (target.runtime !== 'tensorrt') {
    result.notBuilt = `${target.id} runs onnxruntime on the CPU; it needs no engine`;
    return result;
  }
  const can = buildBlocker(o.binding ?? defaultBinding(), target, plan);
  if ('binding' in can) {
    for (const e of plan.engines) {
      const entry = manifest.entries.find((x) => x.name === e.entry)!;
      const input = entry.inputs.map((i) => ({ input: i.name, dims: i.shape.slice(1) as number[] }));
      const shape = (b: number) => input.map((i) => [b, ...i.dims]);
      let built;
      try {
        built = await can.binding.buildEngine({
          onnxPath: join(o.outDir, entry.graph),
          precision: plan.precision,
          typing: 'auto',
          ...(e.dlaCore !== null && e.dlaCore !== undefined ? { dlaCore: e.dlaCore, gpuFallback: true } : {}),
          profile: input.map((i, k) => ({
            input: i.input,
            min: shape(e.profile!.min!)[k]!,
            opt: shape(e.profile!.opt!)[k]!,
            max: shape(e.profile!.max!)[k]!,
          })),
          device: can.device,
        });
      } catch (err) {
        throw new EdgeError(
          'E_ENGINE_BUILD',
          `building the ${plan.precision} engine of ${e.entry} failed: ${messageOf(err)}`,
          { file: entry.graph, cause: err },
        );
      }
      const rel = plan.enginePaths[e.entry]!;
      await mkdir(dirname(join(o.outDir, rel)), { recursive: true });
      await writeFile(join(o.outDir, rel), built.plan);
      result.built.push({ entry: e.entry, path: rel, sha256: built.sha256 });
    }
    const records = await Promise.all(
      result.built.map(async (b) => ({
        path: b.path,
        sha256: await sha256File(join(o.outDir, b.path)),
        size: (await stat(join(o.outDir, b.path))).size,
      })),
    );
    await updateManifest(o.outDir, (m) => {
      for (const r of records) m.files[r.path] = { sha256: r.sha256, size: r.size, role: 'engine' };
    });
    return result;
  }
  result.notBuilt = can.reason;
  const { spec } = await writeBuildSpec(o.outDir, plan.engines);
  result.buildSpec = BUILD_SPEC_FILE;
  if (plan.target.tensorrt) {
    let version;
    try {
      version = parseTrtVersion(plan.target.tensorrt);
    } catch (err) {
      result.trtexec.push({ entry: '*', line: '', notes: [messageOf(err)] });
      return result;
    }
    for (const e of spec.engines) {
      const entry = manifest.entries.find((x) => x.name === e.entry)!;
      const shapes = Object.fromEntries(entry.inputs.map((i) => [i.name, i.shape.slice(1) as number[]]));
      const cmd = trtexecCommand(e, version, { onnx: e.graph, engine: plan.enginePaths[e.entry]! }, shapes);
      result.trtexec.push({ entry: e.entry, line: cmd.line, notes: cmd.notes });
    }
  }
  return result;
}
