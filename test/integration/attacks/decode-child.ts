/**
 * Child process for the memory-bound attack tests: reads one hostile frame (a file path, or a raw
 * frame it builds itself), records its resident set once idle, preprocesses the frame through the SDK
 * (directly, or `copies` at once through a preprocessing pool with the default worker count) and
 * prints one JSON line: the outcome and the peak resident set above idle.
 *
 * Usage: decode-child.ts <mode: sdk|pool> <source: path|raw:WxH> <modality> [copies] [threads]
 *   [--fit=resize|resize-crop|tile] [--sensor=<preset>] [--size=<input side>]
 * (defaults: fit resize, no sensor, input side 64; the result then also carries the layout's
 * source and decoded sizes)
 */
import { readFileSync } from 'node:fs';
import { createPreprocessPool, preprocessFrame, type Frame } from '../../../sdk/sensors/index.js';

/** Resident and peak resident set in bytes (Linux /proc; elsewhere the peak from resourceUsage). */
function memory(): { rss: number; peak: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: process.memoryUsage().rss, peak: process.resourceUsage().maxRSS * 1024 };
  }
}

const flags = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => a.slice(2).split('=') as [string, string]),
);
const [mode, source, modality, copiesArg, threadsArg] = process.argv.slice(2).filter((a) => !a.startsWith('--')) as [
  string,
  string,
  string,
  string | undefined,
  string | undefined,
];
const copies = Number(copiesArg ?? 1);
let pixels: Frame['pixels'];
const raw = /^raw:(\d+)x(\d+)$/.exec(source);
if (raw) {
  const width = Number(raw[1]);
  const height = Number(raw[2]);
  pixels = { width, height, bands: 1, dtype: 'uint8', layout: 'chw', data: new Uint8Array(width * height).fill(7) };
} else pixels = new Uint8Array(readFileSync(source));
const frame = (i: number): Frame => ({
  id: `hostile-${i}`,
  modality,
  timestamp: 0,
  pixels,
  ...(flags.sensor ? { sensor: flags.sensor } : {}),
});
const options = {
  inputSize: Number(flags.size ?? 64),
  fit: (flags.fit ?? 'resize') as 'resize' | 'resize-crop' | 'tile',
};
const pool =
  mode === 'pool' ? await createPreprocessPool(threadsArg ? { threads: Number(threadsArg) } : {}) : undefined;
await new Promise((r) => setTimeout(r, 50));
const idle = memory().rss;
const started = Date.now();
const outcomes = await Promise.allSettled(
  Array.from({ length: copies }, (_, i) =>
    pool ? pool.preprocess(frame(i), options, { transfer: false }) : preprocessFrame(frame(i), options),
  ),
);
const ms = Date.now() - started;
await pool?.close();
const results = outcomes.map((o) =>
  o.status === 'fulfilled'
    ? { ok: true, source: o.value.layout.source, decoded: o.value.layout.decoded }
    : { ok: false, code: (o.reason as { code?: string }).code, message: String((o.reason as Error).message) },
);
process.stdout.write(
  `${JSON.stringify({ results, idle, peakAboveIdle: memory().peak - idle, ms, threads: pool?.threads })}\n`,
);
