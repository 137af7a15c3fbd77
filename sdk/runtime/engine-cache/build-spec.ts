/**
 * The engine build spec: a JSON file shipped inside a model package (`engines/build-spec.json`)
 * that tells a device how to build its TensorRT engines on first start (the toolchain writes it,
 * tools/engine/). Parsed in three steps (P4): JSON → written form, normalise → resolved form, rules
 * → every issue at once.
 */
import { EdgeError } from '../../core/errors.js';
import type { PackageManifest } from '../../package/package-manifest.js';

export const BUILD_SPEC_FORMAT = 'ringmoe-edge/engine-build-spec';
export const BUILD_SPEC_FORMAT_VERSION = 1;
/** Where a package keeps its build spec. */
export const BUILD_SPEC_FILE = 'engines/build-spec.json';

export type Precision = 'fp32' | 'fp16' | 'int8';
export type Typing = 'auto' | 'weak' | 'strong';

/** One engine as written in the file (optional fields may be absent). */
export interface WrittenEngineSpec {
  entry: string;
  graph?: string;
  precision?: Precision;
  typing?: Typing;
  dlaCore?: number | null;
  gpuFallback?: boolean;
  workspaceMiB?: number;
  profile?: { min?: number; opt?: number; max?: number };
  calibrationCache?: string | null;
  timingCache?: string | null;
  optimizationLevel?: number | null;
}

/** The file as written. */
export interface WrittenBuildSpec {
  format: typeof BUILD_SPEC_FORMAT;
  formatVersion: number;
  engines: WrittenEngineSpec[];
}

/** One engine with every default applied. Paths are relative to the package root. */
export interface EngineSpec {
  entry: string;
  graph: string;
  precision: Precision;
  typing: Typing;
  /** DLA core, or null for the GPU. */
  dlaCore: number | null;
  gpuFallback: boolean;
  /** Workspace memory-pool limit in MiB, or null for TensorRT's default. */
  workspaceMiB: number | null;
  profile: { min: number; opt: number; max: number };
  calibrationCache: string | null;
  timingCache: string | null;
  optimizationLevel: number | null;
}

/** A validated spec. */
export interface BuildSpec {
  format: typeof BUILD_SPEC_FORMAT;
  formatVersion: number;
  engines: EngineSpec[];
}

/** One problem found in a spec. */
export interface SpecIssue {
  field: string;
  message: string;
}

/** Result of {@link checkBuildSpec}: the resolved spec plus every error and warning. */
export interface SpecCheck {
  spec?: BuildSpec;
  errors: SpecIssue[];
  warnings: SpecIssue[];
}

const ENGINE_KEYS = [
  'entry',
  'graph',
  'precision',
  'typing',
  'dlaCore',
  'gpuFallback',
  'workspaceMiB',
  'profile',
  'calibrationCache',
  'timingCache',
  'optimizationLevel',
];
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPosInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;

function relPath(v: unknown): boolean {
  return (
    typeof v === 'string' && v.length > 0 && !v.startsWith('/') && !v.includes('\\') && !v.split('/').includes('..')
  );
}

