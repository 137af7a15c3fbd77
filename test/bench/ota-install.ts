/**
 * Install time of an update against a plain copy of the same bytes, in the same run: the agent
 * fetches the blobs a device lacks from a local HTTP server, verifies them, stages and fsyncs the
 * slot, loads and warms the new model beside the running one, switches, health-checks and
 * commits; the anchor copies those same files with copyFile. Medians of interleaved rounds, for
 * the expert-add delta and for a full install on an empty device.
 */
import { copyFile, cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { OtaAgent } from '../../sdk/ota/agent/agent.js';
import { fsyncPath } from '../../sdk/ota/slots/fs-durable.js';
import { bundleDelta } from '../../sdk/ota/bundle/delta.js';
import { encodeDesired } from '../../sdk/ota/fleet/desired-state.js';
import { OrtModelHost } from '../../sdk/ota/hosts/ort-model-host.js';
import { FsSlotStore } from '../../sdk/ota/slots/slot-store-fs.js';
import { openBundleDir, type BundleDir } from '../../tools/bundle/bundle-dir.js';
import { startBlobServer } from '../../tools/bundle/blob-server.js';
import { desiredFor } from '../../tools/bundle/desired.js';
import { tempDir } from '../helpers/packages.js';
import { median, type Bench, type BenchResult } from './harness.js';
import { OTA_BENCH_TARGET, otaBenchSet, type OtaBenchSet } from './ota-fixtures.js';

let seq = Date.now();

async function device(set: OtaBenchSet, root: string) {
  const store = await FsSlotStore.open(root);
  const host = await OrtModelHost.create({ entries: ['optical'], threads: 1 });
  const agent = await OtaAgent.start({
    identity: { fleet: 'bench', device: 'd', target: OTA_BENCH_TARGET },
    store,
    host,
    trust: set.trust,
    warmUpFrames: 1,
    health: { frames: 1, latencyBudgetMs: 60_000 },
  });
  return { store, host, agent, close: async () => (await agent.close(), await host.close(), await store.close()) };
}

/** One timed install; returns total ms and ms per phase (from the agent's transitions). */
async function timedInstall(
  set: OtaBenchSet,
  b: BundleDir,
  url: string,
  template?: string,
): Promise<{ ms: number; phases: Record<string, number> }> {
  const root = join(tempDir('bench-install'), 'store');
  if (template) await cp(template, root, { recursive: true });
  const d = await device(set, root);
  try {
    const marks: [string, number][] = [];
    d.agent.onReport((r) => marks.push([r.state, performance.now()]));
    const msg = encodeDesired(desiredFor(b, { fleet: 'bench', seq: ++seq, sources: { http: [url] } }), set.operator);
    const t0 = performance.now();
    const out = await d.agent.handleDesired(msg);
    const ms = performance.now() - t0;
    if (out.result !== 'installed') throw new Error(`install failed: ${out.code} ${out.message}`);
    const phases: Record<string, number> = {};
    let prev = t0;
    let state = 'verifying';
    for (const [s, t] of marks) {
      if (s === state) continue;
      phases[state] = (phases[state] ?? 0) + (t - prev);
      [state, prev] = [s, t];
    }
    return { ms, phases };
  } finally {
    await d.close();
  }
}

/** Copies `files` (blob paths) into a fresh directory, optionally fsyncing each copy; returns ms. */
async function timedCopy(files: string[], durable = false): Promise<number> {
  const dest = join(tempDir('bench-copy'), 'copy');
  await mkdir(dest, { recursive: true });
  const t0 = performance.now();
  for (const [i, f] of files.entries()) {
    await copyFile(f, join(dest, String(i)));
    if (durable) fsyncPath(join(dest, String(i)));
  }
  if (durable) fsyncPath(dest);
  return performance.now() - t0;
}

export const bench: Bench = {
  name: 'ota-install',
  description:
    'install time of an update (fetch, verify, stage + fsync, load + warm-up, switch, health check, commit) vs copyFile of the same bytes',
  async run(log) {
    const results: BenchResult[] = [];
    for (const [config, rounds] of [
      ['ringmoe-tiny', 7],
      ['ringmoe-small', 3],
    ] as const) {
      const set = await otaBenchSet(config, log);
      const [v2, v3] = [await openBundleDir(set.v2), await openBundleDir(set.v3)];
      const template = join(tempDir('bench-template'), 'store');
      {
        const d = await device(set, template);
        const out = await d.agent.installFromDirectory(set.v2);
        await d.close();
        if (out.result !== 'installed') throw new Error(out.message);
      }
      const server = await startBlobServer([v3]);
      const delta = bundleDelta(
        v3.manifest,
        v2.manifest.files.map((f) => f.sha256),
      );
      const deltaFiles = [
        ...new Set(v3.manifest.files.filter((f) => delta.paths.includes(f.path)).map((f) => v3.blobPath(f.sha256))),
      ];
      const allFiles = [...new Set(v3.manifest.files.map((f) => v3.blobPath(f.sha256)))];
      for (const [kind, files, start] of [
        ['expert add', deltaFiles, template],
        ['full', allFiles, undefined],
      ] as const) {
        const install: number[] = [];
        const copy: number[] = [];
        const durable: number[] = [];
        const phases: Record<string, number[]> = {};
        await timedCopy(files); // warm the page cache for both
        for (let r = 0; r < rounds; r++) {
          const order = r % 2 ? ['copy', 'durable', 'install'] : ['install', 'durable', 'copy'];
          for (const o of order) {
            if (o === 'copy') copy.push(await timedCopy(files));
            else if (o === 'durable') durable.push(await timedCopy(files, true));
            else {
              const x = await timedInstall(set, v3, server.url, start);
              install.push(x.ms);
              for (const [k, v] of Object.entries(x.phases)) (phases[k] ??= []).push(v);
            }
          }
        }
        const [mi, mc, md] = [median(install), median(copy), median(durable)];
        const bytesWork = ['verifying', 'downloading', 'staging'].reduce((a, k) => a + median(phases[k] ?? [0]), 0);
        const bytes = kind === 'full' ? delta.bytesTotal : delta.bytesNeeded;
        const breakdown = Object.entries(phases)
          .map(([k, v]) => `${k} ${median(v).toFixed(0)}`)
          .join(', ');
        log(
          `${config} ${kind}: ${(bytes / 2 ** 20).toFixed(1)} MiB in ${files.length} blobs; install median ${mi.toFixed(0)} ms (${breakdown}); copyFile median ${mc.toFixed(1)} ms, copyFile + fsync median ${md.toFixed(1)} ms`,
        );
        results.push({
          name: `ota-install (${config}, ${kind})`,
          ratio: { label: 'install time / plain copy of the same bytes', value: mi / mc },
          metrics: {
            installMedianMs: mi,
            copyMedianMs: mc,
            durableCopyMedianMs: md,
            verifyFetchStageMs: bytesWork,
            bytes,
            blobs: files.length,
            rounds,
            ...Object.fromEntries(Object.entries(phases).map(([k, v]) => [`${k}Ms`, median(v)])),
          },
        });
      }
      await server.close();
    }
    return results;
  },
};
