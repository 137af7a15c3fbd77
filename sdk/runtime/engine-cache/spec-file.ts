/**
 * Device side of the build spec: reads `engines/build-spec.json` from an installed package and turns
 * one engine of it into TensorRT load options, so the first start builds exactly what the toolchain
 * planned.
 */
import { join } from 'node:path';
import { EdgeError, messageOf } from '../../core/errors.js';
import type { PackageManifest } from '../../package/package-manifest.js';
import type { BackendLoadOptions } from '../../core/backend.js';
import { BUILD_SPEC_FILE, parseBuildSpec, type BuildSpec, type EngineSpec } from './build-spec.js';
import { graphHashFromManifest } from './graph-hash.js';
import { isJsonLimitError, parseJsonBounded, syntaxMessage } from '../../core/json-limits.js';
import { readRegular } from '../../core/safe-fs.js';

/**
 * Reads and validates a package's build spec.
 * @throws EdgeError E_FILE_NOT_FOUND, E_CONFIG
 */
export async function readBuildSpec(packageDir: string, manifest?: PackageManifest): Promise<BuildSpec> {
  const file = join(packageDir, BUILD_SPEC_FILE);
  let text: Buffer;
  try {
    text = await readRegular(file, {
      maxBytes: 4 << 20,
      tooLargeCode: 'E_JSON_TOO_LARGE',
      label: BUILD_SPEC_FILE,
      root: packageDir,
    });
  } catch (err) {
    if (err instanceof EdgeError && err.code !== 'E_FILE_NOT_FOUND') throw err;
    throw new EdgeError('E_FILE_NOT_FOUND', `package has no engine build spec: ${messageOf(err)}`, { file });
  }
  let value: unknown;
  try {
    value = parseJsonBounded(
      text,
      { maxBytes: 4 << 20, maxDepth: 16, maxStringLength: 64 * 1024 },
      { file, what: 'engine build spec' },
    );
  } catch (err) {
    if (isJsonLimitError(err)) throw err;
    throw new EdgeError('E_CONFIG', `engine build spec is not JSON: ${syntaxMessage(err)}`, { file });
  }
  return parseBuildSpec(value, file, manifest);
}

/**
 * Load options for one engine of a spec. The package's timing cache only seeds the build: the
 * builder writes its timing cache into the engine cache directory, never into the (hashed) package.
 * @example
 * const session = await new TensorRtBackend().load(loadOptionsFromSpec(dir, manifest, spec.engines[0]));
 */
export function loadOptionsFromSpec(
  packageDir: string,
  manifest: PackageManifest,
  engine: EngineSpec,
  extra: Record<string, unknown> = {},
): BackendLoadOptions {
  const entry = manifest.entries.find((e) => e.name === engine.entry);
  // Experts present in this graph: owners of its MoE clusters, minus the routers.
  const routers = new Set(manifest.experts?.blocks.flatMap((b) => b.routers.map((r) => r.id)) ?? []);
  const experts = new Set<string>();
  for (const cluster of entry?.moe ?? [])
    for (const id of Object.keys(cluster.owners)) if (!routers.has(id)) experts.add(id);
  return {
    graphPath: join(packageDir, engine.graph),
    precision: engine.precision,
    maxBatch: engine.profile.max,
    extra: {
      entry: engine.entry,
      graphSha256: graphHashFromManifest(manifest, engine.entry),
      experts: [...experts].sort(),
      minBatch: engine.profile.min,
      optBatch: engine.profile.opt,
      typing: engine.typing,
      gpuFallback: engine.gpuFallback,
      ...(engine.dlaCore !== null ? { dlaCore: engine.dlaCore } : {}),
      ...(engine.workspaceMiB !== null ? { workspaceMiB: engine.workspaceMiB } : {}),
      ...(engine.calibrationCache !== null ? { calibrationCache: join(packageDir, engine.calibrationCache) } : {}),
      ...(engine.optimizationLevel !== null ? { optimizationLevel: engine.optimizationLevel } : {}),
      ...(engine.timingCache !== null ? { timingCacheSeed: join(packageDir, engine.timingCache) } : {}),
      ...extra,
    },
  };
}
