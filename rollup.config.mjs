// Builds the SDK entry (sdk/index.ts) to ESM + CJS + one .d.ts, and the CLI to dist/cli.
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
// Dependencies stay external (node_modules). onnx-buf is ESM-only: SDK code imports it with a
// dynamic import(), which the CJS build keeps as import() (Node loads ESM from CommonJS that way).
const deps = Object.keys(pkg.dependencies);
const external = (id) => id.startsWith('node:') || deps.some((d) => id === d || id.startsWith(`${d}/`));

const ts = () =>
  typescript({
    tsconfig: './tsconfig.json',
    compilerOptions: { declaration: false, outDir: undefined, rootDir: undefined, noEmit: false },
    include: ['sdk/**/*.ts', 'tools/**/*.ts'],
  });

export default [
  {
    input: 'sdk/index.ts',
    output: [
      { file: 'dist/sdk/index.js', format: 'es', sourcemap: false },
      { file: 'dist/sdk/index.cjs', format: 'cjs', sourcemap: false, exports: 'named' },
    ],
    external,
    plugins: [ts()],
  },
  {
    input: 'sdk/index.ts',
    output: { file: 'dist/sdk/index.d.ts', format: 'es' },
    external,
    plugins: [dts()],
  },
  {
    // Worker-thread entry of the preprocessing pool; the bundle finds it beside itself.
    input: 'sdk/sensors/preprocess/preprocess-worker.ts',
    output: { file: 'dist/sdk/preprocess-worker.js', format: 'es', sourcemap: false },
    external,
    plugins: [ts()],
  },
  {
    // Worker-thread entry of OrtWorkerBackend (one per onnxruntime session). The SDK bundle looks
    // for it beside itself, as the CLI's chunks do.
    input: 'sdk/runtime/backends/ort-worker-entry.ts',
    output: [
      { file: 'dist/sdk/ort-worker.js', format: 'es', sourcemap: false },
      { file: 'dist/cli/ort-worker.js', format: 'es', sourcemap: false },
    ],
    external,
    plugins: [ts()],
  },
  {
    input: 'tools/cli/bin.ts',
    output: { dir: 'dist/cli', format: 'es', entryFileNames: 'bin.js', chunkFileNames: '[name]-[hash].js' },
    external,
    plugins: [ts()],
  },
];
