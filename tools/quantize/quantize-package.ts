/**
 * `ringmoe-edge quantize`: an fp32 package in, an INT8 or FP16 package out, with its fidelity
 * report on held-out frames. INT8 is written in the target's format (int8-format.ts): explicit
 * symmetric Q/DQ for TensorRT, or the forms onnxruntime's CPU kernels fuse. The output keeps the
 * package layout — the same graphs (rewritten) and the same weight files, one per expert, now
 * holding int8 or half tensors — plus, for calibrated INT8, the ranges of every activation and,
 * for TensorRT, calibration caches made from them.
 */
import { clone } from '@bufbuild/protobuf';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';
import type { EntryManifest, LineageStep, PackageManifest } from '../../sdk/internal.js';
import { VERSION } from '../../sdk/internal.js';
import { openPackage } from '../../sdk/internal.js';
import { readModel, type OnnxModel } from '../onnx/model-io.js';
import { ModelProtoSchema, type ModelProto } from '../onnx/proto.js';
import { PackageWriter } from '../package/package-writer.js';
import { calibrateEntryMethods, calibrationHash, type EntryCalibration, type MethodChoice } from './calibrate.js';
import { writeCalibrationCache, tensorrtVersionNumber } from './calibration-cache.js';
import type { FrameSet } from '../frames/frame-set.js';
import { checkDisjoint, checkFramesFor, entryBatches, inputKey, originOf, setKey, summarise } from './frames.js';
import { castHalfInitializers } from './fp16-rewrite.js';
import { compareLatency, measureEntryFidelity, type QuantizedEntryFidelity } from './fidelity-run.js';
import {
  checkFloors,
  describeCheck,
  fidelityChecks,
  worstCheck,
  type FidelityCheck,
  type FidelityFloors,
} from './fidelity-floor.js';
import { ClusterTracker, pointAtStore } from './graph-edit.js';
import { planQdq, reconcilePlans, type QdqPlan } from './qdq-plan.js';
import { weightScaleName } from './qdq-rewrite.js';
import {
  DEFAULT_INT8_FORMAT_CHOICE,
  INT8_FORMAT_SUMMARY,
  needsCalibration,
  planForFormat,
  rewriteForFormat,
  type Int8FormatChoice,
} from './int8-format.js';
import { optimizedNodeTypes } from './optimized-graph.js';
import type { CandidateSummary, QuantizationReport } from './report.js';
import {
  externalInitializers,
  floatData,
  rewriteWeights,
  type OutputTensor,
  type SourceTensor,
} from './rewrite-weights.js';
import type { CalibrationMethod } from './thresholds.js';
import { quantizePerChannel, toHalf } from './weight-quant.js';
import { copyRegular } from '../../sdk/internal.js';

export type QuantizePrecision = 'int8' | 'fp16';

export interface QuantizeOptions {
  /** Source package directory (fp32). */
  source: string;
  outDir: string;
  precision: QuantizePrecision;
  /**
   * Activation calibration (INT8). Default `auto`: calibrate with every method (max, percentile,
   * entropy) from one pass of statistics, measure each on the held-out frames and keep the best.
   */
  method?: CalibrationMethod | 'auto';
  /** Percentile for `percentile` (default 99.99). */
  percentile?: number;
  /**
   * How INT8 is written, and why (the target's `int8Format`, an option, or the default:
   * `qdq-symmetric` for TensorRT).
   */
  int8Format?: Int8FormatChoice;
  /** Calibration frames (calibrated INT8 formats need them for every modality its entries read). */
  calibration: FrameSet[];
  /** Held-out frames for the fidelity report (never calibration frames). */
  heldOut: FrameSet[];
  /** Entries to keep and quantize (default: all). */
  entries?: string[];
  /** Frames per onnxruntime run. Default 2. */
  batchSize?: number;
  /** TensorRT versions to write calibration caches for (INT8). Default ['8.5.2'] (JetPack 5.1). */
  tensorrtVersions?: string[];
  /** Interleaved latency rounds of fp32 vs the new graph (first entry, batch 1). Default 5; 0 skips. */
  latencyRounds?: number;
  force?: boolean;
  /** The fidelity floor on held-out frames (defaults: cosine 0.99, task agreement 0.9, depth error 0.05). */
  floors?: Partial<FidelityFloors>;
  /** Keep a result below the floor (the report says so) instead of refusing it. */
  acceptLoss?: boolean;
  /** Merged into the manifest's `extensions` (compile records the target here). */
  extensions?: Record<string, unknown>;
  /** Extra lineage parameters (compile passes its own). */
  lineageParams?: Record<string, unknown>;
  onProgress?: (step: string, done: number, total: number) => void;
}

