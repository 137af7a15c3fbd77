/**
 * `npm run check:tensorrt`: compile-checks every native source against the TensorRT headers given in
 * TENSORRT_INCLUDE (or --include <dir>), without linking (libnvinfer is not needed). Use it to prove
 * the one-source promise for a TensorRT version you cannot install.
 *
 *   TENSORRT_INCLUDE=/path/to/TensorRT/include npm run check:tensorrt
 *   npm run check:tensorrt -- --include dirA:dirB [--cuda /usr/local/cuda] [--syntax-only] [--json]
 *
 * TENSORRT_INCLUDE may list several directories separated by ':' (e.g. the TensorRT include/ plus the
 * directory holding NvOnnxParser.h for versions that ship it separately). Also compiles the CUDA
 * kernels with nvcc when it is present (CUDA_ARCHS, default "87 90"). Exit 0: all compiled; 1: a file
 * failed; 2: the inputs are missing (no headers, no compiler).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const json = args.includes('--json');
const syntaxOnly = args.includes('--syntax-only');
const includes = (flag('--include') ?? process.env.TENSORRT_INCLUDE ?? '')
  .split(':')
  .filter(Boolean)
  .map((d) => resolve(d));
const cudaRoot = flag('--cuda') ?? process.env.CUDA_HOME ?? '/usr/local/cuda';
const cxx = process.env.CXX ?? 'g++';

function fail(code: number, message: string): never {
  process.stderr.write(`check:tensorrt: ${message}\n`);
  process.exit(code);
}

if (includes.length === 0) fail(2, 'set TENSORRT_INCLUDE (or pass --include <dir>) to a TensorRT include directory');
const find = (file: string) => includes.find((d) => existsSync(join(d, file)));
if (!find('NvInfer.h')) fail(2, `NvInfer.h not found in ${includes.join(', ')}`);
if (!find('NvOnnxParser.h'))
  fail(
    2,
    `NvOnnxParser.h not found in ${includes.join(', ')} (for TensorRT < 10.4 it ships in the onnx-tensorrt parser; add its directory)`,
  );
if (!existsSync(join(cudaRoot, 'include', 'cuda_runtime_api.h')))
  fail(2, `CUDA headers not found under ${cudaRoot} (set CUDA_HOME)`);
const nodeInclude = [join(dirname(process.execPath), '..', 'include', 'node'), process.env.NODE_INCLUDE].find(
  (d) => d && existsSync(join(d, 'node_api.h')),
);
if (!nodeInclude) fail(2, 'Node headers (node_api.h) not found; set NODE_INCLUDE');
const napiInclude = join(root, 'node_modules', 'node-addon-api');
if (!existsSync(join(napiInclude, 'napi.h'))) fail(2, 'node-addon-api is not installed (npm ci)');

const versionText = readFileSync(join(find('NvInferVersion.h') ?? find('NvInfer.h')!, 'NvInferVersion.h'), 'utf8');
const value = (name: string): string | undefined => {
  const m = versionText.match(new RegExp(`#define\\s+${name}\\s+(\\w+)`));
  return m ? (/^\d+$/.test(m[1]!) ? m[1] : value(m[1]!)) : undefined;
};
const trtVersion = `${value('NV_TENSORRT_MAJOR')}.${value('NV_TENSORRT_MINOR')}.${value('NV_TENSORRT_PATCH')}`;

function sources(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name), ext) : e.name.endsWith(ext) ? [join(dir, e.name)] : [],
  );
}

function run(cmd: string, argv: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => done({ ok: false, output: `${cmd}: ${err.message}` }));
    child.on('close', (code) => done({ ok: code === 0, output }));
  });
}

const out = mkdtempSync(join(tmpdir(), 'ringmoe-check-trt-'));
const results: { file: string; ok: boolean; output: string }[] = [];
try {
  const flags = [
    '-std=c++17',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-DNAPI_VERSION=8',
    '-DNAPI_CPP_EXCEPTIONS',
    '-DNODE_ADDON_API_DISABLE_DEPRECATED',
    ...includes.flatMap((d) => ['-isystem', d]),
    '-isystem',
    join(cudaRoot, 'include'),
    '-isystem',
    napiInclude,
    '-isystem',
    nodeInclude,
    '-I',
    join(root, 'native', 'src'),
  ];
  const cc = sources(join(root, 'native', 'src'), '.cc');
  // Two at a time: the machines this runs on have few cores.
  for (let i = 0; i < cc.length; i += 2) {
    const batch = cc.slice(i, i + 2).map(async (file) => {
      const mode = syntaxOnly ? ['-fsyntax-only'] : ['-c', '-fPIC', '-o', join(out, `${basename(file)}.o`)];
      const r = await run(cxx, [...flags, ...mode, file]);
      results.push({ file: relative(root, file), ...r });
    });
    await Promise.all(batch);
  }
  const nvcc = join(cudaRoot, 'bin', 'nvcc');
  const archs = (process.env.CUDA_ARCHS ?? '87 90').split(/[\s,]+/).filter(Boolean);
  if (existsSync(nvcc)) {
    for (const file of sources(join(root, 'native', 'src'), '.cu')) {
      const gencode = archs.flatMap((a) => ['-gencode', `arch=compute_${a},code=sm_${a}`]);
      const r = await run(nvcc, ['-std=c++17', '-c', ...gencode, '-o', join(out, `${basename(file)}.o`), file]);
      results.push({ file: `${relative(root, file)} (sm_${archs.join(', sm_')})`, ...r });
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}

results.sort((a, b) => a.file.localeCompare(b.file));
const failed = results.filter((r) => !r.ok);
if (json) {
  process.stdout.write(
    `${JSON.stringify({ tensorrt: trtVersion, mode: syntaxOnly ? 'syntax' : 'object', results }, null, 2)}\n`,
  );
} else {
  process.stdout.write(
    `TensorRT headers ${trtVersion} (${includes.join(', ')}); ${syntaxOnly ? 'syntax-only' : 'object'} compile with ${cxx}\n`,
  );
  for (const r of results) {
    process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.file}\n`);
    if (!r.ok)
      process.stdout.write(
        `${r.output
          .trim()
          .split('\n')
          .slice(0, 20)
          .map((l) => `     ${l}`)
          .join('\n')}\n`,
      );
  }
  process.stdout.write(`${results.length - failed.length} compiled, ${failed.length} failed\n`);
}
process.exit(failed.length > 0 ? 1 : 0);
