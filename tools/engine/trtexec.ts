/**
 * The trtexec command line equivalent to one engine of a build spec, for vendors who build engines
 * with NVIDIA's tool instead of the SDK. Flags were checked against samples/common/sampleOptions.cpp
 * of TensorRT 8.5.2, 8.6.1, 10.3.0, 10.16 and 11.1:
 * - `--memPoolSize=workspace:<N>` is MiB on 8.x; 10+ takes unit suffixes (`<N>M`).
 * - `--fp16`, `--int8`, `--calib` exist up to 10.x (deprecated from 10.12); 11.x removed them
 *   (strong typing only).
 * - `--stronglyTyped` from 10.0 (9.x); `--builderOptimizationLevel` and `--skipInference` from 8.6
 *   (8.5 has `--buildOnly`).
 * - `--useDLACore`, `--allowGPUFallback`, `--min/opt/maxShapes`, `--timingCacheFile`, `--onnx`,
 *   `--saveEngine` in all of them.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { EngineSpec } from '../../sdk/internal.js';

/** Version of the TensorRT the command is for. */
export interface TrtVersion {
  major: number;
  minor: number;
}

/** Parses `10.3`, `10.3.0`, `8.6.2`. @throws EdgeError E_INVALID_ARGUMENT */
export function parseTrtVersion(text: string): TrtVersion {
  const m = /^(\d+)\.(\d+)(?:\.\d+){0,2}$/.exec(text.trim());
  if (!m)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `expected a TensorRT version like 10.3 or 8.6.2, got ${JSON.stringify(text)}`,
      { field: '--trt' },
    );
  const v = { major: Number(m[1]), minor: Number(m[2]) };
  if (v.major < 8 || (v.major === 8 && v.minor < 5))
    throw new EdgeError('E_INVALID_ARGUMENT', `TensorRT ${text} is older than 8.5, which the SDK does not support`, {
      field: '--trt',
    });
  return v;
}

/** Input shapes for the profile flags: name → dims after the batch axis. */
export type InputShapes = Record<string, number[]>;

/** Paths trtexec reads and writes (as they will be on the device). */
export interface TrtexecPaths {
  onnx: string;
  engine: string;
  calibrationCache?: string;
  timingCache?: string;
}

/** argv (without the program name) and a shell-quoted line. */
export interface TrtexecCommand {
  argv: string[];
  line: string;
  /** Options of the spec that trtexec of this version cannot express, with why. */
  notes: string[];
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_./:=,+@%-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function shapeFlag(flag: string, shapes: InputShapes, batch: number): string {
  const parts = Object.entries(shapes).map(([name, dims]) => {
    if (/[:,]/.test(name))
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `input name ${JSON.stringify(name)} contains ':' or ',', which trtexec shape specs cannot express`,
        { field: 'inputs' },
      );
    return `${name}:${[batch, ...dims].join('x')}`;
  });
  return `${flag}=${parts.join(',')}`;
}

/**
 * The trtexec command for `spec` on TensorRT `version`.
 * @throws EdgeError E_INVALID_ARGUMENT when the spec needs something this version lacks (implicit INT8 on 11)
 * @example
 * trtexecCommand(spec, { major: 10, minor: 3 }, { onnx: 'g.onnx', engine: 'g.plan' }, { image: [3, 224, 224] }).line
 */
export function trtexecCommand(
  spec: EngineSpec,
  version: TrtVersion,
  paths: TrtexecPaths,
  shapes: InputShapes = {},
): TrtexecCommand {
  const v = version;
  const atLeast = (major: number, minor = 0) => v.major > major || (v.major === major && v.minor >= minor);
  const argv = [`--onnx=${paths.onnx}`, `--saveEngine=${paths.engine}`];
  const notes: string[] = [];
  const strong = spec.typing === 'strong' || (spec.typing === 'auto' && atLeast(11));
  if (strong && !atLeast(10))
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `strongly typed builds need TensorRT 10 or newer (target ${v.major}.${v.minor})`,
      { field: 'typing' },
    );
  if (!strong && atLeast(11))
    throw new EdgeError('E_INVALID_ARGUMENT', `TensorRT ${v.major}.${v.minor} builds only strongly typed networks`, {
      field: 'typing',
    });
  if (strong) {
    argv.push('--stronglyTyped');
    if (spec.precision !== 'fp32')
      notes.push(
        `strongly typed: ${spec.precision} comes from the graph's tensor types and Q/DQ nodes, not from a flag`,
      );
    if (spec.calibrationCache !== null) {
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `TensorRT ${v.major}.${v.minor} strongly typed builds cannot use a calibration cache; quantize the graph to Q/DQ form`,
        { field: 'calibrationCache' },
      );
    }
  } else {
    if (spec.precision === 'fp16' || spec.precision === 'int8') argv.push('--fp16');
    if (spec.precision === 'int8') argv.push('--int8');
    if (spec.calibrationCache !== null) {
      if (!paths.calibrationCache)
        throw new EdgeError('E_INVALID_ARGUMENT', 'the spec names a calibration cache but no path was given for it', {
          field: 'calibrationCache',
        });
      argv.push(`--calib=${paths.calibrationCache}`);
    }
  }
  if (spec.dlaCore !== null) {
    argv.push(`--useDLACore=${spec.dlaCore}`);
    if (spec.gpuFallback) argv.push('--allowGPUFallback');
  }
  if (spec.workspaceMiB !== null) argv.push(`--memPoolSize=workspace:${spec.workspaceMiB}${atLeast(10) ? 'M' : ''}`);
  if (Object.keys(shapes).length > 0) {
    argv.push(
      shapeFlag('--minShapes', shapes, spec.profile.min),
      shapeFlag('--optShapes', shapes, spec.profile.opt),
      shapeFlag('--maxShapes', shapes, spec.profile.max),
    );
  } else if (spec.profile.max > 1) {
    notes.push('no input shapes given: a dynamic-batch graph needs --minShapes/--optShapes/--maxShapes');
  }
  if (spec.timingCache !== null && paths.timingCache) argv.push(`--timingCacheFile=${paths.timingCache}`);
  if (spec.optimizationLevel !== null) {
    if (atLeast(8, 6)) argv.push(`--builderOptimizationLevel=${spec.optimizationLevel}`);
    else notes.push(`--builderOptimizationLevel needs TensorRT 8.6+; level ${spec.optimizationLevel} dropped`);
  }
  argv.push(atLeast(8, 6) ? '--skipInference' : '--buildOnly');
  return { argv, line: ['trtexec', ...argv].map(quote).join(' '), notes };
}
