/**
 * One measured runtime of the runtime-memory bench, in its own process so its peak RSS (VmHWM) is
 * its own: a runtime serving one entry of a package runs `frames` raw RGB frames with the given
 * backend options.
 * Usage: node --import tsx runtime-memory-child.ts <package> <entry> <frames> <input size> <backendOptions json>
 * Prints one JSON line: { baselineRssBytes, loadedRssBytes, peakRssBytes, frames, loadMs }.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRuntime } from '../../sdk/runtime/runtime.js';
import { rawRgbFrames } from './pipeline-frames.js';

/** A /proc/self/status field in bytes (VmRSS, VmHWM); resourceUsage().maxRSS where there is no /proc. */
function statusBytes(field: 'VmRSS' | 'VmHWM'): number {
  const m = existsSync('/proc/self/status')
    ? new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))
    : null;
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

const [dir, entry, count, size, options] = process.argv.slice(2);
const frames = await rawRgbFrames(Number(count), Number(size));
// Everything but the runtime is loaded: modules, sharp, the frames.
const baselineRssBytes = statusBytes('VmRSS');
const t0 = process.hrtime.bigint();
const rt = await createRuntime({
  package: dir!,
  entries: [entry!],
  verify: 'size',
  batch: { max: 1 },
  workers: 0,
  backendOptions: JSON.parse(options!) as Record<string, unknown>,
});
const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
const loadedRssBytes = statusBytes('VmRSS');
let ok = 0;
for await (const o of rt.run(frames)) if (o.ok) ok++;
const peakRssBytes = statusBytes('VmHWM');
await rt.close();
if (ok !== frames.length) throw new Error(`${frames.length - ok} frame(s) failed`);
process.stdout.write(`${JSON.stringify({ baselineRssBytes, loadedRssBytes, peakRssBytes, frames: ok, loadMs })}\n`);