/** Normalises one engine entry; pushes errors for values of the wrong type. */
function normalizeEngine(
  w: Record<string, unknown>,
  i: number,
  manifest: PackageManifest | undefined,
  errors: SpecIssue[],
): EngineSpec | undefined {
  const f = (name: string) => `engines[${i}].${name}`;
  const err = (name: string, message: string) => errors.push({ field: f(name), message });
  for (const k of Object.keys(w))
    if (!ENGINE_KEYS.includes(k)) err(k, `unknown field; known: ${ENGINE_KEYS.join(', ')}`);
  if (typeof w.entry !== 'string' || w.entry.length === 0) {
    err('entry', 'must be a non-empty string');
    return undefined;
  }
  const fromManifest = manifest?.entries.find((e) => e.name === w.entry);
  const graph = w.graph ?? fromManifest?.graph;
  if (!relPath(graph))
    err('graph', 'must be a relative path inside the package (or the entry must exist in the manifest)');
  const precision = w.precision ?? 'fp16';
  if (!['fp32', 'fp16', 'int8'].includes(precision as string)) err('precision', 'must be "fp32", "fp16" or "int8"');
  const typing = w.typing ?? 'auto';
  if (!['auto', 'weak', 'strong'].includes(typing as string)) err('typing', 'must be "auto", "weak" or "strong"');
  const dlaCore = w.dlaCore ?? null;
  if (dlaCore !== null && !(Number.isInteger(dlaCore) && (dlaCore as number) >= 0 && (dlaCore as number) <= 1))
    err('dlaCore', 'must be null, 0 or 1 (Jetson modules have at most two DLA cores)');
  const gpuFallback = w.gpuFallback ?? true;
  if (typeof gpuFallback !== 'boolean') err('gpuFallback', 'must be a boolean');
  const workspaceMiB = w.workspaceMiB ?? null;
  if (workspaceMiB !== null && !isPosInt(workspaceMiB))
    err('workspaceMiB', 'must be a positive integer (MiB) or absent');
  const p = w.profile ?? {};
  let profile = { min: 1, opt: 1, max: 1 };
  if (!isObj(p)) err('profile', 'must be an object {min, opt, max}');
  else {
    const max = p.max ?? 1;
    const min = p.min ?? 1;
    const opt = p.opt ?? max;
    if (![min, opt, max].every(isPosInt)) err('profile', 'min, opt and max must be positive integers');
    else profile = { min: min as number, opt: opt as number, max: max as number };
  }
  const calibrationCache = w.calibrationCache ?? null;
  if (calibrationCache !== null && !relPath(calibrationCache))
    err('calibrationCache', 'must be a relative path inside the package or null');
  const timingCache = w.timingCache ?? null;
  if (timingCache !== null && !relPath(timingCache))
    err('timingCache', 'must be a relative path inside the package or null');
  const optimizationLevel = w.optimizationLevel ?? null;
  if (
    optimizationLevel !== null &&
    !(Number.isInteger(optimizationLevel) && (optimizationLevel as number) >= 0 && (optimizationLevel as number) <= 5)
  ) {
    err('optimizationLevel', 'must be an integer 0-5 or null');
  }
  return {
    entry: w.entry,
    graph: graph as string,
    precision: precision as Precision,
    typing: typing as Typing,
    dlaCore: dlaCore as number | null,
    gpuFallback: gpuFallback as boolean,
    workspaceMiB: workspaceMiB as number | null,
    profile,
    calibrationCache: calibrationCache as string | null,
    timingCache: timingCache as string | null,
    optimizationLevel: optimizationLevel as number | null,
  };
}

// Cross-field rules, one small function each (P4).
type Rule = (
  e: EngineSpec,
  i: number,
  manifest: PackageManifest | undefined,
  out: { errors: SpecIssue[]; warnings: SpecIssue[] },
) => void;

const RULES: Rule[] = [
  function profileOrder(e, i, _m, { errors }) {
    if (!(e.profile.min <= e.profile.opt && e.profile.opt <= e.profile.max)) {
      errors.push({
        field: `engines[${i}].profile`,
        message: `must satisfy min <= opt <= max (got ${e.profile.min}/${e.profile.opt}/${e.profile.max})`,
      });
    }
  },
  function dlaPrecision(e, i, _m, { errors }) {
    if (e.dlaCore !== null && e.precision === 'fp32')
      errors.push({
        field: `engines[${i}].precision`,
        message: 'the DLA runs only fp16 and int8; fp32 cannot target a DLA core',
      });
  },
  function calibrationOnlyForInt8(e, i, _m, { errors, warnings }) {
    if (e.calibrationCache !== null && e.precision !== 'int8')
      errors.push({ field: `engines[${i}].calibrationCache`, message: 'is only used with precision "int8"' });
    if (e.calibrationCache !== null && e.typing === 'strong') {
      errors.push({
        field: `engines[${i}].calibrationCache`,
        message:
          'strongly typed networks (and TensorRT 11) take INT8 only from Q/DQ nodes, not from a calibration cache',
      });
    }
    if (e.precision === 'int8' && e.calibrationCache === null) {
      warnings.push({
        field: `engines[${i}].precision`,
        message: 'int8 without a calibration cache needs QuantizeLinear/DequantizeLinear nodes in the graph',
      });
    }
    if (e.calibrationCache !== null) {
      warnings.push({
        field: `engines[${i}].calibrationCache`,
        message:
          'implicit INT8 calibration is deprecated from TensorRT 10.1 and removed in 11; such devices need a Q/DQ graph',
      });
    }
  },
  function entryInManifest(e, i, m, { errors }) {
    if (!m) return;
    const entry = m.entries.find((x) => x.name === e.entry);
    if (!entry)
      errors.push({
        field: `engines[${i}].entry`,
        message: `package has no entry ${JSON.stringify(e.entry)}; entries: ${m.entries.map((x) => x.name).join(', ')}`,
      });
    else if (entry.graph !== e.graph)
      errors.push({ field: `engines[${i}].graph`, message: `entry ${e.entry} uses ${entry.graph}, not ${e.graph}` });
  },
  function filesInManifest(e, i, m, { errors }) {
    if (!m || e.calibrationCache === null) return;
    const rec = m.files[e.calibrationCache];
    if (!rec)
      errors.push({
        field: `engines[${i}].calibrationCache`,
        message: `${e.calibrationCache} is not listed in the package manifest`,
      });
    else if (rec.role !== 'calibration')
      errors.push({
        field: `engines[${i}].calibrationCache`,
        message: `${e.calibrationCache} has role ${rec.role}, not calibration`,
      });
  },
];

