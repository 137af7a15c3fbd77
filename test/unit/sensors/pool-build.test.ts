import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rollup, type RollupOptions, type OutputOptions } from 'rollup';
import { REPO_ROOT } from '../../helpers/shared-data.js';
import { REAL } from '../../fixtures/frames/index.js';

const run = promisify(execFile);

// The bundle must sit inside the repository so its bare imports (sharp, geotiff) resolve to
// node_modules; .cache/ is ignored by git and removed after the test.
test('the pool works from the rollup build (ESM and CJS bundles, worker beside them)', async (t) => {
  mkdirSync(join(REPO_ROOT, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, '.cache', 'pool-build-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = (await import(join(REPO_ROOT, 'rollup.config.mjs'))).default as RollupOptions[];
  const sdk = config.find((c) => c.input === 'sdk/index.ts' && Array.isArray(c.output))!;
  const worker = config.find((c) => c.input === 'sdk/sensors/preprocess-worker.ts')!;
  t.truthy(worker, 'rollup.config.mjs has a worker entry');
  const cwd = process.cwd();
  process.chdir(REPO_ROOT); // the config's paths are relative to the repository
  try {
    for (const [entry, outputs] of [
      [sdk, [{ file: join(dir, 'index.js'), format: 'es' }, { file: join(dir, 'index.cjs'), format: 'cjs', exports: 'named' }]],
      [worker, [{ file: join(dir, 'preprocess-worker.js'), format: 'es' }]],
    ] as [RollupOptions, OutputOptions[]][]) {
      const bundle = await rollup({ ...entry, onwarn: () => {} });
      for (const o of outputs) await bundle.write(o);
      await bundle.close();
    }
  } finally {
    process.chdir(cwd);
  }
  t.true(existsSync(join(dir, 'preprocess-worker.js')));
  const body = (load: string) => `
    const sdk = ${load};
    const pool = await sdk.createPreprocessPool({ threads: 1 });
    const r = await pool.preprocess({ id: 'b', modality: 'multispectral', timestamp: 0, pixels: ${JSON.stringify(REAL.olinda)}, sensor: 'landsat7-etm' }, { inputSize: 64, fit: 'tile' });
    await pool.close();
    console.log(JSON.stringify({ tiles: r.layout.tiles.length, shape: r.batches[0].shape }));`;
  const esm = await run(process.execPath, ['--input-type=module', '-e', body(`await import(${JSON.stringify(join(dir, 'index.js'))})`)], { cwd: dir, timeout: 120_000 });
  const cjs = await run(process.execPath, ['-e', `(async () => { ${body(`require(${JSON.stringify(join(dir, 'index.cjs'))})`)} })().catch((e) => { console.error(e); process.exit(1); });`], { cwd: dir, timeout: 120_000 });
  for (const out of [esm.stdout, cjs.stdout]) {
    const r = JSON.parse(out.trim().split('\n').pop()!) as { tiles: number; shape: number[] };
    t.is(r.tiles, 49); // 7 × 7 tiles of 64 with ≥ 16 overlap over 349 × 352
    t.deepEqual(r.shape, [8, 4, 64, 64]);
  }
});
