/**
 * Cross-field rules over a schema-valid profile: one small named function per rule, each pushing
 * to `errors` or `warnings` (P4). They see both the written form (for paths and provenance) and
 * the resolved one (for derived values). They hold no device facts: only relations between fields.
 */
import type { ProfileIssue } from './issues.js';
import type { TargetProfile } from './resolved.js';
import { compareVersions } from './versions.js';
import { SOURCED_CONFIDENCE, type Precision, type WrittenAttestation, type WrittenTargetProfile } from './written.js';

/** What a rule sees and where it reports. */
export interface RuleContext {
  written: WrittenTargetProfile;
  profile: TargetProfile;
  error(field: string, message: string): void;
  warn(field: string, message: string): void;
}

/** A named cross-field rule. */
export type ProfileRule = (ctx: RuleContext) => void;

/** Sourced facts need a URL; derived, estimated, assumed and policy values need a note saying how. */
export const provenanceIsComplete: ProfileRule = (ctx) => {
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${path}[${i}]`));
    if (typeof node !== 'object' || node === null) return;
    const rec = node as Record<string, unknown> & Partial<WrittenAttestation>;
    if (typeof rec.confidence === 'string') {
      const hasSource = rec.source !== undefined && (!Array.isArray(rec.source) || rec.source.length > 0);
      if (SOURCED_CONFIDENCE.includes(rec.confidence) && !hasSource) {
        ctx.error(`${path}.source`, `a "${rec.confidence}" value needs a source URL`);
      }
      if (!SOURCED_CONFIDENCE.includes(rec.confidence) && !rec.note) {
        ctx.error(`${path}.note`, `a "${rec.confidence}" value needs a note that says how it was obtained`);
      }
    }
    for (const [k, v] of Object.entries(rec)) visit(v, path ? `${path}.${k}` : k);
  };
  visit(ctx.written, '');
};

/** The INT8 format is one the target's runtime executes: TensorRT has no run-time quantized MatMuls. */
export const int8FormatFitsRuntime: ProfileRule = ({ profile: p, error, warn }) => {
  const f = p.int8Format.value;
  if (p.runtime === 'tensorrt' && f !== 'qdq-symmetric')
    error('int8Format', `${f} is written for onnxruntime's CPU kernels; a TensorRT target reads qdq-symmetric`);
  if (p.runtime === 'onnxruntime' && f === 'qdq-symmetric')
    warn(
      'int8Format',
      "qdq-symmetric runs slower than fp32 on onnxruntime's CPU kernels (int8 activations do not fuse on x86)",
    );
};

/** The sections a kind needs are there, and the ones it cannot have are not. */
export const kindHasItsSections: ProfileRule = ({ written: w, error }) => {
  if (w.kind === 'cpu') {
    if (w.gpu) error('gpu', 'a cpu target runs onnxruntime on the CPU and has no gpu section');
    if (!w.cpu.precisions) error('cpu.precisions', 'a cpu target must list the precisions its CPU runtime executes');
    if (w.dla && w.dla.count.value > 0) error('dla.count', 'a cpu target has no DLA');
  } else if (!w.gpu) {
    error('gpu', `a ${w.kind} target needs a gpu section`);
  }
  if (w.kind === 'jetson') {
    if (!w.dla) error('dla', 'a jetson target must state its DLA cores (count 0 when there are none)');
    if (!w.power)
      error('power', 'a jetson target must list its power modes (an empty modeSets list when none are known)');
    if (!w.memory.unified.value)
      error('memory.unified', 'Jetson memory is unified (CPU, GPU and DLA share one DRAM): must be true');
  }
  if (w.kind === 'x86-gpu' && w.memory.unified.value)
    error('memory.unified', 'a discrete GPU has its own VRAM: must be false');
};

