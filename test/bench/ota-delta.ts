/**
 * Bytes an expert-add update transfers (a device on the optical sub-model gets SAR-L2) against the
 * full bundle, measured at the blob server while a real agent installs each: once on a device that
 * runs v2.0.0 (the delta), once on an empty device (everything).
 */
import { OtaAgent } from '../../sdk/ota/agent/agent.js';
import { bundleDelta } from '../../sdk/ota/bundle/delta.js';
import { encodeDesired } from '../../sdk/ota/fleet/desired-state.js';
import { OrtModelHost } from '../../sdk/ota/hosts/ort-model-host.js';
import { FsSlotStore } from '../../sdk/ota/slots/slot-store-fs.js';
import { openBundleDir } from '../../tools/bundle/bundle-dir.js';
import { startBlobServer } from '../../tools/bundle/blob-server.js';
import { desiredFor } from '../../tools/bundle/desired.js';
import { tempDir } from '../helpers/packages.js';
import type { Bench, BenchResult } from './harness.js';
import { OTA_BENCH_TARGET, otaBenchSet, type OtaBenchSet } from './ota-fixtures.js';

let seq = Date.now();

/** Installs `bundle` on a device that has `start` installed (or nothing); returns the bytes served. */
async function bytesFor(set: OtaBenchSet, bundle: string, start?: string): Promise<number> {
  const root = tempDir('bench-delta');
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
  try {
    if (start) {
      const out = await agent.installFromDirectory(start);
      if (out.result !== 'installed') throw new Error(`setup failed: ${out.message}`);
    }
    const b = await openBundleDir(bundle);
    const server = await startBlobServer([b]);
    try {
      const out = await agent.handleDesired(
        encodeDesired(desiredFor(b, { fleet: 'bench', seq: ++seq, sources: { http: [server.url] } }), set.operator),
      );
      if (out.result !== 'installed') throw new Error(`install failed: ${out.code} ${out.message}`);
      return server.bytesSent;
    } finally {
      await server.close();
    }
  } finally {
    await agent.close();
    await host.close();
    await store.close();
  }
}

export const bench: Bench = {
  name: 'ota-delta',
  description:
    'bytes an expert-add update (optical → optical + SAR-L2) transfers vs the full bundle, measured at the blob server',
  async run(log) {
    const results: BenchResult[] = [];
    for (const config of ['ringmoe-tiny', 'ringmoe-small']) {
      const set = await otaBenchSet(config, log);
      const [v2, v3] = [await openBundleDir(set.v2), await openBundleDir(set.v3)];
      const predicted = bundleDelta(
        v3.manifest,
        v2.manifest.files.map((f) => f.sha256),
      );
      const delta = await bytesFor(set, set.v3, set.v2);
      const full = await bytesFor(set, set.v3);
      const experts = predicted.paths.filter((p) => /modal\.sar-l2\.\d+\.bin$/.test(p)).length;
      // What the delta is made of.
      const kinds: Record<string, number> = {};
      const seen = new Set<string>();
      for (const f of v3.manifest.files) {
        if (!predicted.paths.includes(f.path) || seen.has(f.sha256)) continue;
        seen.add(f.sha256);
        const k = /modal\.sar-l2\.\d+\.bin$|router\.modal\.sar-l2|embed\.sar-l2/.test(f.path)
          ? 'sarExpertsRoutersEmbedBytes'
          : f.path.endsWith('.onnx')
            ? 'graphBytes'
            : f.path === 'ringmoe.json'
              ? 'packageManifestBytes'
              : f.path.startsWith('reports/')
                ? 'reportBytes'
                : 'fusionHeadBytes';
        kinds[k] = (kinds[k] ?? 0) + f.size;
      }
      log(
        `${config}: delta made of ${Object.entries(kinds)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
      log(
        `${config}: delta ${delta} bytes (${predicted.blobsNeeded} blobs, ${experts} SAR-L2 expert files) vs full ${full} bytes (${predicted.blobsTotal} blobs); ${(full / delta).toFixed(2)}x fewer bytes`,
      );
      results.push({
        name: `ota-delta (${config})`,
        ratio: {
          label: 'delta bytes / full bundle bytes, both + bundle.json (<1: the expert add ships less)',
          value: delta / full,
        },
        metrics: {
          deltaBytes: delta,
          fullBytes: full,
          predictedDeltaBytes: predicted.bytesNeeded + v3.manifestBytes.length,
          blobsNeeded: predicted.blobsNeeded,
          blobsTotal: predicted.blobsTotal,
          expertFiles: experts,
          ...kinds,
        },
      });
    }
    return results;
  },
};
