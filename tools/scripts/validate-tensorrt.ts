/**
 * `npm run validate:tensorrt -- <package-dir> [--entry name] [--precisions fp32,fp16,int8] [--iterations 50] [--json]`
 *
 * For vendors with Jetson hardware: builds a TensorRT engine for each entry of a model package at each
 * precision the device can run, compares its outputs with onnxruntime (CPU) on the same deterministic
 * inputs (fp32 ≤ 1e-3 and fp16 ≤ 1e-2 relative error, int8 cosine ≥ 0.99), and prints latency
 * (median, p90) and throughput. Engines go to a temporary cache and are removed afterwards.
 * Exit 0: all agree; 1: a comparison failed or a build failed; 2: usage error or TensorRT unavailable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import type { EntryManifest, InputSpec } from '../../sdk/internal.js';
import type { HostTensor } from '../../sdk/internal.js';
import { TensorRtBackend } from '../../sdk/internal.js';
import { BUILD_SPEC_FILE, type BuildSpec } from '../../sdk/internal.js';
import { graphHashFromManifest } from '../../sdk/internal.js';
import { readBuildSpec } from '../../sdk/internal.js';
import { compareOutput, latencyStats, type ComparePrecision, type OutputAgreement } from '../engine/compare.js';
import { readManifest } from '../engine/write-spec.js';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const json = args.includes('--json');
const VALUE_OPTIONS = ['--entry', '--precisions', '--iterations'];
const packageDir = args.find((a, i) => !a.startsWith('--') && !VALUE_OPTIONS.includes(args[i - 1] ?? ''));
const say = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
};

/** Deterministic inputs (xorshift, values in [-1, 1) for floats) for batch 1. */
function makeInput(spec: InputSpec, seed: number): HostTensor {
  const shape = spec.shape.map((d) => (typeof d === 'number' ? d : 1));
  const n = shape.reduce((a, b) => a * b, 1);
  let s = BigInt(seed) | 1n;
  const next = () => {
    s ^= (s << 13n) & 0xffffffffffffffffn;
    s ^= s >> 7n;
    s ^= (s << 17n) & 0xffffffffffffffffn;
    return Number(s & 0xffffffn) / 0x1000000;
  };
  if (spec.dtype === 'float32')
    return { dtype: 'float32', shape, data: Float32Array.from({ length: n }, () => next() * 2 - 1) };
  if (spec.dtype === 'uint8')
    return { dtype: 'uint8', shape, data: Uint8Array.from({ length: n }, () => Math.floor(next() * 256)) };
  throw new EdgeError(
    'E_INVALID_ARGUMENT',
    `validate:tensorrt feeds float32 or uint8 inputs; ${spec.name} is ${spec.dtype}`,
  );
}

async function referenceOutputs(graph: string, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(graph, { executionProviders: ['cpu'] });
  try {
    const ortFeeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const [name, t] of Object.entries(feeds))
      ortFeeds[name] = new ort.Tensor(t.dtype === 'float32' ? 'float32' : 'uint8', t.data as Float32Array, t.shape);
    const res = await session.run(ortFeeds);
    const out: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(res))
      out[name] = { dtype: t.type as HostTensor['dtype'], shape: [...t.dims], data: t.data as Float32Array };
    return out;
  } finally {
    await session.release();
  }
}

interface Row {
  entry: string;
  precision: ComparePrecision;
  target: string;
  ok: boolean;
  /** Not applicable to this graph/device (e.g. int8 without Q/DQ nodes or calibration cache). */
  skipped?: string;
  agreement: OutputAgreement[];
  medianMs?: number;
  p90Ms?: number;
  throughput?: number;
  error?: string;
}