/** DLA count, generation and precisions agree; DLA runs only FP16 and INT8. */
export const dlaIsConsistent: ProfileRule = ({ written: w, error }) => {
  if (!w.dla) return;
  const { count, generation, precisions } = w.dla;
  if (count.value === 0) {
    if (precisions.value.length > 0) {
      error(
        'dla.precisions',
        `lists DLA precisions ${JSON.stringify(precisions.value)} but dla.count is 0 (a device without DLA cores has no DLA precisions)`,
      );
    }
    if (generation) error('dla.generation', 'gives a DLA generation but dla.count is 0');
  } else {
    if (precisions.value.length === 0)
      error('dla.precisions', `dla.count is ${count.value} but no DLA precisions are listed`);
    if (!generation) error('dla.generation', `dla.count is ${count.value} but the DLA generation is missing`);
    const bad = precisions.value.filter((p) => p === 'fp32');
    if (bad.length) error('dla.precisions', 'DLA runs FP16 and INT8 only; fp32 is not a DLA precision');
  }
};

/** Every precision the model's compute unit supports has a throughput figure to plan with. */
export const precisionsHaveThroughput: ProfileRule = ({ profile: p, error }) => {
  const unit = p.kind === 'cpu' ? 'cpu' : 'gpu';
  const declared = unit === 'gpu' ? p.gpu?.precisions : p.cpu.precisions;
  if (!declared) return; // the missing section is reported by kindHasItsSections
  const list: Precision[] = declared.value;
  const field: Record<Precision, keyof typeof p.throughput> = {
    int8: 'int8DenseTops',
    fp16: 'fp16DenseTflops',
    fp32: 'fp32Tflops',
  };
  for (const prec of list) {
    if (!p.throughput[field[prec]])
      error(
        `throughput.${field[prec]}`,
        `${unit}.precisions includes ${prec} but there is no ${prec} throughput to plan with`,
      );
  }
  if (list.length === 0) error(`${unit}.precisions`, 'must list at least one precision');
};

function checkHalf(
  ctx: RuleContext,
  field: string,
  sparse: number | undefined,
  dense: { value: number; confidence: string } | undefined,
): void {
  if (sparse === undefined || dense === undefined || dense.confidence !== 'derived') return;
  if (Math.abs(dense.value - sparse / 2) > 0.01 * sparse) {
    ctx.error(
      field,
      `is marked derived from the sparse figure but ${dense.value} is not ${sparse} / 2 = ${sparse / 2}`,
    );
  }
}

/** A dense figure marked derived from a sparse one is exactly half of it. */
export const derivedDenseIsHalfSparse: ProfileRule = (ctx) => {
  const pub = ctx.written.throughput.published;
  checkHalf(ctx, 'throughput.published.int8DenseTops.value', pub?.int8SparseTops?.value, pub?.int8DenseTops);
  ctx.written.power?.modeSets.forEach((s, i) =>
    s.modes.forEach((m, j) =>
      checkHalf(ctx, `power.modeSets[${i}].modes[${j}].int8DenseTops.value`, m.int8SparseTops?.value, m.int8DenseTops),
    ),
  );
};

/** The reserve leaves memory for the model. */
export const reserveFitsInMemory: ProfileRule = ({ profile: p, error, warn }) => {
  const reserveGiB = p.reserve.totalBytes / 2 ** 30;
  const total = p.memory.totalGiB.value;
  if (p.reserve.totalBytes >= p.memory.totalBytes) {
    error('reserve', `the reserve (${reserveGiB} GiB) must be smaller than memory.totalGiB (${total} GiB)`);
  } else if (p.memory.totalBytes - p.reserve.totalBytes < 2 ** 30) {
    warn('reserve', `leaves less than 1 GiB of ${total} GiB for the model`);
  }
};

/** Power-mode sets: unique names, a default that is one of the modes, a known first JetPack. */
export const powerModesAreNamed: ProfileRule = ({ written: w, error, warn }) => {
  const sets = w.power?.modeSets ?? [];
  if (w.kind === 'jetson' && w.power && sets.length === 0)
    warn('power.modeSets', 'no power modes are known for this module');
  const setNames = new Set<string>();
  const jetpacks = w.software.map((l) => l.jetpack).filter((v): v is string => v !== undefined);
  sets.forEach((s, i) => {
    const at = `power.modeSets[${i}]`;
    if (setNames.has(s.name)) error(`${at}.name`, `duplicate power-mode set name "${s.name}"`);
    setNames.add(s.name);
    const names = s.modes.map((m) => m.name);
    names.forEach((n, j) => {
      if (names.indexOf(n) !== j)
        error(`${at}.modes[${j}].name`, `duplicate power mode name "${n}" (modes are selected by name)`);
    });
    if (!names.includes(s.defaultMode)) {
      error(`${at}.defaultMode`, `"${s.defaultMode}" is not one of the modes of set "${s.name}" (${names.join(', ')})`);
    }
    if (s.minJetPack && jetpacks.length && !jetpacks.includes(s.minJetPack.value)) {
      error(
        `${at}.minJetPack.value`,
        `JetPack ${s.minJetPack.value} is not one of the profile's software lines (${jetpacks.join(', ')})`,
      );
    }
  });
};

