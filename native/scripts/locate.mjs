// Finds TensorRT and CUDA for building the addon. Used by binding.gyp (`node scripts/locate.mjs <field>`)
// and by scripts/build.mjs, so there is one definition of "where TensorRT is".
//
// Order: TENSORRT_INCLUDE/TENSORRT_LIB, then TENSORRT_ROOT (include/, lib/ or lib64/), then the JetPack
// layout (/usr/include/aarch64-linux-gnu + /usr/lib/aarch64-linux-gnu), the x86-64 Debian/Ubuntu layout,
// then /usr/include + /usr/lib. CUDA: CUDA_HOME, CUDA_PATH, /usr/local/cuda.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Parses NV_TENSORRT_MAJOR/MINOR/PATCH (also through the TRT_*_ENTERPRISE indirection of 10.x/11.x). */
export function parseTensorRtVersion(headerText) {
  const value = (name) => {
    const m = headerText.match(new RegExp(`#define\\s+${name}\\s+(\\w+)`));
    if (!m) return undefined;
    if (/^\d+$/.test(m[1])) return Number(m[1]);
    return value(m[1]);
  };
  const major = value('NV_TENSORRT_MAJOR');
  const minor = value('NV_TENSORRT_MINOR');
  const patch = value('NV_TENSORRT_PATCH');
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  return { major, minor, patch, text: `${major}.${minor}.${patch}` };
}

function firstDir(candidates, file) {
  return candidates.find((d) => d && existsSync(join(d, file)));
}

/**
 * @returns {{ ok: true, trtInclude: string, trtLib: string, cudaRoot: string, version: {major:number,minor:number,patch:number,text:string} } | { ok: false, reason: string }}
 */
export function locate(env = process.env) {
  const root = env.TENSORRT_ROOT;
  const includeCandidates = [
    env.TENSORRT_INCLUDE,
    root && join(root, 'include'),
    '/usr/include/aarch64-linux-gnu',
    '/usr/include/x86_64-linux-gnu',
    '/usr/include',
  ];
  const libCandidates = [
    env.TENSORRT_LIB,
    root && join(root, 'lib'),
    root && join(root, 'lib64'),
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib',
  ];
  const trtInclude = firstDir(includeCandidates, 'NvInfer.h');
  if (!trtInclude) {
    return {
      ok: false,
      reason: `NvInfer.h not found (set TENSORRT_ROOT or TENSORRT_INCLUDE; looked in ${includeCandidates.filter(Boolean).join(', ')})`,
    };
  }
  if (!existsSync(join(trtInclude, 'NvOnnxParser.h'))) {
    return {
      ok: false,
      reason: `NvOnnxParser.h not found beside ${join(trtInclude, 'NvInfer.h')} (install the TensorRT ONNX parser headers)`,
    };
  }
  const versionHeader = join(trtInclude, 'NvInferVersion.h');
  const version = existsSync(versionHeader) ? parseTensorRtVersion(readFileSync(versionHeader, 'utf8')) : undefined;
  if (!version) return { ok: false, reason: `cannot read the TensorRT version from ${versionHeader}` };
  const trtLib = firstDir(libCandidates, 'libnvinfer.so');
  if (!trtLib) {
    return {
      ok: false,
      reason: `libnvinfer.so not found (set TENSORRT_ROOT or TENSORRT_LIB; looked in ${libCandidates.filter(Boolean).join(', ')})`,
    };
  }
  if (!existsSync(join(trtLib, 'libnvonnxparser.so')))
    return { ok: false, reason: `libnvonnxparser.so not found in ${trtLib}` };
  const cudaRoot = [env.CUDA_HOME, env.CUDA_PATH, '/usr/local/cuda'].find(
    (d) => d && existsSync(join(d, 'include', 'cuda_runtime_api.h')),
  );
  if (!cudaRoot)
    return { ok: false, reason: 'CUDA not found (set CUDA_HOME; looked in CUDA_HOME, CUDA_PATH, /usr/local/cuda)' };
  return { ok: true, trtInclude, trtLib, cudaRoot, version };
}

// CLI: `node locate.mjs <field>` prints one field for binding.gyp; `node locate.mjs` prints JSON.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const found = locate();
  const field = process.argv[2];
  if (!field) {
    process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
  } else if (!found.ok) {
    process.stderr.write(`tensorrt unavailable: ${found.reason}\n`);
    process.exit(1);
  } else {
    const value =
      field === 'cudaLib' ? join(found.cudaRoot, 'lib64') : field === 'major' ? found.version.major : found[field];
    process.stdout.write(String(value));
  }
}
