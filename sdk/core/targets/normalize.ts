/**
 * Written profile → resolved profile. Runs only on input that passed the schema, so it trusts the
 * shape; it fills absent sections, turns every source into an array, gives plain values inside an
 * attested record that record's provenance, and derives the values programs compute with.
 * Pure: no file access, no rules (those are in rules.ts).
 */
import type {
  TargetCpu,
  TargetDla,
  TargetFact,
  TargetGpu,
  TargetMemory,
  TargetPower,
  TargetPowerModeSet,
  TargetProfile,
  TargetReserve,
  TargetRuntime,
  TargetSoftwareLine,
  TargetThroughput,
} from './resolved.js';
import type {
  WrittenAttestation,
  WrittenFact,
  WrittenPowerModeSet,
  WrittenSoftwareLine,
  WrittenTargetProfile,
} from './written.js';
import { DEFAULT_INT8_FORMAT } from './defaults.js';

/** Bytes in one GiB. */
export const GIB = 2 ** 30;

function sourcesOf(a: WrittenAttestation): string[] {
  if (a.source === undefined) return [];
  return Array.isArray(a.source) ? [...a.source] : [a.source];
}

/** A written fact as a resolved one. */
export function resolveFact<T>(f: WrittenFact<T>): TargetFact<T> {
  return {
    value: f.value,
    confidence: f.confidence,
    sources: sourcesOf(f),
    ...(f.note !== undefined ? { note: f.note } : {}),
  };
}

function opt<T>(f: WrittenFact<T> | undefined): TargetFact<T> | null {
  return f === undefined ? null : resolveFact(f);
}

/** A plain value attested by its enclosing record. */
function attested<T>(value: T, record: WrittenAttestation): TargetFact<T> {
  return resolveFact({ ...record, value });
}

/** "8.7" → "sm_87". */
export function smOf(computeCapability: string): string {
  return `sm_${computeCapability.replace('.', '')}`;
}

function gpuOf(w: WrittenTargetProfile): TargetGpu | null {
  const g = w.gpu;
  if (!g) return null;
  return {
    architecture: resolveFact(g.architecture),
    computeCapability: resolveFact(g.computeCapability),
    sm: smOf(g.computeCapability.value),
    otherComputeCapabilities: opt(g.otherComputeCapabilities),
    cudaCores: resolveFact(g.cudaCores),
    tensorCores: resolveFact(g.tensorCores),
    maxClockMHz: opt(g.maxClockMHz),
    precisions: resolveFact(g.precisions),
  };
}

function cpuOf(w: WrittenTargetProfile): TargetCpu {
  return {
    cores: resolveFact(w.cpu.cores),
    model: opt(w.cpu.model),
    isa: w.cpu.isa,
    precisions: opt(w.cpu.precisions),
  };
}

function memoryOf(w: WrittenTargetProfile): TargetMemory {
  const m = w.memory;
  return {
    totalGiB: resolveFact(m.totalGiB),
    totalBytes: Math.round(m.totalGiB.value * GIB),
    type: opt(m.type),
    busWidthBits: opt(m.busWidthBits),
    bandwidthGBps: resolveFact(m.bandwidthGBps),
    bandwidthBytesPerSecond: m.bandwidthGBps.value * 1e9,
    unified: resolveFact(m.unified),
    hostGiB: opt(m.hostGiB),
  };
}

function reserveOf(w: WrittenTargetProfile): TargetReserve {
  const r = w.reserve;
  const gib = r.osGiB.value + r.runtimeGiB.value + r.pipelineGiB.value;
  return {
    osGiB: resolveFact(r.osGiB),
    runtimeGiB: resolveFact(r.runtimeGiB),
    pipelineGiB: resolveFact(r.pipelineGiB),
    totalBytes: Math.round(gib * GIB),
  };
}

