/**
 * One measured step of the prune-throughput bench, in its own process so its peak RSS (VmHWM) is
 * its own: `prune` runs prunePackage, `copy` copies the same kept files with fs.copyFile, `copy-hash`
 * copies them and then sha256-hashes each copy.
 * Usage: node --import tsx prune-child.ts <prune|copy|copy-hash> <source> <out> <json>
 * Prints one JSON line: { ms, peakRssBytes, bytes }.
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sha256File } from '../../sdk/package/hash.js';
import { prunePackage } from '../../tools/prune/prune.js';

/** Peak resident set of this process: VmHWM where /proc exists, else resourceUsage().maxRSS. */
function peakRss(): number {
  const m = existsSync('/proc/self/status')
    ? /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
    : null;
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

const [mode, source, out, arg] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
let bytes = 0;
if (mode === 'copy' || mode === 'copy-hash') {
  const files = JSON.parse(await readFile(arg!, 'utf8')) as string[];
  for (const f of files) {
    await mkdir(dirname(join(out!, f)), { recursive: true });
    await copyFile(join(source!, f), join(out!, f));
    bytes += (await stat(join(out!, f))).size;
  }
  if (mode === 'copy-hash') for (const f of files) await sha256File(join(out!, f));
} else {
  const r = await prunePackage({
    dir: source!,
    outDir: out!,
    options: JSON.parse(arg!),
    verify: 'size',
    evaluate: false,
  });
  bytes = Object.values(r.manifest!.files).reduce((s, f) => s + f.size, 0);
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
process.stdout.write(`${JSON.stringify({ ms, peakRssBytes: peakRss(), bytes })}\n`);