/** Software lines carry what their runtime needs, agree with the DLA section and with each other. */
export const softwareLinesAreUsable: ProfileRule = ({ written: w, profile: p, error, warn }) => {
  const hasDla = p.dla.count.value > 0;
  const dlaByTrt = new Map<string, boolean>();
  w.software.forEach((l, i) => {
    const at = `software[${i}]`;
    if (w.kind === 'cpu') {
      if (!l.onnxruntime) error(`${at}.onnxruntime`, 'a cpu target line must give the onnxruntime version');
      if (l.tensorrt) error(`${at}.tensorrt`, 'a cpu target runs onnxruntime, not TensorRT');
    } else if (!l.tensorrt) {
      error(`${at}.tensorrt`, `a ${w.kind} line must give its TensorRT version`);
    }
    if (w.kind === 'jetson' && !l.jetpack) error(`${at}.jetpack`, 'a jetson line must give its JetPack version');
    if (w.kind !== 'jetson' && l.jetpack) error(`${at}.jetpack`, `a ${w.kind} target has no JetPack`);
    if (l.tensorrt && !l.cuda) warn(`${at}.cuda`, `${l.name}: CUDA version not known`);
    if (hasDla && !l.dla)
      error(
        `${at}.dla`,
        `the device has ${p.dla.count.value} DLA core(s): say whether TensorRT on ${l.name} can use them`,
      );
    if (!hasDla && l.dla?.value) error(`${at}.dla`, 'says DLA is usable but dla.count is 0');
    if (l.tensorrt && l.dla) {
      const seen = dlaByTrt.get(l.tensorrt.value);
      if (seen !== undefined && seen !== l.dla.value)
        error(`${at}.dla`, `lines with TensorRT ${l.tensorrt.value} disagree on DLA usability`);
      dlaByTrt.set(l.tensorrt.value, l.dla.value);
    }
  });
  const versions = w.software.map((l) => l.jetpack).filter((v): v is string => v !== undefined);
  versions.forEach((v, i) => {
    if (versions.indexOf(v) !== i) error(`software[${i}].jetpack`, `duplicate JetPack line ${v}`);
    if (i > 0 && compareVersions(versions[i - 1]!, v) > 0)
      warn(`software[${i}].jetpack`, `JetPack ${v} is listed after ${versions[i - 1]}: keep lines in ascending order`);
  });
};

/** Aliases are distinct from the id and from each other (the schema checks their syntax). */
export const aliasesAreDistinct: ProfileRule = ({ written: w, error }) => {
  (w.aliases ?? []).forEach((a, i) => {
    if (a === w.id) error(`aliases[${i}]`, `alias "${a}" repeats the id`);
  });
};

/** Every rule, in the order they run. */
export const PROFILE_RULES: readonly ProfileRule[] = [
  provenanceIsComplete,
  kindHasItsSections,
  dlaIsConsistent,
  precisionsHaveThroughput,
  derivedDenseIsHalfSparse,
  reserveFitsInMemory,
  powerModesAreNamed,
  softwareLinesAreUsable,
  aliasesAreDistinct,
  int8FormatFitsRuntime,
];

/** Runs every rule and returns what they found. */
export function runProfileRules(
  written: WrittenTargetProfile,
  profile: TargetProfile,
): { errors: ProfileIssue[]; warnings: ProfileIssue[] } {
  const errors: ProfileIssue[] = [];
  const warnings: ProfileIssue[] = [];
  const ctx: RuleContext = {
    written,
    profile,
    error: (field, message) => errors.push({ field, message }),
    warn: (field, message) => warnings.push({ field, message }),
  };
  for (const rule of PROFILE_RULES) rule(ctx);
  return { errors, warnings };
}