export interface QuantizeResult {
  dir: string;
  manifest: PackageManifest;
  report: QuantizationReport;
  statsSha256?: string;
}

function selectEntries(m: PackageManifest, names: string[] | undefined): EntryManifest[] {
  if (!names || names.length === 0) return m.entries;
  return names.map((n) => {
    const e = m.entries.find((x) => x.name === n);
    if (!e)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `package ${m.name} has no entry ${JSON.stringify(n)}; it has ${m.entries.map((x) => x.name).join(', ')}`,
        { field: 'entries' },
      );
    return e;
  });
}

function checkFrameModalities(entries: EntryManifest[], sets: FrameSet[], role: 'calibration' | 'held-out'): void {
  const read = new Set(entries.flatMap((e) => e.inputs.map(inputKey)));
  for (const s of sets) {
    if (!read.has(setKey(s))) {
      throw new EdgeError(
        'E_CALIBRATION',
        `${role} frames ${s.source} are ${s.input !== undefined ? `tensors for input ${s.input}` : s.modality} but the package's entries read ${[...read].join(', ')}`,
        {
          field: role === 'calibration' ? 'calibration' : 'heldOut',
          hint: 'give frames of the modalities the package reads (prefix a path with <modality>= to say what it holds)',
        },
      );
    }
  }
}

/** Calibration methods tried by `method: 'auto'`, in order of preference on ties. */
export function autoMethods(percentile = 99.99): MethodChoice[] {
  return [{ method: 'max' }, { method: 'percentile', percentile }, { method: 'entropy' }];
}

/** `percentile 99.99`, `max`, `fp16`. */
function choiceLabel(c: MethodChoice | undefined): string {
  return c ? (c.method === 'percentile' ? `percentile ${c.percentile ?? 99.99}` : c.method) : 'fp16';
}

/** A built candidate: its graphs, entries and measured fidelity. */
interface Trial {
  choice?: MethodChoice;
  calibrations: EntryCalibration[];
  graphs: ModelProto[];
  written: EntryManifest[];
  fidelity: QuantizedEntryFidelity[];
  checks: FidelityCheck[];
  worst?: FidelityCheck;
}

/**
 * Quantizes a package. INT8 with `method: 'auto'` (the default) tries every calibration method and
 * keeps the one with the best worst-margin over the fidelity floor on the held-out frames; any
 * result (INT8 or FP16) below the floor is refused unless `acceptLoss`.
 * @throws EdgeError E_QUANTIZE (source not fp32, opset too old, weight out of range),
 *   E_CALIBRATION (frames missing, of another modality, not fitting, overlapping),
 *   E_FIDELITY_FLOOR (the best result is below the floor and `acceptLoss` is not set),
 *   E_INVALID_ARGUMENT, E_OUTPUT_EXISTS, and the package-opening codes
 * @example
 * await quantizePackage({ source: 'pkg/small', outDir: 'pkg/small-int8', precision: 'int8', calibration, heldOut });
 */