function uniqueEngines(spec: BuildSpec, errors: SpecIssue[]): void {
  const seen = new Map<string, number>();
  spec.engines.forEach((e, i) => {
    const id = `${e.entry}/${e.precision}/${e.dlaCore ?? 'gpu'}/${e.profile.min}-${e.profile.opt}-${e.profile.max}`;
    const prev = seen.get(id);
    if (prev !== undefined)
      errors.push({ field: `engines[${i}]`, message: `builds the same engine as engines[${prev}] (${id})` });
    seen.set(id, i);
  });
}

/**
 * Parses and checks a spec; never throws. With `manifest`, entries and files are checked against it.
 * @example
 * const { spec, errors } = checkBuildSpec(JSON.parse(text), manifest);
 */
export function checkBuildSpec(value: unknown, manifest?: PackageManifest): SpecCheck {
  const errors: SpecIssue[] = [];
  const warnings: SpecIssue[] = [];
  if (!isObj(value)) return { errors: [{ field: '', message: 'must be a JSON object' }], warnings };
  if (value.format !== BUILD_SPEC_FORMAT)
    errors.push({ field: 'format', message: `must be ${JSON.stringify(BUILD_SPEC_FORMAT)}` });
  if (value.formatVersion !== BUILD_SPEC_FORMAT_VERSION)
    errors.push({ field: 'formatVersion', message: `must be ${BUILD_SPEC_FORMAT_VERSION}` });
  if (!Array.isArray(value.engines) || value.engines.length === 0) {
    errors.push({ field: 'engines', message: 'must be a non-empty array' });
    return { errors, warnings };
  }
  const engines: EngineSpec[] = [];
  value.engines.forEach((w, i) => {
    if (!isObj(w)) {
      errors.push({ field: `engines[${i}]`, message: 'must be an object' });
      return;
    }
    const e = normalizeEngine(w, i, manifest, errors);
    if (e) engines.push(e);
  });
  if (errors.length > 0) return { errors, warnings };
  const spec: BuildSpec = { format: BUILD_SPEC_FORMAT, formatVersion: BUILD_SPEC_FORMAT_VERSION, engines };
  engines.forEach((e, i) => RULES.forEach((rule) => rule(e, i, manifest, { errors, warnings })));
  uniqueEngines(spec, errors);
  return errors.length > 0 ? { errors, warnings } : { spec, errors, warnings };
}

/**
 * {@link checkBuildSpec} that throws one error listing every problem.
 * @throws EdgeError E_CONFIG
 */
export function parseBuildSpec(value: unknown, file: string, manifest?: PackageManifest): BuildSpec {
  const r = checkBuildSpec(value, manifest);
  if (!r.spec) {
    const list = r.errors.map((e) => `${e.field || '(root)'}: ${e.message}`).join('; ');
    throw new EdgeError('E_CONFIG', `engine build spec is invalid: ${list}`, { file, field: r.errors[0]!.field });
  }
  return r.spec;
}
