/**
 * OrtWorkerBackend from the rollup build: the SDK bundle (ESM and CJS) finds `ort-worker.js`
 * beside itself and runs a session in it.
 */
import test from 'ava';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { OutputOptions } from 'rollup';
import { tinyPackage } from '../../../helpers/packages.js';
import { buildSdkWithWorker, runAgainstBundles, sdkBuildConfigs } from '../../../helpers/sdk-bundle.js';

test('the worker backend works from the rollup build (ESM and CJS bundles, worker beside them)', async (t) => {
  const { dir: pkg, manifest } = await tinyPackage();
  const graphPath = join(pkg, manifest.entries.find((e) => e.name === 'optical')!.graph);
  const { sdk, worker } = await sdkBuildConfigs('sdk/runtime/backends/ort-worker-entry.ts');
  t.truthy(worker, 'rollup.config.mjs has the onnxruntime worker entry');
  t.deepEqual(
    (worker!.output as OutputOptions[]).map((o) => o.file),
    ['dist/sdk/ort-worker.js', 'dist/cli/ort-worker.js'],
  );
  const dir = await buildSdkWithWorker(sdk, worker!, 'ort-worker.js', 'ort-worker-build-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.true(existsSync(join(dir, 'ort-worker.js')));
  const results = await runAgainstBundles<{ thread: string; shape: number[] }>(
    dir,
    (load) => `
    const sdk = ${load};
    const s = await new sdk.OrtWorkerBackend().load({ graphPath: ${JSON.stringify(graphPath)}, threads: 1 });
    const r = await s.run({ image: { dtype: 'float32', shape: [1, 3, 64, 64], data: new Float32Array(3 * 64 * 64) } }, ['cls_logits']);
    const thread = s.info.thread;
    await s.dispose();
    console.log(JSON.stringify({ thread, shape: r.cls_logits.shape }));`,
  );
  t.is(results.length, 2);
  for (const r of results) t.deepEqual(r, { thread: 'worker', shape: [1, 45] });
});
