/**
 * What `compile` will do for a package and a device target (pure: no I/O): the precision (the
 * target's best when asked for `best`), the software line (JetPack and TensorRT) the engines are
 * for, the DLA core, and one engine per entry. Every refusal is decided here, before anything is
 * written.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { PackageManifest } from '../../sdk/internal.js';
import { bestPrecision, computePrecisions } from '../../sdk/internal.js';
import type { TargetProfile, TargetSoftwareLine } from '../../sdk/internal.js';
import { compareVersions } from '../../sdk/internal.js';
import type { Precision, WrittenEngineSpec } from '../../sdk/internal.js';

/** What the manifest records under `extensions.target`. */
export interface TargetRecord {
  id: string;
  name: string;
  runtime: 'tensorrt' | 'onnxruntime';
  sm: string | null;
  jetpack: string | null;
  tensorrt: string | null;
  precision: Precision;
  dlaCore: number | null;
}

export interface CompilePlan {
  target: TargetRecord;
  precision: Precision;
  /** Engines to build (TensorRT targets only). */
  engines: WrittenEngineSpec[];
  /** Where each engine's plan goes in the package. */
  enginePaths: Record<string, string>;
}

export interface CompilePlanOptions {
  precision?: Precision | 'best';
  dla?: number;
  /** JetPack (or software line name) to build for; default: the newest line with a TensorRT version. */
  jetpack?: string;
  /** Largest batch of the optimisation profile. Default 1. */
  maxBatch?: number;
  entries?: string[];
}

/** The target a package was compiled for, if any. */
export function packageTarget(m: PackageManifest): TargetRecord | undefined {
  const t = m.extensions?.target as TargetRecord | undefined;
  return t && typeof t === 'object' && typeof t.id === 'string' ? t : undefined;
}

function chooseLine(target: TargetProfile, jetpack: string | undefined): TargetSoftwareLine | undefined {
  const lines = target.software.filter((l) => l.tensorrt);
  if (target.runtime !== 'tensorrt') return undefined;
  if (jetpack !== undefined) {
    const line = lines.find((l) => l.jetpack === jetpack || l.name === jetpack);
    if (!line)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `${target.id} has no software line ${JSON.stringify(jetpack)} with TensorRT; it has ${lines.map((l) => l.jetpack ?? l.name).join(', ')}`,
        { field: 'jetpack' },
      );
    return line;
  }
  return [...lines].sort((a, b) => compareVersions(a.tensorrt!.value, b.tensorrt!.value)).pop();
}

/**
 * Plans a compile.
 * @throws EdgeError E_TARGET_MISMATCH (package already made for another target),
 *   E_INVALID_ARGUMENT (precision or DLA core the target does not have, unknown JetPack line)
 */
export function planCompile(m: PackageManifest, target: TargetProfile, o: CompilePlanOptions = {}): CompilePlan {
  const existing = packageTarget(m);
  if (existing && existing.id !== target.id) {
    throw new EdgeError(
      'E_TARGET_MISMATCH',
      `package ${m.name} was made for ${existing.id} (${existing.precision}), not ${target.id}`,
      {
        field: 'extensions.target',
        hint: `compile the fp32 source package for ${target.id} instead`,
      },
    );
  }
  const supported = computePrecisions(target);
  const precision: Precision =
    o.precision === undefined || o.precision === 'best' ? bestPrecision(target) : o.precision;
  if (!supported.includes(precision)) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `${target.id} does not support ${precision}: its ${target.gpu ? 'GPU' : 'CPU runtime'} runs ${supported.join(', ')}`,
      {
        field: 'precision',
        hint: `use option precision best (${bestPrecision(target)} here)`,
      },
    );
  }
  const line = chooseLine(target, o.jetpack);
  let dlaCore: number | null = null;
  if (o.dla !== undefined) {
    const cores = target.dla.count.value;
    if (!Number.isInteger(o.dla) || o.dla < 0 || o.dla >= cores) {
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `${target.id} has ${cores === 0 ? 'no DLA core' : `${cores} DLA core${cores > 1 ? 's' : ''} (0${cores > 1 ? `..${cores - 1}` : ''})`}; option dla ${o.dla} is not one of them`,
        { field: 'dla' },
      );
    }
    if (!target.dla.precisions.value.includes(precision)) {
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `the DLA of ${target.id} runs ${target.dla.precisions.value.join(', ')}, not ${precision}`,
        { field: 'dla' },
      );
    }
    if (line && !line.dla.value)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `TensorRT ${line.tensorrt!.value} (${line.jetpack ?? line.name}) cannot use the DLA of ${target.id}`,
        { field: 'dla', hint: 'choose an older line with option jetpack' },
      );
    dlaCore = o.dla;
  }
  const record: TargetRecord = {
    id: target.id,
    name: target.name,
    runtime: target.runtime,
    sm: target.gpu?.sm ?? null,
    jetpack: line?.jetpack ?? null,
    tensorrt: line?.tensorrt?.value ?? null,
    precision,
    dlaCore,
  };
  const entries = o.entries?.length ? m.entries.filter((e) => o.entries!.includes(e.name)) : m.entries;
  const engines: WrittenEngineSpec[] = [];
  const enginePaths: Record<string, string> = {};
  if (target.runtime === 'tensorrt') {
    const max = o.maxBatch ?? 1;
    for (const e of entries) {
      engines.push({
        entry: e.name,
        precision,
        typing: 'auto',
        dlaCore,
        gpuFallback: true,
        profile: { min: 1, opt: max, max },
        calibrationCache: null,
      });
      enginePaths[e.name] = `engines/${e.name}.${precision}${dlaCore !== null ? `.dla${dlaCore}` : ''}.plan`;
    }
  }
  return { target: record, precision, engines, enginePaths };
}
