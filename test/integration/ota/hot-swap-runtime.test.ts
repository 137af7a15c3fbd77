/**
 * Hot swap under a continuous frame stream on the runtime SDK's pipeline: the OTA agent drives a
 * RuntimeModelHost while `runtime.run` streams real aerial frames (examples/data/aerial/aero1.jpg).
 * Every frame must come out exactly once, in order, as a result (no failure, no drop), by the
 * model version its result names: v1, then v2 — and for a failed health check v1, v2, v1.
 * The same contract as hot-swap-stream.test.ts, which drives the onnxruntime host directly.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OtaAgent } from '../../../sdk/ota/agent/agent.js';
import { RuntimeModelHost } from '../../../sdk/ota/hosts/runtime-model-host.js';
import { FsSlotStore } from '../../../sdk/ota/slots/slot-store-fs.js';
import type { FrameOutcome } from '../../../sdk/pipeline/results.js';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import type { Frame } from '../../../sdk/sensors/frame.js';
import { openBundleDir } from '../../../tools/bundle/bundle-dir.js';
import { startBlobServer } from '../../../tools/bundle/blob-server.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';
import { desiredMessage, FLEET, otaFixture, startDevice, TARGET } from './fixtures.js';
import { LOADED_MACHINE_BUDGET_MS } from '../../helpers/budgets.js';

async function scenario(
  t: import('ava').ExecutionContext,
  latencyBudgetMs: number,
): Promise<{ runs: string[]; outcomes: FrameOutcome[]; result: string; v1: string; v2: string }> {
  const fx = await otaFixture();
  // Provision v1 into a slot store, then start the runtime on the slot the device boots.
  const provision = await startDevice(fx);
  t.is((await provision.agent.installFromDirectory(fx.bundles.v1)).result, 'installed');
  const root = provision.root;
  await provision.close();
  const store = await FsSlotStore.open(root);
  const pointer = (await store.readPointer())!;
  const runtime = await createRuntime({
    package: store.slotPackageDir(pointer.current),
    backend: 'onnxruntime',
    entries: ['optical'],
    workers: 1,
    threads: 1,
    verify: 'size',
  });
  const host = new RuntimeModelHost(runtime, { entries: ['optical'] });
  const agent = await OtaAgent.start({
    identity: { fleet: FLEET, device: 'rt', target: TARGET },
    store,
    host,
    trust: fx.trust,
    health: { frames: 2, latencyBudgetMs },
    warmUpFrames: 1,
  });
  const pixels = await readFile(join(REPO_ROOT, 'examples', 'data', 'aerial', 'aero1.jpg'));
  let running = true;
  let n = 0;
  async function* camera(): AsyncGenerator<Frame> {
    while (running) {
      yield { id: `f${n}`, modality: 'optical', timestamp: Date.now(), pixels: Buffer.from(pixels) }; // a copy: the pool takes the bytes it is given
      n++;
      await new Promise((r) => setTimeout(r, 40)); // a 25 fps camera
    }
  }
  const outcomes: FrameOutcome[] = [];
  const consumer = (async () => {
    for await (const o of runtime.run(camera(), { policy: 'block' })) outcomes.push(o);
  })();
  const v2b = await openBundleDir(fx.bundles.v2);
  const server = await startBlobServer([v2b]);
  try {
    while (outcomes.length < 15) await new Promise((r) => setTimeout(r, 10));
    const out = await agent.handleDesired(await desiredMessage(fx, v2b, { http: [server.url] }));
    const after = outcomes.length;
    while (outcomes.length < after + 15) await new Promise((r) => setTimeout(r, 10));
    running = false;
    await consumer;
    const v1 = (await openBundleDir(fx.bundles.v1)).manifest.package.manifestSha256;
    const v2 = v2b.manifest.package.manifestSha256;
    const runs: string[] = [];
    for (const o of outcomes) if (o.ok && runs[runs.length - 1] !== o.model.packageHash) runs.push(o.model.packageHash);
    return { runs, outcomes, result: out.result, v1, v2 };
  } finally {
    await server.close();
    await agent.close();
    await host.close();
    await runtime.close();
    await store.close();
  }
}

function exactlyOnceInOrder(t: import('ava').ExecutionContext, outcomes: FrameOutcome[]): void {
  const failures = outcomes.filter((o) => !o.ok);
  t.deepEqual(failures, [], 'no frame failed or was dropped');
  const ids = outcomes.map((o) => o.frameId);
  t.is(new Set(ids).size, ids.length, 'no frame came out twice');
  t.deepEqual(
    ids,
    ids.map((_, i) => `f${i}`),
    'every frame, in order, none missing',
  );
}

test.serial(
  'runtime pipeline: an OTA update swaps the model under a continuous stream, every frame exactly once',
  async (t) => {
    const r = await scenario(t, LOADED_MACHINE_BUDGET_MS);
    t.is(r.result, 'installed');
    exactlyOnceInOrder(t, r.outcomes);
    t.deepEqual(r.runs, [r.v1, r.v2]);
    t.log(
      `${r.outcomes.length} frames: ${r.outcomes.filter((o) => o.ok && o.model.packageHash === r.v1).length} by v1, ${r.outcomes.filter((o) => o.ok && o.model.packageHash === r.v2).length} by v2`,
    );
  },
);

test.serial(
  'runtime pipeline: a failed health check swaps back under the stream, every frame exactly once',
  async (t) => {
    const r = await scenario(t, 0.001);
    t.is(r.result, 'rolled-back');
    exactlyOnceInOrder(t, r.outcomes);
    t.is(r.runs[0], r.v1);
    t.is(r.runs[r.runs.length - 1], r.v1);
    t.true(r.runs.length === 1 || (r.runs.length === 3 && r.runs[1] === r.v2), r.runs.join(' → '));
    t.log(`${r.outcomes.length} frames; model runs ${r.runs.map((x) => x.slice(0, 8)).join(' → ')}`);
  },
);
