/**
 * The preprocessing pool from the rollup build: the SDK bundle (ESM and CJS) finds
 * `preprocess-worker.js` beside itself and preprocesses a real multispectral scene in it.
 */
import test from 'ava';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REAL } from '../../../fixtures/frames/index.js';
import { buildSdkWithWorker, runAgainstBundles, sdkBuildConfigs } from '../../../helpers/sdk-bundle.js';

test('the pool works from the rollup build (ESM and CJS bundles, worker beside them)', async (t) => {
  const { sdk, worker } = await sdkBuildConfigs('sdk/sensors/preprocess/preprocess-worker.ts');
  t.truthy(worker, 'rollup.config.mjs has a worker entry');
  const dir = await buildSdkWithWorker(sdk, worker!, 'preprocess-worker.js', 'pool-build-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.true(existsSync(join(dir, 'preprocess-worker.js')));
  const results = await runAgainstBundles<{ tiles: number; shape: number[] }>(
    dir,
    (load) => `
    const sdk = ${load};
    const pool = await sdk.createPreprocessPool({ threads: 1 });
    const r = await pool.preprocess({ id: 'b', modality: 'multispectral', timestamp: 0, pixels: ${JSON.stringify(REAL.olinda)}, sensor: 'landsat7-etm' }, { inputSize: 64, fit: 'tile' });
    await pool.close();
    console.log(JSON.stringify({ tiles: r.layout.tiles.length, shape: r.batches[0].shape }));`,
  );
  t.is(results.length, 2);
  for (const r of results) {
    t.is(r.tiles, 49); // 7 × 7 tiles of 64 with ≥ 16 overlap over 349 × 352
    t.deepEqual(r.shape, [8, 4, 64, 64]);
  }
});
