/**
 * Starting a worker thread from a module URL that works from the TypeScript sources (run by tsx)
 * and from the rollup build (plain `.js` beside the bundle). The preprocessing pool
 * (sdk/sensors/pool.ts) and the onnxruntime worker backend start their workers through it.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * The URL of a worker script that lives beside the calling module in the sources and beside the
 * bundle in the build.
 * @param from the calling module's `import.meta.url`
 * @param source the script's file name in the sources (e.g. `./ort-worker-entry.ts`)
 * @param built its file name beside the bundle (e.g. `./ort-worker.js`)
 */
export function workerScriptUrl(from: string, source: string, built: string): URL {
  return new URL(from.endsWith('.ts') ? source : built, from);
}

/**
 * Starts a worker on `url` with `workerData`. A `.ts` script is bootstrapped through tsx's ESM API:
 * on Node 20 a `--import tsx` in the worker's execArgv registers tsx's hooks too late to load the
 * worker's own `.ts` entry, so the bootstrap registers them first and then imports the entry.
 * @example
 * const worker = startWorkerThread(workerScriptUrl(import.meta.url, './w.ts', './w.js'), { graph });
 */
export function startWorkerThread(url: URL, workerData: unknown): Worker {
  // Workers inherit the process's flags; `--input-type` (from `node --input-type=module -e ...`) is
  // refused by worker threads, so it is dropped.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData, execArgv });
  const code = `import(${JSON.stringify(tsxApiUrl())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData, execArgv });
}

/** URL of tsx's ESM API, resolved from this module (not from the process's working directory). */
function tsxApiUrl(): string {
  if (typeof import.meta.resolve === 'function') return import.meta.resolve('tsx/esm/api');
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  return pathToFileURL(pkg.replace(/package\.json$/, 'dist/esm/api/index.mjs')).href;
}
