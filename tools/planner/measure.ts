/**
 * `plan --measure`: times the real package on this host with onnxruntime (fp32 graphs, batch 1,
 * median of the rounds after two warm-up runs) and sets each measurement beside the planner's
 * estimate for the same entry, so the estimate can be checked — and the calibration table
 * (calibration.ts) rebuilt — from runs rather than trusted.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { EntryManifest, PackageManifest } from '../../sdk/internal.js';
import type { TargetProfile } from '../../sdk/internal.js';
import type { HostTensor } from '../../sdk/internal.js';
import { OrtBackend } from '../../sdk/internal.js';
import { estimateLatency } from './estimate.js';
import type { PlanModel } from './model-source.js';

/** One entry timed on the host, beside its estimate. */
export interface LatencyMeasurement {
  entry: string;
  rounds: number;
  /** Median and fastest of the timed runs, ms. */
  medianMs: number;
  minMs: number;
  /** The planner's estimate for this entry of this package on the target at fp32 (calibrated when the target has a calibration). */
  estimateMs: number;
  /** The same without calibration. */
  rawEstimateMs: number;
  /** fastest / estimate: the fastest run is the uncontended cost on a shared host (medians swing with load). */
  ratio: number;
  calibrated: boolean;
}

/** What `--measure` reports. */
export interface HostMeasurement {
  host: string;
  /** True when the plan's target is an onnxruntime CPU target, so the host stands for it. */
  hostIsTarget: boolean;
  entries: LatencyMeasurement[];
}

/** Deterministic feeds of an entry at batch 1 (values in [−2, 2), as normalised frames are). */
function feedsOf(e: EntryManifest): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  let s = 12345;
  for (const input of e.inputs) {
    const shape = input.shape.map((d) => (typeof d === 'number' ? d : 1));
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      data[i] = (s / 2 ** 32) * 4 - 2;
    }
    feeds[input.name] = { dtype: 'float32', shape, data };
  }
  return feeds;
}

/**
 * Times the single-modality entries of `modalities` (entries named after their modality).
 * @param onRound progress: done, total
 */
export async function measureOnHost(
  dir: string,
  m: PackageManifest,
  model: PlanModel,
  target: TargetProfile,
  modalities: readonly string[],
  rounds: number,
  onRound?: (done: number, total: number) => void,
): Promise<HostMeasurement> {
  const entries = m.entries.filter((e) => modalities.includes(e.name) && e.modalities.length === 1);
  const out: LatencyMeasurement[] = [];
  let done = 0;
  for (const e of entries) {
    const session = await new OrtBackend().load({ graphPath: join(dir, e.graph) });
    try {
      const feeds = feedsOf(e);
      await session.run(feeds);
      await session.run(feeds);
      const times: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const t0 = performance.now();
        await session.run(feeds);
        times.push(performance.now() - t0);
        onRound?.(++done, rounds * entries.length);
      }
      times.sort((a, b) => a - b);
      const medianMs =
        times.length % 2
          ? times[(times.length - 1) / 2]!
          : (times[times.length / 2 - 1]! + times[times.length / 2]!) / 2;
      const est = estimateLatency(model.config, { ...model.current, modalities: [e.name] }, 'fp32', target, {
        lowering: model.lowering,
      });
      out.push({
        entry: e.name,
        rounds,
        medianMs,
        minMs: times[0]!,
        estimateMs: est.ms,
        rawEstimateMs: est.rawMs,
        ratio: times[0]! / est.ms,
        calibrated: est.calibration !== undefined,
      });
    } finally {
      await session.dispose();
    }
  }
  const cpu = cpus();
  return {
    host: `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`,
    hostIsTarget: target.runtime === 'onnxruntime' && !target.gpu,
    entries: out,
  };
}
