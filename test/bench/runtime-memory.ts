/**
 * Peak memory of a runtime serving ringmoe-small's optical entry (onnxruntime CPU, batch 1), each
 * variant in its own child process so its peak RSS (VmHWM) is its own, against the bytes of the
 * weights the entry's graph loads (the anchor) and against the planner's memory estimate for the
 * same selection on the CPU target (weights + activations). Variants: onnxruntime's defaults, and
 * its memory pattern, CPU arena and weight pre-packing turned off (backendOptions).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadTarget } from '../../sdk/core/targets/load.js';
import { openPackage } from '../../sdk/package/open-package.js';
import { readModel } from '../../tools/onnx/model-io.js';
import { externalInfo, tensorByteLength } from '../../tools/onnx/tensor-data.js';
import { estimateMemory, type MemoryEstimate } from '../../tools/planner/estimate.js';
import { manifestConfig, manifestSelection } from '../../tools/ringmoe/manifest.js';
import { REPO_ROOT } from '../helpers/shared-data.js';
import { benchPackage, median, type Bench, type BenchResult } from './harness.js';

const exec = promisify(execFile);
const CHILD = join(REPO_ROOT, 'test/bench/runtime-memory-child.ts');
const ENTRY = 'optical';
const FRAMES = 16;
const ROUNDS = 3;
const MIB = 2 ** 20;

/** Each variant of ringmoe-small, and ringmoe-tiny (1 MiB of weights) with the defaults: onnxruntime's fixed share. */
const VARIANTS: { config: string; name: string; options: Record<string, boolean> }[] = [
  { config: 'ringmoe-small', name: 'onnxruntime defaults', options: {} },
  { config: 'ringmoe-small', name: 'enableMemPattern: false', options: { enableMemPattern: false } },
  { config: 'ringmoe-small', name: 'enableCpuMemArena: false', options: { enableCpuMemArena: false } },
  { config: 'ringmoe-small', name: 'prepacking: false', options: { prepacking: false } },
  {
    config: 'ringmoe-small',
    name: 'all three off',
    options: { enableMemPattern: false, enableCpuMemArena: false, prepacking: false },
  },
  { config: 'ringmoe-tiny', name: 'onnxruntime defaults', options: {} },
];

interface Subject {
  dir: string;
  size: number;
  weights: number;
  estimate: MemoryEstimate;
}

async function subject(config: string, log: (l: string) => void): Promise<Subject> {
  const dir = await benchPackage(config, {}, log);
  const pkg = await openPackage(dir, { verify: 'size' });
  const m = pkg.manifest;
  const weights = await entryWeightBytes(dir, pkg.entry(ENTRY).graph);
  const estimate = estimateMemory(
    manifestConfig(m),
    { ...manifestSelection(m), modalities: [ENTRY] },
    m.model.params.heads,
    'fp32',
    await loadTarget('cpu-x86-64-onnxruntime'),
    m.model.lowering ?? 'sparse',
  );
  log(
    `${config}: weights of the ${ENTRY} graph ${(weights / MIB).toFixed(1)} MiB; planner: weights ${(estimate.weightsBytes / MIB).toFixed(1)} + activations ${(estimate.activationsBytes / MIB).toFixed(1)} + onnxruntime ${(estimate.sessionOverheadBytes / MIB).toFixed(1)} = ${(estimate.needBytes / MIB).toFixed(1)} MiB`,
  );
  return { dir, size: m.model.inputSize!.width, weights, estimate };
}

interface ChildResult {
  baselineRssBytes: number;
  loadedRssBytes: number;
  peakRssBytes: number;
  frames: number;
  loadMs: number;
}

async function child(dir: string, size: number, options: Record<string, boolean>): Promise<ChildResult> {
  const { stdout } = await exec(
    process.execPath,
    ['--import', 'tsx', CHILD, dir, ENTRY, String(FRAMES), String(size), JSON.stringify(options)],
    { cwd: REPO_ROOT, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

/** Bytes of the external initializers the entry's graph loads (each tensor once). */
async function entryWeightBytes(dir: string, graph: string): Promise<number> {
  const model = await readModel(join(dir, graph));
  let n = 0;
  for (const t of model.proto.graph!.initializer) {
    const info = externalInfo(t);
    if (info) n += info.length ?? tensorByteLength(t);
  }
  return n;
}

export const bench: Bench = {
  name: 'runtime-memory',
  description: `peak RSS of a runtime serving ringmoe-small's optical entry (${FRAMES} frames, onnxruntime CPU) vs its weight bytes and the planner's estimate; onnxruntime memory options on and off (child processes, VmHWM)`,
  async run(log) {
    const subjects = new Map<string, Subject>();
    for (const v of VARIANTS) if (!subjects.has(v.config)) subjects.set(v.config, await subject(v.config, log));
    const key = (v: (typeof VARIANTS)[number]) => `${v.config}, ${v.name}`;
    const samples = new Map(VARIANTS.map((v) => [key(v), [] as ChildResult[]]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of round % 2 ? [...VARIANTS].reverse() : VARIANTS) {
        const { dir, size } = subjects.get(v.config)!;
        samples.get(key(v))!.push(await child(dir, size, v.options));
      }
    }
    const results: BenchResult[] = [];
    for (const v of VARIANTS) {
      const { weights, estimate } = subjects.get(v.config)!;
      const s = samples.get(key(v))!;
      const peak = median(s.map((x) => x.peakRssBytes));
      const model = median(s.map((x) => x.peakRssBytes - x.baselineRssBytes));
      const loaded = median(s.map((x) => x.loadedRssBytes - x.baselineRssBytes));
      const baseline = median(s.map((x) => x.baselineRssBytes));
      log(
        `${key(v).padEnd(40)} peak RSS ${(peak / MIB).toFixed(0)} MiB (process before the runtime ${(baseline / MIB).toFixed(0)} MiB); runtime's share: after load ${(loaded / MIB).toFixed(0)} MiB, peak ${(model / MIB).toFixed(0)} MiB = ${(model / weights).toFixed(2)}× weights, ${(model / estimate.needBytes).toFixed(2)}× the planner's estimate`,
      );
      results.push({
        name: `runtime-memory (${key(v)})`,
        ratio: { label: "peak RSS / bytes of the entry's weights", value: peak / weights },
        metrics: {
          weightsMiB: weights / MIB,
          peakRssMiB: peak / MIB,
          baselineRssMiB: baseline / MIB,
          runtimeAfterLoadMiB: loaded / MIB,
          runtimePeakMiB: model / MIB,
          runtimePeakOverWeights: model / weights,
          plannerEstimateMiB: estimate.needBytes / MIB,
          runtimePeakOverPlannerEstimate: model / estimate.needBytes,
          loadMedianMs: median(s.map((x) => x.loadMs)),
          frames: FRAMES,
          rounds: ROUNDS,
        },
      });
    }
    const small = samples.get(key(VARIANTS[0]!))!;
    const { estimate } = subjects.get('ringmoe-small')!;
    const measured = median(small.map((x) => x.peakRssBytes - x.baselineRssBytes));
    results.push({
      name: 'runtime-memory (planner estimate vs measured, ringmoe-small optical, defaults)',
      ratio: {
        label: "planner's need (weights + activations + onnxruntime overhead) / the runtime's measured peak share",
        value: estimate.needBytes / measured,
        goal: 'within 25 % (0.75–1.25)',
      },
      metrics: { plannerNeedMiB: estimate.needBytes / MIB, measuredRuntimePeakMiB: measured / MIB },
    });
    return results;
  },
};
