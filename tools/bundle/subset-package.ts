/**
 * A sub-model package with a subset of a package's modalities: the entries that read only kept
 * modalities, exactly their files (byte-identical, so the sub-model shares every expert file with
 * the full package and with other sub-models), and the expert map, modality list and parameter
 * counts reduced to match. Written through PackageWriter.
 *
 * This is the stop-gap for OTA tests, benchmarks and the ota-rollout example until
 * `ringmoe-edge prune --modalities` is available; it does no expert pruning within a modality.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EdgeError } from '../../sdk/core/errors.js';
import type { BlockExpertMap, PackageManifest } from '../../sdk/core/package-manifest.js';
import { VERSION } from '../../sdk/core/version.js';
import { openPackage } from '../../sdk/package/open-package.js';
import { readModel } from '../onnx/model-io.js';
import { PackageWriter } from '../package/package-writer.js';
import type { RingMoEConfig } from '../ringmoe/config.js';
import { embedParams } from '../ringmoe/params.js';

/** Options of {@link writeSubsetPackage}. */
export interface SubsetOptions {
  /** Modalities to keep; entries reading any other modality are dropped. */
  modalities: string[];
  /** Name of the new package (default: the source's). */
  name?: string;
  force?: boolean;
}

// Constants stored beside head weights that are not learnable (same rule as the reference family).
const DERIVED = /\.(centres|signs|limits)\b|relative_position_bias|attn_mask|logit_scale_exp/;

/**
 * Writes the sub-model of `srcDir` with `modalities` to `outDir`.
 * @throws EdgeError E_INVALID_ARGUMENT (a modality the package lacks, or nothing left), E_OUTPUT_EXISTS
 * @example
 * await writeSubsetPackage('pkg/tiny', 'pkg/tiny-optical', { modalities: ['optical'] });
 */
export async function writeSubsetPackage(srcDir: string, outDir: string, o: SubsetOptions): Promise<PackageManifest> {
  const src = await openPackage(srcDir, { verify: 'full' });
  const m = src.manifest;
  const keep = new Set(o.modalities);
  for (const id of keep) {
    if (!m.modalities.some((x) => x.id === id)) throw new EdgeError('E_INVALID_ARGUMENT', `package ${m.name} has no modality ${id}; it has ${m.modalities.map((x) => x.id).join(', ')}`, { field: 'modalities' });
  }
  const entries = m.entries.filter((e) => e.modalities.every((x) => keep.has(x)));
  if (!entries.length) throw new EdgeError('E_INVALID_ARGUMENT', `no entry of ${m.name} reads only ${[...keep].join(', ')}`, { field: 'modalities' });
  const files = new Set(entries.flatMap((e) => [e.graph, ...e.weightFiles]));
  const blocks: BlockExpertMap[] | undefined = m.experts?.blocks.map((b) => ({
    ...b,
    routers: b.routers.filter((r) => files.has(r.file)),
    experts: b.experts.filter((x) => files.has(x.file)),
  }));
  let removedBackbone = 0;
  for (const [i, b] of (m.experts?.blocks ?? []).entries()) {
    for (const x of b.experts) if (!blocks![i]!.experts.includes(x)) removedBackbone += x.params;
    for (const r of b.routers) if (!blocks![i]!.routers.includes(r)) removedBackbone += r.params;
  }
  const config = m.model.config as unknown as RingMoEConfig | undefined;
  for (const mod of m.modalities) if (!keep.has(mod.id) && config) removedBackbone += embedParams(config, mod.id);
  const headTensors = new Map<string, number>();
  for (const e of entries) {
    const model = await readModel(src.path(e.graph));
    for (const t of model.proto.graph?.initializer ?? []) {
      if ((t.name.startsWith('head.') || t.name.startsWith('fusion.')) && !DERIVED.test(t.name)) headTensors.set(t.name, t.dims.reduce((a, d) => a * Number(d), 1));
    }
  }
  const heads = [...headTensors.values()].reduce((a, b) => a + b, 0);
  const backbone = m.model.params.backbone - removedBackbone;
  const writer = await PackageWriter.create(outDir, o.force ? { force: true } : {});
  try {
    for (const rel of files) {
      const dest = join(outDir, rel);
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(src.path(rel), dest);
      writer.setRole(rel, m.files[rel]!.role);
    }
    const { format: _f, formatVersion: _v, files: _files, ...rest } = m;
    void _f;
    void _v;
    void _files;
    return await writer.finalize({
      ...rest,
      name: o.name ?? m.name,
      model: { ...m.model, params: { backbone, heads, total: backbone + heads } },
      modalities: m.modalities.filter((x) => keep.has(x.id)),
      entries,
      ...(blocks ? { experts: { blocks } } : {}),
      lineage: [...m.lineage, { step: 'subset', sourcePackage: src.packageHash, sourceName: m.name, params: { modalities: [...keep] }, tool: `ringmoe-edge ${VERSION}` }],
    });
  } catch (err) {
    writer.abort();
    throw err;
  }
}
