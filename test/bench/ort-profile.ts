/**
 * Where an onnxruntime CPU session spends its time: runs a graph with onnxruntime's own profiler
 * (`enableProfiling`), reads the JSON trace it writes and sums the kernel time per part of the
 * RingMoE graph (MoE dispatch glue, routers, expert FFNs, the rest) and per op type.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTensor } from '../../sdk/core/host-tensor.js';
import { BENCH_CACHE } from './harness.js';

/** One "X" event of onnxruntime's Chrome-trace profile (only the fields read here). */
export interface TraceEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

/** Kernel time of one part of the graph, per run. */
export interface ProfileRow {
  part: string;
  ms: number;
  share: number;
  kernels: number;
}

/** The parts a RingMoE node belongs to, from its scoped name and op type. */
export function ringmoePart(node: string, opType: string): string {
  const moe = node.indexOf('/moe/');
  // onnxruntime names the Gelu it fuses from Erf/Mul/Add "Gelu_token_<n>", outside any scope.
  if (/^(Gelu|BiasGelu|FastGelu)$/.test(opType) && !node.includes('/')) return 'GELU (fused, unscoped)';
  // The integer GEMMs fused from an INT8 cpu-dynamic graph keep the MatMul's scoped name.
  const matmul = /^(MatMul|FusedMatMul|Gemm|MatMulNBits|DynamicQuantizeMatMul|MatMulIntegerToFloat)$/.test(opType);
  if (moe < 0) return matmul ? 'other MatMul' : 'other';
  const scope = node.slice(moe + 5).split('/')[0] ?? '';
  if (scope.startsWith('router')) return 'router';
  if (/^(modal|collaborative)\./.test(scope) || scope.startsWith('shared') || scope.startsWith('dense')) {
    if (matmul) return scope.startsWith('shared') ? 'shared expert MatMul' : 'routed expert MatMul';
    if (/^(Add|Mul|Div|Erf|Gelu|BiasGelu|FastGelu)$/.test(opType)) return 'expert bias + GELU';
  }
  return 'MoE dispatch glue';
}

/**
 * Kernel time per part (and per op type inside the MoE glue) of one run: each node's median over
 * the profiled runs, so a kernel the scheduler preempted once (a shared machine) does not count.
 * @param classify the part of a node, from its name and op type
 */
export function profileBreakdown(
  trace: readonly TraceEvent[],
  classify: (node: string, opType: string) => string = ringmoePart,
): { run: number; total: number; parts: ProfileRow[]; glueOps: ProfileRow[]; opTypes: ProfileRow[] } {
  const perNode = new Map<string, { op: string; us: number[] }>();
  for (const e of trace) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const node = e.name.slice(0, -'_kernel_time'.length);
    const r = perNode.get(node) ?? { op: e.args?.op_name ?? '?', us: [] };
    r.us.push(e.dur);
    perNode.set(node, r);
  }
  const parts = new Map<string, { us: number; n: number }>();
  const glue = new Map<string, { us: number; n: number }>();
  const ops = new Map<string, { us: number; n: number }>();
  const add = (m: Map<string, { us: number; n: number }>, k: string, us: number) => {
    const r = m.get(k) ?? { us: 0, n: 0 };
    r.us += us;
    r.n += 1;
    m.set(k, r);
  };
  let total = 0;
  for (const [node, { op, us }] of perNode) {
    const t = medianOf(us);
    const part = classify(node, op);
    total += t;
    add(parts, part, t);
    add(ops, op, t);
    if (part === 'MoE dispatch glue' || part === 'router') add(glue, `${part}: ${op}`, t);
  }
  const rows = (m: Map<string, { us: number; n: number }>) =>
    [...m]
      .map(([part, r]) => ({ part, ms: r.us / 1000, share: r.us / total, kernels: r.n }))
      .sort((a, b) => b.ms - a.ms);
  const runs = trace.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.dur);
  return {
    run: runs.length ? medianOf(runs) / 1000 : 0,
    total: total / 1000,
    parts: rows(parts),
    glueOps: rows(glue),
    opTypes: rows(ops),
  };
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Runs `graphPath` `runs` times (after one warm-up run) with onnxruntime's profiler on and returns
 * the trace events of the last `runs` runs; `threads` sets the intra-op threads (default:
 * onnxruntime's, one per core).
 */
export async function profileGraph(
  graphPath: string,
  feeds: Record<string, HostTensor>,
  runs: number,
  threads?: number,
): Promise<TraceEvent[]> {
  const ort = await import('onnxruntime-node');
  const dir = mkdtempSync(join(BENCH_CACHE, 'profile-'));
  try {
    const session = await ort.InferenceSession.create(graphPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      enableProfiling: true,
      profileFilePrefix: join(dir, 'trace'),
      logSeverityLevel: 3,
      ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
    });
    const ortFeeds = Object.fromEntries(
      Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.shape)]),
    );
    await session.run(ortFeeds);
    for (let i = 0; i < runs; i++) await session.run(ortFeeds);
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error(`onnxruntime wrote no profile into ${dir}`);
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as (TraceEvent & { ts: number })[];
    // The warm-up run's events come first; keep the events of the last `runs` model runs.
    const starts = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.ts);
    const from = starts.length > runs ? starts[starts.length - runs]! : 0;
    return events.filter((e) => e.ts >= from);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
