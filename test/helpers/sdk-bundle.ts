/**
 * Builds the SDK with rollup (ESM and CJS) plus one worker entry beside it, the way the published
 * package lays them out, and runs a script against each bundle in a fresh Node process. The bundle
 * sits inside the repository so its bare imports resolve to node_modules; .cache/ is ignored by git
 * and the caller removes the directory (`t.teardown`).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rollup, type OutputOptions, type RollupOptions } from 'rollup';
import { REPO_ROOT } from './shared-data.js';

const run = promisify(execFile);

/** The rollup configs of the SDK bundle and of the worker entry `workerInput`. */
export async function sdkBuildConfigs(
  workerInput: string,
): Promise<{ sdk: RollupOptions; worker: RollupOptions | undefined }> {
  const config = (await import(join(REPO_ROOT, 'rollup.config.mjs'))).default as RollupOptions[];
  return {
    sdk: config.find((c) => c.input === 'sdk/index.ts' && Array.isArray(c.output))!,
    worker: config.find((c) => c.input === workerInput),
  };
}

/** Writes index.js, index.cjs and `workerFile` into a new directory under .cache/; returns it. */
export async function buildSdkWithWorker(
  sdk: RollupOptions,
  worker: RollupOptions,
  workerFile: string,
  prefix: string,
): Promise<string> {
  mkdirSync(join(REPO_ROOT, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, '.cache', prefix));
  const cwd = process.cwd();
  process.chdir(REPO_ROOT); // the config's paths are relative to the repository
  try {
    for (const [entry, outputs] of [
      [
        sdk,
        [
          { file: join(dir, 'index.js'), format: 'es' },
          { file: join(dir, 'index.cjs'), format: 'cjs', exports: 'named' },
        ],
      ],
      [worker, [{ file: join(dir, workerFile), format: 'es' }]],
    ] as [RollupOptions, OutputOptions[]][]) {
      const bundle = await rollup({ ...entry, onwarn: () => {} });
      for (const o of outputs) await bundle.write(o);
      await bundle.close();
    }
  } finally {
    process.chdir(cwd);
  }
  return dir;
}

/**
 * Runs `body(sdk)` — script text using the SDK loaded as `sdk` — against the ESM and the CJS bundle
 * in `dir`; returns the JSON each printed last.
 */
export async function runAgainstBundles<T>(dir: string, body: (load: string) => string): Promise<T[]> {
  const esm = await run(
    process.execPath,
    ['--input-type=module', '-e', body(`await import(${JSON.stringify(join(dir, 'index.js'))})`)],
    { cwd: dir, timeout: 120_000 },
  );
  const cjs = await run(
    process.execPath,
    [
      '-e',
      `(async () => { ${body(`require(${JSON.stringify(join(dir, 'index.cjs'))})`)} })().catch((e) => { console.error(e); process.exit(1); });`,
    ],
    { cwd: dir, timeout: 120_000 },
  );
  return [esm.stdout, cjs.stdout].map((out) => JSON.parse(out.trim().split('\n').pop()!) as T);
}
