/**
 * OrtWorkerBackend from the rollup build: the SDK bundle (ESM and CJS) finds `ort-worker.js`
 * beside itself and runs a session in it.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rollup, type OutputOptions, type RollupOptions } from 'rollup';
import { tinyPackage } from '../../helpers/packages.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';

const run = promisify(execFile);

// The bundle must sit inside the repository so its bare imports resolve to node_modules; .cache/
// is ignored by git and removed after the test.
test('the worker backend works from the rollup build (ESM and CJS bundles, worker beside them)', async (t) => {
  const { dir: pkg, manifest } = await tinyPackage();
  const graphPath = join(pkg, manifest.entries.find((e) => e.name === 'optical')!.graph);
  mkdirSync(join(REPO_ROOT, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, '.cache', 'ort-worker-build-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = (await import(join(REPO_ROOT, 'rollup.config.mjs'))).default as RollupOptions[];
  const sdk = config.find((c) => c.input === 'sdk/index.ts' && Array.isArray(c.output))!;
  const worker = config.find((c) => c.input === 'sdk/runtime/backends/ort-worker-entry.ts')!;
  t.truthy(worker, 'rollup.config.mjs has the onnxruntime worker entry');
  t.deepEqual((worker.output as OutputOptions[]).map((o) => o.file), ['dist/sdk/ort-worker.js', 'dist/cli/ort-worker.js']);
  const cwd = process.cwd();
  process.chdir(REPO_ROOT); // the config's paths are relative to the repository
  try {
    for (const [entry, outputs] of [
      [sdk, [{ file: join(dir, 'index.js'), format: 'es' }, { file: join(dir, 'index.cjs'), format: 'cjs', exports: 'named' }]],
      [worker, [{ file: join(dir, 'ort-worker.js'), format: 'es' }]],
    ] as [RollupOptions, OutputOptions[]][]) {
      const bundle = await rollup({ ...entry, onwarn: () => {} });
      for (const o of outputs) await bundle.write(o);
      await bundle.close();
    }
  } finally {
    process.chdir(cwd);
  }
  t.true(existsSync(join(dir, 'ort-worker.js')));
  const body = (load: string) => `
    const sdk = ${load};
    const s = await new sdk.OrtWorkerBackend().load({ graphPath: ${JSON.stringify(graphPath)}, threads: 1 });
    const r = await s.run({ image: { dtype: 'float32', shape: [1, 3, 64, 64], data: new Float32Array(3 * 64 * 64) } }, ['cls_logits']);
    const thread = s.info.thread;
    await s.dispose();
    console.log(JSON.stringify({ thread, shape: r.cls_logits.shape }));`;
  const esm = await run(process.execPath, ['--input-type=module', '-e', body(`await import(${JSON.stringify(join(dir, 'index.js'))})`)], { cwd: dir, timeout: 120_000 });
  const cjs = await run(process.execPath, ['-e', `(async () => { ${body(`require(${JSON.stringify(join(dir, 'index.cjs'))})`)} })().catch((e) => { console.error(e); process.exit(1); });`], { cwd: dir, timeout: 120_000 });
  for (const out of [esm.stdout, cjs.stdout]) {
    const r = JSON.parse(out.trim().split('\n').pop()!) as { thread: string; shape: number[] };
    t.deepEqual(r, { thread: 'worker', shape: [1, 45] });
  }
});
