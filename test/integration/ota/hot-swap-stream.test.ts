/**
 * Hot swap under a continuous frame stream: the host always has frames queued while an update
 * installs, switches and health-checks. Every frame must be served exactly once, in order, and
 * by the model its result names — checked against each model's own output for that frame.
 */
import test from 'ava';
import { probeFeeds } from '../../../sdk/ota/hosts/probe-frames.js';
import { openPackage } from '../../../sdk/package/open-package.js';
import { openBundleDir } from '../../../tools/bundle/bundle-dir.js';
import { startBlobServer } from '../../../tools/bundle/blob-server.js';
import { maxAbsDiff, runEntry } from '../../helpers/packages.js';
import { desiredMessage, otaFixture, startDevice, startStream, type StreamLog } from './fixtures.js';

async function referenceEmbedding(pkgDir: string) {
  const pkg = await openPackage(pkgDir, { verify: 'none' });
  const entry = pkg.entry('optical');
  return (await runEntry(pkgDir, entry, probeFeeds(entry, 42))).embedding!;
}

function analyse(log: StreamLog) {
  const seqs = log.results.map((r) => r.seq);
  const unique = new Set(seqs);
  const models: string[] = [];
  for (const r of log.results) if (models[models.length - 1] !== r.model) models.push(r.model);
  return {
    submitted: log.submitted,
    served: log.results.length,
    lost: log.submitted - unique.size - log.errors.length,
    duplicated: seqs.length - unique.size,
    inOrder: seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
    runs: models,
  };
}

async function waitFrames(log: StreamLog, n: number) {
  const target = log.results.length + n;
  while (log.results.length < target) await new Promise((r) => setTimeout(r, 10));
}

test('an update installs under a continuous stream with zero frames lost or duplicated, each frame computed by the model it names', async (t) => {
  const fx = await otaFixture();
  const dev = await startDevice(fx);
  try {
    t.is((await dev.agent.installFromDirectory(fx.bundles.v1)).result, 'installed');
    const v1 = dev.agent.report().current!.manifest;
    const stream = startStream(dev.host, 'optical', 3);
    await waitFrames(stream.log, 20);
    const v2b = await openBundleDir(fx.bundles.v2);
    const server = await startBlobServer([v2b]);
    const outcome = await dev.agent.handleDesired(await desiredMessage(fx, v2b, { http: [server.url] }));
    await waitFrames(stream.log, 20);
    const log = await stream.stop();
    await server.close();
    t.is(outcome.result, 'installed', outcome.message);
    const a = analyse(log);
    t.log(
      `frames submitted ${a.submitted}, served ${a.served}, lost ${a.lost}, duplicated ${a.duplicated}, errors ${log.errors.length}`,
    );
    t.deepEqual(log.errors, []);
    t.is(a.lost, 0);
    t.is(a.duplicated, 0);
    t.true(a.inOrder);
    t.deepEqual(a.runs, [v1, v2b.manifestSha256], 'one switch, from v1 to v2, between two frames');
    const [ref1, ref2] = [await referenceEmbedding(fx.packages.v1), await referenceEmbedding(fx.packages.v2)];
    t.true(maxAbsDiff(ref1, ref2) > 1e-3, 'the two versions compute different embeddings');
    for (const r of log.results) {
      const ref = r.model === v1 ? ref1 : ref2;
      t.true(maxAbsDiff(r.outputs.embedding!, ref) < 1e-5, `frame ${r.seq} was computed by ${r.model.slice(0, 8)}`);
    }
  } finally {
    await dev.close();
  }
});

test('a rollback under a continuous stream also loses and repeats no frame: v1, then v2, then v1 again', async (t) => {
  const fx = await otaFixture();
  // A latency budget no model meets: v2 fails its health check after the switch.
  const dev = await startDevice(fx, { agent: { health: { frames: 2, latencyBudgetMs: 0.001 } } });
  try {
    t.is((await dev.agent.installFromDirectory(fx.bundles.v1)).result, 'installed');
    const v1 = dev.agent.report().current!.manifest;
    const stream = startStream(dev.host, 'optical', 2);
    await waitFrames(stream.log, 10);
    const v2b = await openBundleDir(fx.bundles.v2);
    const server = await startBlobServer([v2b]);
    const outcome = await dev.agent.handleDesired(await desiredMessage(fx, v2b, { http: [server.url] }));
    await waitFrames(stream.log, 10);
    const log = await stream.stop();
    await server.close();
    t.is(outcome.result, 'rolled-back');
    t.is(outcome.code, 'E_HEALTH_CHECK');
    t.regex(outcome.message!, /over the 0\.001 ms budget/);
    const a = analyse(log);
    t.log(
      `frames submitted ${a.submitted}, served ${a.served}, lost ${a.lost}, duplicated ${a.duplicated}; model runs ${a.runs.map((m) => m.slice(0, 8)).join(' → ')}`,
    );
    t.deepEqual(log.errors, []);
    t.is(a.lost, 0);
    t.is(a.duplicated, 0);
    t.true(a.inOrder);
    t.deepEqual(a.runs, [v1, v2b.manifestSha256, v1], 'one switch to v2 and one back, each between two frames');
    t.is((await dev.store.readPointer())!.current, v1);
    t.false(await dev.store.hasSlot(v2b.manifestSha256), 'the failed version was collected');
  } finally {
    await dev.close();
  }
});
