/**
 * Pure functions the toolchain calls with a resolved profile: which precision to build, how fast a
 * precision runs for planning, how much memory the model may use, which TensorRT versions exist
 * and whether DLA is usable. No I/O; every device number comes from the profile.
 */
import { EdgeError } from '../errors.js';
import { PRECISION_PREFERENCE, UTILISATION, type MathUnit } from './defaults.js';
import type { TargetFact, TargetProfile } from './resolved.js';
import { compareVersions, parseVersion, versionsMatch } from './versions.js';
import { PRECISIONS, type Precision } from './written.js';

/**
 * Precisions the unit that runs the model supports: the GPU's on GPU targets, the CPU runtime's
 * on CPU-only targets.
 * @example computePrecisions(nano) // ['fp32', 'fp16']
 */
export function computePrecisions(target: TargetProfile): Precision[] {
  return [...((target.gpu ? target.gpu.precisions.value : target.cpu.precisions?.value) ?? [])];
}

/**
 * The fastest precision the target's compute unit supports (INT8, else FP16, else FP32).
 * @throws EdgeError E_TARGET_PROFILE when the profile lists no precision (a validated profile always does)
 * @example bestPrecision(await loadTarget('jetson-tx2-8gb')) // 'fp16' (no INT8 on Pascal sm_62)
 */
export function bestPrecision(target: TargetProfile): Precision {
  const supported = computePrecisions(target);
  const best = PRECISION_PREFERENCE.find((p) => supported.includes(p));
  if (!best)
    throw new EdgeError('E_TARGET_PROFILE', 'the profile lists no precision for its compute unit', {
      file: target.file,
      field: 'gpu.precisions',
    });
  return best;
}

/** The arithmetic unit a precision runs on for this target. */
export function mathUnitFor(target: TargetProfile, precision: Precision): MathUnit {
  if (!target.gpu) return 'cpu';
  if (precision !== 'fp32' && target.gpu.tensorCores.value > 0) return 'tensor-core';
  return 'cuda-core';
}

function checkPrecision(target: TargetProfile, precision: unknown): Precision {
  if (!PRECISIONS.includes(precision as Precision)) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `Expected one of ${PRECISIONS.join(', ')} for precision but received ${JSON.stringify(precision)}`,
      { field: 'precision' },
    );
  }
  const supported = computePrecisions(target);
  if (!supported.includes(precision as Precision)) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `${target.id} does not support ${precision as string} (its ${target.gpu ? 'GPU' : 'CPU runtime'} supports ${supported.join(', ')})`,
      {
        field: 'precision',
        hint: `use bestPrecision(): ${bestPrecision(target)}`,
      },
    );
  }
  return precision as Precision;
}

/**
 * Dense peak of the compute unit for a precision, in operations per second, with its provenance.
 * @throws EdgeError E_INVALID_ARGUMENT for a precision the target does not support
 */
export function peakThroughput(
  target: TargetProfile,
  precision: Precision,
): TargetFact<number> & { opsPerSecond: number } {
  const p = checkPrecision(target, precision);
  const t = target.throughput;
  const fact = p === 'int8' ? t.int8DenseTops : p === 'fp16' ? t.fp16DenseTflops : t.fp32Tflops;
  // The rules guarantee a figure for every supported precision; a hand-built profile may not.
  if (!fact)
    throw new EdgeError('E_TARGET_PROFILE', `no ${p} throughput in the profile`, {
      file: target.file,
      field: 'throughput',
    });
  return { ...fact, opsPerSecond: fact.value * 1e12 };
}

/**
 * Throughput the planner divides a model's operation count by: the dense peak times the
 * utilisation policy for the math unit and precision (defaults.ts, targets/README.md#utilisation).
 * Operations count a multiply-add as two.
 * @param target a resolved profile
 * @param precision the precision the engine is built in
 * @returns operations per second
 * @throws EdgeError E_INVALID_ARGUMENT when the target does not support `precision`
 * @example const seconds = 2 * macs / effectiveThroughput(target, 'fp16');
 */
export function effectiveThroughput(target: TargetProfile, precision: Precision): number {
  const peak = peakThroughput(target, precision);
  return peak.opsPerSecond * UTILISATION[mathUnitFor(target, precision)][precision];
}

/**
 * Bytes the model (weights + activations + TensorRT workspace) may use: the target's memory minus
 * the reserve for the OS, the inference runtime and the camera pipeline.
 * @example modelMemoryBudget(target) / 2 ** 30 // GiB left for the model
 */
export function modelMemoryBudget(target: TargetProfile): number {
  return Math.max(0, target.memory.totalBytes - target.reserve.totalBytes);
}

/**
 * Distinct TensorRT versions across the target's software lines, ascending; empty on CPU targets.
 * @example tensorrtVersionsFor(orinNano) // ['8.5.2', '8.6.2', '10.3', '10.16']
 */
export function tensorrtVersionsFor(target: TargetProfile): string[] {
  const versions = new Set(target.software.map((l) => l.tensorrt?.value).filter((v): v is string => v !== undefined));
  return [...versions].sort(compareVersions);
}

/**
 * Whether TensorRT `trtVersion` can place layers on this target's DLA cores. `trtVersion` may be
 * more or less precise than the profile's ("10.3.0.30" matches a "10.3" line).
 * @throws EdgeError E_INVALID_ARGUMENT when `trtVersion` is not a version, or is a TensorRT
 *   version none of the target's software lines ships (the answer would be a guess)
 * @example dlaUsable(agxOrin64, '10.3') // true; dlaUsable(agxOrin64, '10.16') // false
 */
export function dlaUsable(target: TargetProfile, trtVersion: string): boolean {
  if (typeof trtVersion !== 'string' || (parseVersion(trtVersion)?.length ?? 0) < 2) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `Expected a TensorRT version like "10.3" for trtVersion but received ${JSON.stringify(trtVersion)}`,
      { field: 'trtVersion' },
    );
  }
  if (target.dla.count.value === 0) return false;
  const lines = target.software.filter((l) => l.tensorrt && versionsMatch(l.tensorrt.value, trtVersion));
  if (lines.length === 0) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `TensorRT ${trtVersion} is not on any software line of ${target.id} (known: ${tensorrtVersionsFor(target).join(', ')})`,
      {
        field: 'trtVersion',
      },
    );
  }
  return lines.every((l) => l.dla.value);
}
