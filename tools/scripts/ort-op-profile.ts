/**
 * Where the CPU time of a graph goes, per node type, from onnxruntime's own profiler
 * (`enableProfiling`): the anchor and the candidate graph run alternately on the same random input
 * (so load on a shared machine hits both alike), then each profile is summed by operator.
 * Profiling adds a fixed cost per node, so compare shares and the two graphs with each other, not
 * the absolute times with a benchmark's.
 *
 *   npx tsx tools/scripts/ort-op-profile.ts <anchor.onnx> <candidate.onnx> <NxCxHxW> [runs=20] [threads]
 */
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { EdgeError, expectInteger } from '../../sdk/internal.js';

/** A profile file larger than this is refused rather than parsed (a few hundred runs of a big graph). */
const MAX_PROFILE_BYTES = 256 * 2 ** 20;

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

interface OpShare {
  op: string;
  msPerRun: number;
  share: number;
  nodesPerRun: number;
}

async function readProfile(file: string): Promise<ProfileEvent[]> {
  const { size } = await stat(file);
  if (size > MAX_PROFILE_BYTES)
    throw new EdgeError('E_FILE_TOO_LARGE', `profile of ${size} bytes; profile fewer runs`, { file, field: 'runs' });
  return JSON.parse(await readFile(file, 'utf8')) as ProfileEvent[];
}

/** Kernel time per operator type, per run, most expensive first. */
function summarise(events: ProfileEvent[], runs: number): { ops: OpShare[]; kernelMsPerRun: number } {
  const byOp = new Map<string, { us: number; n: number }>();
  let total = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    const r = byOp.get(op) ?? { us: 0, n: 0 };
    r.us += e.dur;
    r.n++;
    byOp.set(op, r);
    total += e.dur;
  }
  const ops = [...byOp]
    .map(([op, r]) => ({ op, msPerRun: r.us / runs / 1000, share: r.us / total, nodesPerRun: r.n / runs }))
    .sort((a, b) => b.msPerRun - a.msPerRun);
  return { ops, kernelMsPerRun: total / runs / 1000 };
}

async function main(): Promise<void> {
  const [anchor, candidate, shapeText, runsText, threadsText] = process.argv.slice(2);
  if (!anchor || !candidate || !shapeText)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      'usage: ort-op-profile <anchor.onnx> <candidate.onnx> <NxCxHxW> [runs] [threads]',
    );
  const shape = shapeText.split('x').map((d, i) => expectInteger(`shape[${i}]`, Number(d), 1, 65536));
  const runs = expectInteger('runs', Number(runsText ?? 20), 1, 10_000);
  const threads = threadsText !== undefined ? expectInteger('threads', Number(threadsText), 1, 1024) : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'ringmoe-edge-profile-'));
  try {
    const open = (path: string, tag: string) =>
      InferenceSession.create(path, {
        graphOptimizationLevel: 'all',
        enableProfiling: true,
        profileFilePrefix: join(dir, tag),
        ...(threads ? { intraOpNumThreads: threads } : {}),
      });
    const sessions = [await open(anchor, 'anchor'), await open(candidate, 'candidate')];
    const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37));
    const feeds = { [sessions[0]!.inputNames[0]!]: new Tensor('float32', data, shape) };
    for (let i = 0; i < runs; i++) for (const s of i % 2 ? [...sessions].reverse() : sessions) await s.run(feeds);
    for (const s of sessions) {
      s.endProfiling();
      await s.release();
    }
    const files = await readdir(dir);
    for (const tag of ['anchor', 'candidate']) {
      const file = files.find((f) => f.startsWith(tag) && f.endsWith('.json'));
      if (!file) throw new EdgeError('E_IO', `onnxruntime wrote no profile for the ${tag}`, { file: dir });
      const { ops, kernelMsPerRun } = summarise(await readProfile(join(dir, file)), runs);
      process.stdout.write(
        `${tag} (${tag === 'anchor' ? anchor : candidate}): kernels ${kernelMsPerRun.toFixed(2)} ms/run\n`,
      );
      for (const o of ops.slice(0, 12))
        process.stdout.write(
          `  ${o.op.padEnd(28)} ${o.msPerRun.toFixed(3).padStart(9)} ms/run ${(100 * o.share).toFixed(1).padStart(5)} %  ${o.nodesPerRun.toFixed(0)} nodes\n`,
        );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
