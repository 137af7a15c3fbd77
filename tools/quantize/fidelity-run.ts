/**
 * Measuring a quantized entry against its fp32 source on held-out frames: the fidelity metrics
 * of tools/fidelity plus how often each router picks the same expert, from one run of each graph
 * (temporary copies that also expose the routers' choices); and the CPU latency of both graphs in
 * onnxruntime, interleaved in one run.
 */
import { clone } from '@bufbuild/protobuf';
import type { EntryManifest } from '../../sdk/internal.js';
import type { HostTensor } from '../../sdk/internal.js';
import { OrtBackend } from '../../sdk/internal.js';
import { EntryFidelityAccumulator, type EntryFidelity } from '../fidelity/report.js';
import { ModelProtoSchema, ValueInfoProtoSchema, create, type ModelProto } from '../onnx/proto.js';
import { writeScratchModel } from './scratch-model.js';

/** Router agreement across all routers of an entry. */
export interface RoutingAgreement {
  /** Share of (token, router) decisions that pick the same expert as fp32. */
  mean: number;
  /** The lowest share of any one router. */
  min: number;
  routers: number;
  tokens: number;
}

export interface QuantizedEntryFidelity extends EntryFidelity {
  routing?: RoutingAgreement;
}

/** A graph to compare: its model and the package directory its weights are in. */
export interface GraphSource {
  model: ModelProto;
  dir: string;
  weightFiles: readonly string[];
}

function withOutputs(model: ModelProto, extra: string[]): ModelProto {
  const m = clone(ModelProtoSchema, model);
  const have = new Set(m.graph!.output.map((o) => o.name));
  for (const t of extra) if (!have.has(t)) m.graph!.output.push(create(ValueInfoProtoSchema, { name: t }));
  return m;
}

/** Runs both graphs over `batches` and returns the entry's fidelity with routing agreement. */
export async function measureEntryFidelity(
  entry: EntryManifest,
  reference: GraphSource,
  candidate: GraphSource,
  batches: Iterable<Record<string, HostTensor>>,
): Promise<QuantizedEntryFidelity> {
  const routerTensors = [...new Set((entry.moe ?? []).flatMap((c) => Object.values(c.routerOutputs)))];
  const ref = await writeScratchModel(
    withOutputs(reference.model, routerTensors),
    reference.dir,
    reference.weightFiles,
  );
  const cand = await writeScratchModel(
    withOutputs(candidate.model, routerTensors),
    candidate.dir,
    candidate.weightFiles,
  );
  const backend = new OrtBackend();
  const acc = new EntryFidelityAccumulator(entry);
  const same = new Map<string, { agree: number; total: number }>(routerTensors.map((t) => [t, { agree: 0, total: 0 }]));
  try {
    const rs = await backend.load({ graphPath: ref.path });
    const cs = await backend.load({ graphPath: cand.path });
    try {
      for (const feeds of batches) {
        const a = await rs.run(feeds);
        const b = await cs.run(feeds);
        acc.add(a, b);
        for (const t of routerTensors) {
          const x = a[t]!.data as BigInt64Array;
          const y = b[t]!.data as BigInt64Array;
          const s = same.get(t)!;
          for (let i = 0; i < x.length; i++) if (x[i] === y[i]) s.agree++;
          s.total += x.length;
        }
      }
    } finally {
      await rs.dispose();
      await cs.dispose();
    }
  } finally {
    await ref.dispose();
    await cand.dispose();
  }
  const result: QuantizedEntryFidelity = acc.result();
  if (routerTensors.length) {
    const shares = [...same.values()].map((s) => (s.total ? s.agree / s.total : 1));
    const agree = [...same.values()].reduce((n, s) => n + s.agree, 0);
    const total = [...same.values()].reduce((n, s) => n + s.total, 0);
    result.routing = {
      mean: total ? agree / total : 1,
      min: Math.min(...shares),
      routers: routerTensors.length,
      tokens: total,
    };
  }
  return result;
}

/** Median CPU latency of two graphs on the same feeds, measured interleaved in one run. */
export interface LatencyComparison {
  entry: string;
  batch: number;
  rounds: number;
  referenceMs: number;
  candidateMs: number;
  /** candidate / reference (< 1: the candidate is faster). */
  ratio: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Loads both graph files (as shipped, no extra outputs) and times them alternately. */
export async function compareLatency(
  entry: string,
  referencePath: string,
  candidatePath: string,
  feeds: Record<string, HostTensor>,
  rounds: number,
): Promise<LatencyComparison> {
  const backend = new OrtBackend();
  const r = await backend.load({ graphPath: referencePath });
  const c = await backend.load({ graphPath: candidatePath });
  const time = async (s: typeof r) => {
    const t0 = process.hrtime.bigint();
    await s.run(feeds);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  try {
    await time(r);
    await time(c);
    const rt: number[] = [];
    const ct: number[] = [];
    for (let i = 0; i < rounds; i++) {
      if (i % 2) {
        ct.push(await time(c));
        rt.push(await time(r));
      } else {
        rt.push(await time(r));
        ct.push(await time(c));
      }
    }
    const referenceMs = median(rt);
    const candidateMs = median(ct);
    return {
      entry,
      batch: (Object.values(feeds)[0]?.shape[0] ?? 1) as number,
      rounds,
      referenceMs,
      candidateMs,
      ratio: candidateMs / referenceMs,
    };
  } finally {
    await r.dispose();
    await c.dispose();
  }
}
