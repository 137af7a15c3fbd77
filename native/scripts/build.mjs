#!/usr/bin/env node
// `npm run build:native`: builds native/build/Release/ringmoe_trt.node where TensorRT is installed.
// Never part of `npm ci` (no install script): without TensorRT it prints why and exits 1, and the SDK
// keeps using onnxruntime. Options: --debug; env TENSORRT_ROOT / TENSORRT_INCLUDE / TENSORRT_LIB / CUDA_HOME.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locate } from './locate.mjs';

const nativeDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const found = locate();
if (!found.ok) {
  process.stderr.write(
    `tensorrt unavailable: ${found.reason}\nThe SDK will use onnxruntime; see docs/compilation.md.\n`,
  );
  process.exit(1);
}
process.stdout.write(
  `TensorRT ${found.version.text}: headers ${found.trtInclude}, libraries ${found.trtLib}; CUDA ${found.cudaRoot}\n`,
);

const require = createRequire(import.meta.url);
const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
const args = [nodeGyp, 'rebuild', `--directory=${nativeDir}`];
if (process.argv.includes('--debug')) args.push('--debug');
// Use the headers of the running Node when they are installed (distribution packages put them in
// <prefix>/include/node); otherwise node-gyp downloads them.
const prefix = join(dirname(process.execPath), '..');
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (result.status !== 0) {
  process.stderr.write('native build failed; see the compiler output above and docs/compilation.md\n');
  process.exit(result.status ?? 1);
}
process.stdout.write(
  `built ${join(nativeDir, 'build', 'Release', 'ringmoe_trt.node')} for TensorRT ${found.version.major}\n`,
);