/** A target without a DLA section has none; that absence is stated by the profile's kind. */
function dlaOf(w: WrittenTargetProfile): TargetDla {
  if (!w.dla) {
    const none: WrittenAttestation = {
      confidence: 'derived',
      note: `a ${w.kind} target has no DLA section, so no DLA cores`,
    };
    return { count: attested(0, none), generation: null, precisions: attested([], none) };
  }
  return {
    count: resolveFact(w.dla.count),
    generation: opt(w.dla.generation),
    precisions: resolveFact(w.dla.precisions),
  };
}

function throughputOf(w: WrittenTargetProfile): TargetThroughput {
  const t = w.throughput;
  const p = t.published;
  return {
    int8DenseTops: opt(t.int8DenseTops),
    fp16DenseTflops: opt(t.fp16DenseTflops),
    fp32Tflops: opt(t.fp32Tflops),
    published: p
      ? {
          scope: p.scope,
          int8SparseTops: opt(p.int8SparseTops),
          int8DenseTops: opt(p.int8DenseTops),
          fp4SparseTflops: opt(p.fp4SparseTflops),
        }
      : null,
  };
}

function modeSetOf(s: WrittenPowerModeSet): TargetPowerModeSet {
  return {
    name: s.name,
    defaultMode: s.defaultMode,
    minJetPack: opt(s.minJetPack),
    confidence: s.confidence,
    sources: sourcesOf(s),
    ...(s.note !== undefined ? { note: s.note } : {}),
    modes: s.modes.map((m) => ({
      name: m.name,
      isDefault: m.name === s.defaultMode,
      watts: attested(m.watts, s),
      gpuMaxMHz: m.gpuMaxMHz === undefined ? null : attested(m.gpuMaxMHz, s),
      cpuCoresOnline: m.cpuCoresOnline === undefined ? null : attested(m.cpuCoresOnline, s),
      int8SparseTops: opt(m.int8SparseTops),
      int8DenseTops: opt(m.int8DenseTops),
    })),
  };
}

function powerOf(w: WrittenTargetProfile): TargetPower {
  return { maxPowerW: opt(w.power?.maxPowerW), modeSets: (w.power?.modeSets ?? []).map(modeSetOf) };
}

function softwareLineOf(l: WrittenSoftwareLine, hasDla: boolean): TargetSoftwareLine {
  const noDla: WrittenAttestation = { confidence: 'derived', note: 'the device has no DLA cores' };
  return {
    name: l.name,
    jetpack: l.jetpack ?? null,
    support: attested(true as const, l),
    l4t: opt(l.l4t),
    cuda: opt(l.cuda),
    cudnn: opt(l.cudnn),
    tensorrt: opt(l.tensorrt),
    onnxruntime: opt(l.onnxruntime),
    dla: l.dla
      ? resolveFact(l.dla)
      : attested(false, hasDla ? { confidence: 'derived', note: 'the line does not state DLA support' } : noDla),
  };
}

/**
 * Resolves a schema-valid written profile.
 * @param written the parsed file, already checked against TARGET_PROFILE_SCHEMA
 * @param file where it came from, kept on the result
 */
export function normalizeWrittenTarget(written: WrittenTargetProfile, file: string): TargetProfile {
  const dla = dlaOf(written);
  const runtime: TargetRuntime = written.kind === 'cpu' ? 'onnxruntime' : 'tensorrt';
  return {
    schemaVersion: written.schemaVersion,
    id: written.id,
    name: written.name,
    kind: written.kind,
    aliases: [...(written.aliases ?? [])],
    description: written.description ?? null,
    notes: [...(written.notes ?? [])],
    file,
    runtime,
    gpu: gpuOf(written),
    cpu: cpuOf(written),
    memory: memoryOf(written),
    reserve: reserveOf(written),
    dla,
    throughput: throughputOf(written),
    power: powerOf(written),
    software: written.software.map((l) => softwareLineOf(l, dla.count.value > 0)),
    int8Format: written.int8Format
      ? { value: written.int8Format, origin: 'profile' }
      : { value: DEFAULT_INT8_FORMAT[runtime], origin: 'runtime default' },
    warnings: [],
  };
}