export async function quantizePackage(o: QuantizeOptions): Promise<QuantizeResult> {
  const pkg = await openPackage(o.source);
  const m = pkg.manifest;
  if (m.model.precision !== 'fp32') {
    throw new EdgeError(
      'E_QUANTIZE',
      `package ${m.name} is already ${m.model.precision}; quantize its fp32 source instead`,
      { file: o.source, field: 'model.precision' },
    );
  }
  const entries = selectEntries(m, o.entries);
  const int8 = o.precision === 'int8';
  const formatChoice = o.int8Format ?? DEFAULT_INT8_FORMAT_CHOICE;
  const format = formatChoice.format;
  // Run-time quantized activations have no ranges to calibrate: one candidate, no frames needed.
  const calibrated = int8 && needsCalibration(format);
  const methodOption = o.method ?? 'auto';
  const floors = checkFloors(o.floors);
  const choices: MethodChoice[] = !calibrated
    ? []
    : methodOption === 'auto'
      ? autoMethods(o.percentile)
      : [{ method: methodOption, ...(methodOption === 'percentile' ? { percentile: o.percentile ?? 99.99 } : {}) }];
  if (calibrated) {
    checkFrameModalities(entries, o.calibration, 'calibration');
    for (const e of entries) checkFramesFor(e, o.calibration, 'calibration');
  }
  checkFrameModalities(entries, o.heldOut, 'held-out');
  for (const e of entries) checkFramesFor(e, o.heldOut, 'held-out');
  checkDisjoint(o.calibration, o.heldOut);
  if (int8 && m.model.opset < 10)
    throw new EdgeError(
      'E_QUANTIZE',
      `INT8 Q/DQ needs opset 10 or later (QuantizeLinear/DequantizeLinear); the package is opset ${m.model.opset}`,
      {
        file: o.source,
        field: 'model.opset',
        hint: 'convert the model to a newer opset (onnx.version_converter), or use option precision fp16',
      },
    );
  // Below opset 13 DequantizeLinear has no axis: weights are quantized per tensor (one scale), and
  // the fidelity measurement decides whether that is good enough.
  const perTensor = int8 && m.model.opset < 13;
  const cacheVersions =
    calibrated && format === 'qdq-symmetric'
      ? (o.tensorrtVersions ?? ['8.5.2']).map((v) => ({ v, n: tensorrtVersionNumber(v) }))
      : [];
  const progress = o.onProgress ?? (() => {});
  const batchSize = o.batchSize ?? 2;

  const models: OnnxModel[] = [];
  for (const e of entries) models.push(await readModel(pkg.path(e.graph)));
  const routerWeights = new Set((m.experts?.blocks ?? []).flatMap((b) => b.routers.map((r) => r.weight)));
  const plans: QdqPlan[] = int8
    ? reconcilePlans(models.map((x) => planForFormat(planQdq(x.proto.graph!, routerWeights), format)))
    : [];
  if (int8 && plans.every((p) => p.quantized.length === 0)) {
    const kept: Record<string, number> = {};
    for (const p of plans) for (const k of p.skipped) kept[k.reason] = (kept[k.reason] ?? 0) + 1;
    throw new EdgeError(
      'E_QUANTIZE',
      `INT8 would quantize nothing in package ${m.name}: every weighted node stays float (${
        Object.entries(kept)
          .map(([r, c]) => `${c} ${r}`)
          .join(', ') || 'no MatMul or Conv with a constant weight'
      }); an INT8 label on an fp32 graph would mislead`,
      {
        file: o.source,
        field: 'precision',
        hint: 'first and last weighted layers stay float by design; use option precision fp16 for a model this small',
      },
    );
  }
  const quantizedWeights = new Map<string, number>();
  for (const p of plans) for (const [w, a] of p.weights) quantizedWeights.set(w, a);

  // One pass of statistics per entry; every method reads the same histograms.
  const perChoice: EntryCalibration[][] = choices.map(() => []);
  if (calibrated) {
    for (const [i, e] of entries.entries()) {
      progress(`calibrating ${e.name}`, i, entries.length);
      const cals = await calibrateEntryMethods(pkg.dir, e, models[i]!.proto, o.calibration, choices, { batchSize });
      cals.forEach((c, k) => perChoice[k]!.push(c));
    }
  }

  const writer = await PackageWriter.create(o.outDir, o.force !== undefined ? { force: o.force } : {});
  try {
    const convert = (t: SourceTensor): OutputTensor[] => {
      const keep: OutputTensor = { name: t.name, dtype: t.dtype, dims: t.dims, data: t.bytes };
      if (t.dtype !== 'float32') return [keep];
      if (!int8) return [{ name: t.name, dtype: 'float16', dims: t.dims, data: toHalf(floatData(t), t.name) }];
      const axis = quantizedWeights.get(t.name);
      if (axis === undefined) return [keep];
      if (perTensor) {
        const count = t.dims.reduce((a, b) => a * b, 1);
        const q = quantizePerChannel(floatData(t), [1, count], 0, t.name);
        return [
          { name: t.name, dtype: 'int8', dims: t.dims, data: q.values },
          { name: weightScaleName(t.name), dtype: 'float32', dims: [], data: q.scales },
        ];
      }
      const q = quantizePerChannel(floatData(t), t.dims, axis, t.name);
      return [
        { name: t.name, dtype: 'int8', dims: t.dims, data: q.values },
        { name: weightScaleName(t.name), dtype: 'float32', dims: [t.dims[axis]!], data: q.scales },
      ];
    };
    const tensors = externalInitializers(models.map((x) => x.proto.graph!));
    const stored = await rewriteWeights(pkg.dir, tensors, writer.weights, convert, (d, n) =>
      progress('writing weights', d, n),
    );

    /** The graphs of one candidate (activation ranges from `calibrations` for INT8; half weights for FP16). */
    const build = (calibrations: EntryCalibration[]): { graphs: ModelProto[]; written: EntryManifest[] } => {
      const graphs: ModelProto[] = [];
      const written: EntryManifest[] = [];
      for (const [i, e] of entries.entries()) {
        const model = clone(ModelProtoSchema, models[i]!.proto);
        const g = model.graph!;
        pointAtStore(g, stored);
        const tracker = new ClusterTracker();
        if (int8 && !calibrated) {
          rewriteForFormat(g, plans[i]!, format, new Map(), stored, tracker);
        } else if (int8) {
          const ranges = calibrations[i]!.tensors;
          const scales = new Map(plans[i]!.activations.map((t) => [t, ranges[t]?.scale ?? NaN]));
          const missing = [...scales].find(([, s]) => !Number.isFinite(s));
          if (missing)
            throw new EdgeError(
              'E_CALIBRATION',
              `activation ${missing[0]} of entry ${e.name} got no range during calibration`,
              { field: e.name },
            );
          rewriteForFormat(g, plans[i]!, format, scales, stored, tracker);
        } else castHalfInitializers(g, tracker);
        model.producerVersion = VERSION;
        graphs.push(model);
        const moe = tracker.update(e.moe);
        written.push({ ...e, ...(moe ? { moe } : {}) });
      }
      return { graphs, written };
    };

    const trials: Trial[] = [];
    const runs = calibrated
      ? choices.map((c, k) => ({ choice: c as MethodChoice | undefined, calibrations: perChoice[k]! }))
      : [{ choice: undefined, calibrations: [] as EntryCalibration[] }];
    for (const [k, run] of runs.entries()) {
      const { graphs, written } = build(run.calibrations);
      const fidelity: QuantizedEntryFidelity[] = [];
      for (const [i, e] of entries.entries()) {
        progress(
          `comparing ${e.name} with fp32${runs.length > 1 ? ` (${choiceLabel(run.choice)}, ${k + 1}/${runs.length})` : ''}`,
          i,
          entries.length,
        );
        fidelity.push(
          await measureEntryFidelity(
            e,
            { model: models[i]!.proto, dir: pkg.dir, weightFiles: e.weightFiles },
            { model: graphs[i]!, dir: writer.dir, weightFiles: e.weightFiles },
            entryBatches(e, o.heldOut, batchSize),
          ),
        );
      }
      const checks = fidelityChecks(fidelity, floors);
      const worst = worstCheck(checks);
      trials.push({
        ...(run.choice ? { choice: run.choice } : {}),
        calibrations: run.calibrations,
        graphs,
        written,
        fidelity,
        checks,
        ...(worst ? { worst } : {}),
      });
    }
    // The best worst-margin wins; earlier candidates win ties.
    const margin = (t: Trial) => t.worst?.margin ?? Infinity;
    const best = trials.reduce((a, b) => (margin(b) > margin(a) ? b : a));
    const failing = best.checks.filter((c) => c.margin < 0);
    const heldOutFrames = o.heldOut.reduce((n, s) => n + s.frames.length, 0);
    if (failing.length > 0 && !o.acceptLoss) {
      // A refusal is a result, not an interruption: nothing half-written is left behind.
      writer.abort();
      await rm(writer.dir, { recursive: true, force: true });
      const tried =
        trials.length > 1
          ? `; calibration methods tried: ${trials.map((t) => `${choiceLabel(t.choice)} (worst ${t.worst ? describeCheck(t.worst) : 'none'})`).join(', ')}`
          : '';
      throw new EdgeError(
        'E_FIDELITY_FLOOR',
        `${o.precision}${int8 && !calibrated ? ` (${format}, activations quantized at run time)` : ''}${calibrated ? ` with ${choiceLabel(best.choice)} calibration (the best found)` : ''} stays below the fidelity floor on ${heldOutFrames} held-out frames: ${failing.map(describeCheck).join('; ')}${tried}`,
        {
          field: 'precision',
          hint: int8
            ? 'calibrate on more frames like the ones the model will see, try option precision fp16, set the floor with option floors.cosine / option floors.agreement, or pass option acceptLoss to keep it and say so in the report'
            : 'measure on option heldOut frames like the ones the model will see (generated inputs are not data), set the floor with option floors.cosine / option floors.agreement, or pass option acceptLoss to keep it and say so in the report',
        },
      );
    }
    const calibrations = best.calibrations;
    const graphs = best.graphs;
    const written = best.written;
    const method = best.choice?.method;
    for (const [i, e] of entries.entries()) await writer.writeGraph(e.graph, graphs[i]!);
    if (calibrated) {
      for (const c of calibrations) {
        await writer.writeJson(`calibration/${c.entry}.ranges.json`, c, 'calibration');
        for (const { v, n } of cacheVersions) {
          const rel = `calibration/${c.entry}.trt-${v}.cache`;
          await writeFile(
            join(writer.dir, rel),
            writeCalibrationCache({
              versionNumber: n,
              algorithm: 'EntropyCalibration2',
              scales: new Map(Object.entries(c.tensors).map(([t, r]) => [t, r.scale])),
            }),
          );
          writer.setRole(rel, 'calibration');
        }
      }
    }
    for (const [rel, f] of Object.entries(m.files)) {
      if (f.role !== 'report') continue;
      await mkdir(dirname(join(writer.dir, rel)), { recursive: true });
      await copyRegular(pkg.path(rel), join(writer.dir, rel), { root: pkg.dir, label: rel });
    }

    const fidelity = best.fidelity;
    const rounds = o.latencyRounds ?? 5;
    const first = entries[0]!;
    const latency =
      rounds > 0
        ? await compareLatency(
            first.name,
            pkg.path(first.graph),
            join(writer.dir, first.graph),
            entryBatches(first, o.heldOut, 1).next().value!,
            rounds,
          )
        : undefined;
    const statsSha256 = calibrated ? calibrationHash(calibrations) : undefined;
    progress('reading the graph onnxruntime optimises', 0, 1);
    const optimized = await optimizedNodeTypes(join(writer.dir, first.graph));
    const summary = (t: Trial): CandidateSummary => ({
      method: choiceLabel(t.choice),
      worst: t.worst ?? null,
      ...(t.fidelity.some((f) => f.featureCosine.embedding)
        ? { embeddingCosine: Math.min(...t.fidelity.map((f) => f.featureCosine.embedding?.mean ?? Infinity)) }
        : {}),
    });
    const others = trials.filter((t) => t !== best);
    const runnerUp = others.length ? others.reduce((a, b) => (margin(b) > margin(a) ? b : a)) : undefined;
    const report: QuantizationReport = {
      precision: o.precision,
      ...(int8 ? { int8Format: { ...formatChoice, summary: INT8_FORMAT_SUMMARY[format] } } : {}),
      ...(calibrated
        ? { method: method!, ...(method === 'percentile' ? { percentile: best.choice!.percentile ?? 99.99 } : {}) }
        : {}),
      ...(calibrated
        ? {
            selection: {
              mode: methodOption === 'auto' ? 'auto' : 'fixed',
              winner: choiceLabel(best.choice),
              candidates: trials.map(summary),
              ...(runnerUp && best.worst && runnerUp.worst
                ? {
                    runnerUp: choiceLabel(runnerUp.choice),
                    marginOverRunnerUp: best.worst.margin - runnerUp.worst.margin,
                  }
                : {}),
            },
          }
        : {}),
      floor: {
        ...floors,
        passed: failing.length === 0,
        acceptedLoss: failing.length > 0,
        worst: best.worst ?? null,
        failing,
      },
      source: { name: m.name, packageHash: pkg.packageHash },
      calibration: calibrated ? { origin: originOf(o.calibration), sets: summarise(o.calibration) } : null,
      heldOut: { origin: originOf(o.heldOut), sets: summarise(o.heldOut) },
      entries: fidelity,
      ...(int8 ? { quantized: plans.map((p, i) => planSummary(entries[i]!.name, p)) } : {}),
      ...(latency ? { latency } : {}),
      optimizedGraph: { entry: first.name, ...optimized },
      ...(statsSha256 ? { statsSha256 } : {}),
    };
    const reportRel = `reports/fidelity-${o.precision}.json`;
    await writer.writeJson(reportRel, report, 'report');

    const keptFiles = new Set(written.flatMap((e) => e.weightFiles));
    const blocks = (m.experts?.blocks ?? []).map((b) => ({
      ...b,
      routers: b.routers.filter((r) => keptFiles.has(r.file)),
      experts: b.experts.filter((x) => keptFiles.has(x.file)),
    }));
    const modalities = new Set(written.flatMap((e) => e.modalities));
    const step: LineageStep = {
      step: 'quantize',
      sourcePackage: pkg.packageHash,
      sourceName: m.name,
      params: {
        precision: o.precision,
        ...(perTensor ? { weightScales: 'per-tensor (opset below 13)' } : {}),
        ...(int8 ? { int8Format: format } : {}),
        ...(calibrated
          ? {
              method: method!,
              methodSelection: methodOption === 'auto' ? 'auto' : 'fixed',
              ...(method === 'percentile' ? { percentile: best.choice!.percentile ?? 99.99 } : {}),
              tensorrtCaches: cacheVersions.map((x) => x.v),
            }
          : {}),
        floor: {
          cosine: floors.cosine,
          agreement: floors.agreement,
          depthError: floors.depthError,
          passed: failing.length === 0,
        },
        entries: written.map((e) => e.name),
        calibration: calibrated
          ? {
              origin: originOf(o.calibration),
              frames: o.calibration.reduce((n, s) => n + s.frames.length, 0),
              sets: summarise(o.calibration),
            }
          : null,
        heldOut: {
          origin: originOf(o.heldOut),
          frames: o.heldOut.reduce((n, s) => n + s.frames.length, 0),
          sets: summarise(o.heldOut),
        },
        ...(o.lineageParams ?? {}),
      },
      ...(statsSha256 ? { statsSha256 } : {}),
      tool: `ringmoe-edge ${VERSION}`,
    };
    const { format: _f, formatVersion: _v, files: _files, ...rest } = m;
    const manifest = await writer.finalize({
      ...rest,
      model: { ...m.model, precision: o.precision },
      modalities: m.modalities.filter((x) => modalities.has(x.id)),
      entries: written,
      ...(m.experts ? { experts: { blocks } } : {}),
      lineage: [...m.lineage, step],
      reports: { ...(m.reports ?? {}), [`fidelity-${o.precision}`]: reportRel },
      ...(o.extensions || m.extensions ? { extensions: { ...(m.extensions ?? {}), ...(o.extensions ?? {}) } } : {}),
    });
    return { dir: writer.dir, manifest, report, ...(statsSha256 ? { statsSha256 } : {}) };
  } catch (err) {
    writer.abort();
    throw err;
  }
}

function planSummary(
  entry: string,
  p: QdqPlan,
): { entry: string; nodes: number; activations: number; weights: number; keptFloat: Record<string, number> } {
  const keptFloat: Record<string, number> = {};
  for (const s of p.skipped) keptFloat[s.reason] = (keptFloat[s.reason] ?? 0) + 1;
  return { entry, nodes: p.quantized.length, activations: p.activations.length, weights: p.weights.size, keptFloat };
}
