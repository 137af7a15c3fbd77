/**
 * `ringmoe-edge inspect`: what a package holds — entries, experts per block with parameter
 * counts, bytes per precision, lineage, and routing statistics when calibrated.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PackageManifest } from '../../sdk/internal.js';
import { openPackage, type OpenPackageOptions } from '../../sdk/internal.js';
import { bytesAt } from './param-bytes.js';
import { parseJsonBounded } from '../../sdk/internal.js';
import { readRegular } from '../../sdk/internal.js';

/** File name of routing statistics saved beside a package's files by `calibrate`. */
export const ROUTING_STATS_FILE = 'routing-stats.json';

export interface InspectResult {
  dir: string;
  name: string;
  kind: PackageManifest['kind'];
  packageHash: string;
  configName?: string;
  precision: string;
  lowering?: string;
  inputSize?: { height: number; width: number };
  /** Window-attention flavour of a RingMoE package (a config recorded without one is v2). */
  attention?: string;
  params: PackageManifest['model']['params'];
  bytes: { fp32: number; fp16: number; int8: number; stored: number };
  modalities: string[];
  entries: { name: string; kind: string; tasks: string[]; inputs: string[]; outputs: string[]; weightFiles: number }[];
  blocks: {
    id: string;
    dim: number;
    hidden: number;
    routers: number;
    experts: { id: string; kind: string; modality?: string; params: number; bytes: number }[];
  }[];
  lineage: PackageManifest['lineage'];
  routingStats?: unknown;
}

const fmtTensor = (t: { name: string; dtype: string; shape: (number | string)[] }) =>
  `${t.name} ${t.dtype}[${t.shape.join(',')}]`;

/** Inspects the package in `dir` (verifying it first). */
export async function inspectPackage(dir: string, options: OpenPackageOptions = {}): Promise<InspectResult> {
  const pkg = await openPackage(dir, options);
  const m = pkg.manifest;
  const stored = Object.values(m.files).reduce((s, f) => s + f.size, 0);
  const statsPath = join(pkg.dir, ROUTING_STATS_FILE);
  const limits = { maxBytes: 64 << 20, maxDepth: 16, maxStringLength: 64 * 1024 };
  const statsBytes = (await lstat(statsPath).catch(() => undefined))
    ? await readRegular(statsPath, {
        ...limits,
        tooLargeCode: 'E_JSON_TOO_LARGE',
        root: pkg.dir,
        label: ROUTING_STATS_FILE,
      })
    : undefined;
  const routingStats = statsBytes
    ? parseJsonBounded(statsBytes, limits, { file: statsPath, what: 'routing statistics' })
    : undefined;
  return {
    dir: pkg.dir,
    name: m.name,
    kind: m.kind,
    packageHash: pkg.packageHash,
    ...(m.model.configName !== undefined ? { configName: m.model.configName } : {}),
    precision: m.model.precision,
    ...(m.model.lowering !== undefined ? { lowering: m.model.lowering } : {}),
    ...(m.model.inputSize !== undefined ? { inputSize: m.model.inputSize } : {}),
    ...(m.model.config ? { attention: String(m.model.config.attention ?? 'v2') } : {}),
    params: m.model.params,
    bytes: { ...bytesAt(m.model.params.total), stored },
    modalities: m.modalities.map((x) => x.id),
    entries: m.entries.map((e) => ({
      name: e.name,
      kind: e.kind,
      tasks: e.tasks,
      inputs: e.inputs.map(fmtTensor),
      outputs: e.outputs.map(fmtTensor),
      weightFiles: e.weightFiles.length,
    })),
    blocks: (m.experts?.blocks ?? []).map((b) => ({
      id: b.id,
      dim: b.dim,
      hidden: b.hidden,
      routers: b.routers.length,
      experts: b.experts.map((e) => ({
        id: e.id,
        kind: e.kind,
        ...(e.modality !== undefined ? { modality: e.modality } : {}),
        params: e.params,
        bytes: m.files[e.file]?.size ?? 0,
      })),
    })),
    lineage: m.lineage,
    ...(routingStats !== undefined ? { routingStats } : {}),
  };
}