async function validateEntry(
  backend: TensorRtBackend,
  dir: string,
  entry: EntryManifest,
  precisions: ComparePrecision[],
  iterations: number,
  cacheDir: string,
  manifest: Awaited<ReturnType<typeof readManifest>>,
  spec: BuildSpec | undefined,
): Promise<Row[]> {
  const graph = join(dir, entry.graph);
  const feeds = Object.fromEntries(entry.inputs.map((s, i) => [s.name, makeInput(s, 1000 + i)]));
  const reference = await referenceOutputs(graph, feeds);
  const rows: Row[] = [];
  for (const precision of precisions) {
    const row: Row = { entry: entry.name, precision, target: 'gpu', ok: false, agreement: [] };
    try {
      const session = await backend.load({
        graphPath: graph,
        precision,
        maxBatch: 1,
        extra: {
          cacheDir,
          build: 'always',
          entry: entry.name,
          graphSha256: graphHashFromManifest(manifest, entry.name),
          ...calibrationFor(dir, spec, entry.name, precision),
        },
      });
      try {
        const out = await session.run(feeds);
        row.agreement = Object.keys(reference).map((name) =>
          compareOutput(name, out[name]!, reference[name]!, precision),
        );
        for (let i = 0; i < 5; i++) await session.run(feeds);
        const samples: number[] = [];
        for (let i = 0; i < iterations; i++) {
          const t0 = performance.now();
          await session.run(feeds);
          samples.push(performance.now() - t0);
        }
        const { median, p90 } = latencyStats(samples);
        Object.assign(row, {
          medianMs: median,
          p90Ms: p90,
          throughput: 1000 / median,
          ok: row.agreement.every((a) => a.pass),
        });
      } finally {
        await session.dispose();
      }
    } catch (err) {
      if (precision === 'int8' && /needs (Q\/DQ|QuantizeLinear)/.test(messageOf(err))) {
        row.skipped = 'graph has no Q/DQ nodes and the package has no calibration cache for it';
        row.ok = true;
      } else {
        row.error = `${(err as EdgeError).code ?? 'ERROR'}: ${messageOf(err)}`;
      }
    }
    rows.push(row);
    if (row.skipped) {
      say(`skip ${entry.name} ${precision}: ${row.skipped}`);
      continue;
    }
    say(
      `${row.ok ? 'ok  ' : 'FAIL'} ${entry.name} ${precision}` +
        (row.error
          ? ` ${row.error}`
          : ` ${row.agreement.map((a) => `${a.name} ${a.metric}=${a.value.toPrecision(3)} (limit ${a.limit})`).join(', ')}; median ${row.medianMs!.toFixed(2)} ms, p90 ${row.p90Ms!.toFixed(2)} ms, ${row.throughput!.toFixed(1)} inferences/s`),
    );
  }
  return rows;
}

/** The package's calibration cache for an int8 build of `entry`, when its build spec names one. */
function calibrationFor(
  dir: string,
  spec: BuildSpec | undefined,
  entry: string,
  precision: ComparePrecision,
): { calibrationCache?: string } {
  if (precision !== 'int8') return {};
  const e = spec?.engines.find((x) => x.entry === entry && x.calibrationCache !== null);
  return e ? { calibrationCache: join(dir, e.calibrationCache!) } : {};
}

async function main(): Promise<number> {
  if (!packageDir) {
    process.stderr.write(
      'usage: npm run validate:tensorrt -- <package-dir> [--entry name] [--precisions fp32,fp16,int8] [--iterations 50] [--json]\n',
    );
    return 2;
  }
  const backend = new TensorRtBackend();
  const avail = await backend.availability();
  if (!avail.available) {
    if (json) process.stdout.write(`${JSON.stringify({ available: false, reason: avail.reason })}\n`);
    process.stderr.write(`${avail.reason}\n`);
    return 2;
  }
  const dir = resolve(packageDir);
  const manifest = await readManifest(dir);
  const precisions = (opt('--precisions') ?? 'fp32,fp16,int8').split(',') as ComparePrecision[];
  const iterations = Number(opt('--iterations') ?? 50);
  const spec = manifest.files[BUILD_SPEC_FILE] ? await readBuildSpec(dir, manifest) : undefined;
  const entries = manifest.entries.filter((e) => !opt('--entry') || e.name === opt('--entry'));
  say(`TensorRT ${avail.version} on ${avail.devices?.join(', ')}; package ${manifest.name}`);
  const cacheDir = mkdtempSync(join(tmpdir(), 'ringmoe-validate-'));
  const rows: Row[] = [];
  try {
    for (const entry of entries)
      rows.push(...(await validateEntry(backend, dir, entry, precisions, iterations, cacheDir, manifest, spec)));
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  if (json)
    process.stdout.write(
      `${JSON.stringify({ available: true, tensorrt: avail.version, devices: avail.devices, rows }, null, 2)}\n`,
    );
  const failed = rows.filter((r) => !r.ok).length;
  say(`${rows.length - failed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`validate:tensorrt: ${messageOf(err)}\n`);
    process.exit(err instanceof EdgeError ? 2 : 1);
  },
);
