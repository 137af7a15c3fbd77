/**
 * How the TensorRT backend sets up an engine build: the addon's build options (precision, typing,
 * target, timing cache, batch profile) and the timing cache a package may ship as a seed.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { NativeBuildOptions, NativeDevice } from '../../core/binding.js';
import { EdgeError, messageOf } from '../../core/errors.js';
import type { OnnxInput } from '../../package/onnx-info.js';
import type { TrtResolvedOptions } from './trt-options.js';

/** Copies a shipped timing cache into the writable cache location once; the builder then updates the copy. */
export async function seedTimingCache(seed: string | undefined, target: string): Promise<void> {
  if (!seed || existsSync(target)) return;
  try {
    await mkdir(dirname(target), { recursive: true });
    await copyFile(seed, target);
  } catch (err) {
    throw new EdgeError('E_IO', `cannot copy the package's timing cache: ${messageOf(err)}`, {
      file: seed,
      cause: err,
    });
  }
}

/** How a batch profile is applied to ONNX inputs: dim 0 symbolic = batch; other dims must be fixed. */
export function profileForInputs(
  inputs: readonly OnnxInput[],
  batch: { min: number; opt: number; max: number },
  file: string,
): NativeBuildOptions['profile'] {
  const out: NonNullable<NativeBuildOptions['profile']> = [];
  for (const input of inputs) {
    const dynamic = input.shape.map((d) => typeof d !== 'number' || d < 0);
    if (!dynamic.some(Boolean)) continue;
    const bad = dynamic.findIndex((d, i) => d && i > 0);
    if (bad >= 0) {
      throw new EdgeError(
        'E_BACKEND_INIT',
        `input ${input.name} has a dynamic dimension at axis ${bad} (${String(input.shape[bad])}); only the batch axis may be dynamic for TensorRT`,
        {
          file,
          hint: 'export the graph with fixed spatial sizes',
        },
      );
    }
    const rest = input.shape.slice(1) as number[];
    out.push({ input: input.name, min: [batch.min, ...rest], opt: [batch.opt, ...rest], max: [batch.max, ...rest] });
  }
  return out;
}

/**
 * The addon's build options for a graph on `device`; the timing cache defaults to one per
 * TensorRT version and compute capability in the engine cache directory.
 * @throws EdgeError E_BACKEND_INIT (an input dynamic beyond the batch axis)
 */
export function trtBuildOptions(
  o: TrtResolvedOptions,
  p: { major: number; version: string },
  device: NativeDevice,
  typing: 'weak' | 'strong',
  inputs: OnnxInput[],
): NativeBuildOptions {
  const timingCache =
    o.timingCache ?? join(o.cacheDir, `timing.trt${p.version}.sm${device.computeCapability.replace('.', '')}.cache`);
  return {
    onnxPath: o.graphPath,
    precision: o.precision,
    typing,
    device: o.device,
    gpuFallback: o.gpuFallback,
    timingCache,
    profile: profileForInputs(inputs, o.batch, o.graphPath) ?? [],
    ...(o.dlaCore !== undefined ? { dlaCore: o.dlaCore } : {}),
    ...(o.workspaceMiB !== undefined ? { workspaceBytes: o.workspaceMiB * 1024 * 1024 } : {}),
    ...(o.calibrationCache !== undefined ? { calibrationCache: o.calibrationCache } : {}),
    ...(o.optimizationLevel !== undefined ? { optimizationLevel: o.optimizationLevel } : {}),
  };
}
