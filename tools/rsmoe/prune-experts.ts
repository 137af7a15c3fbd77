/**
 * Expert-subset pruning of an RS-MoE package: keep some experts (e.g. theme + objects on a small
 * device), drop the others' graphs and weight files. A pure plan (what is kept, dropped, how many
 * parameters and KV-cache bytes per token that saves) and an apply step that copies the kept files
 * into a new package whose manifest lists only the kept experts, so a runtime on it never loads,
 * let alone calls, a dropped expert.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';
import type { PackageManifest } from '../../sdk/internal.js';
import { VERSION } from '../../sdk/internal.js';
import { openPackage } from '../../sdk/internal.js';
import { kvBytesPerToken } from '../../sdk/internal.js';
import { vlmSection } from '../../sdk/internal.js';
import { PackageWriter } from '../package/package-writer.js';

export interface ExpertPrunePlan {
  source: { name: string; packageHash: string };
  keep: string[];
  drop: string[];
  /** Entries and files that go / stay. */
  entries: { keep: string[]; drop: string[] };
  files: { copy: string[]; drop: string[] };
  params: { before: number; after: number };
  /** KV-cache bytes per generated token (one sequence, all experts). */
  kvBytesPerToken: { before: number; after: number };
}

/**
 * The plan for keeping `keep` (expert ids) of a package.
 * @throws EdgeError E_PACKAGE_MANIFEST (not RS-MoE), E_PRUNE (unknown id, nothing kept, duplicates)
 */
export function planExpertPrune(m: PackageManifest, packageHash: string, keep: readonly string[]): ExpertPrunePlan {
  const vlm = vlmSection(m);
  const ids = vlm.experts.map((e) => e.id);
  const unknown = keep.filter((k) => !ids.includes(k));
  if (unknown.length)
    throw new EdgeError(
      'E_PRUNE',
      `package ${m.name} has no expert ${unknown.map((u) => JSON.stringify(u)).join(', ')}; it has ${ids.join(', ')}`,
      { field: '--experts' },
    );
  if (keep.length === 0) throw new EdgeError('E_PRUNE', 'keep at least one expert', { field: '--experts' });
  if (new Set(keep).size !== keep.length)
    throw new EdgeError('E_PRUNE', `an expert is named twice in ${keep.join(',')}`, { field: '--experts' });
  const kept = vlm.experts.filter((e) => keep.includes(e.id));
  const dropped = vlm.experts.filter((e) => !keep.includes(e.id));
  const dropEntries = dropped.flatMap((e) => [e.prefixEntry, e.decoderEntry]);
  const dropFiles = new Set(
    m.entries.filter((e) => dropEntries.includes(e.name)).flatMap((e) => [e.graph, ...e.weightFiles]),
  );
  // A weight file still referenced by a kept entry stays.
  for (const e of m.entries)
    if (!dropEntries.includes(e.name)) for (const f of [e.graph, ...e.weightFiles]) dropFiles.delete(f);
  const files = Object.keys(m.files);
  const expertParams = (xs: typeof kept) => xs.reduce((s, e) => s + e.params, 0);
  return {
    source: { name: m.name, packageHash },
    keep: kept.map((e) => e.id),
    drop: dropped.map((e) => e.id),
    entries: { keep: m.entries.map((e) => e.name).filter((n) => !dropEntries.includes(n)), drop: dropEntries },
    files: {
      copy: files.filter((f) => !dropFiles.has(f) && !f.startsWith('reports/')),
      drop: files.filter((f) => dropFiles.has(f)),
    },
    params: { before: m.model.params.total, after: m.model.params.total - expertParams(dropped) },
    kvBytesPerToken: {
      before: vlm.experts.reduce((s, e) => s + kvBytesPerToken(e.decoder), 0),
      after: kept.reduce((s, e) => s + kvBytesPerToken(e.decoder), 0),
    },
  };
}

/**
 * Writes the pruned package.
 * @throws EdgeError as {@link planExpertPrune}, E_OUTPUT_EXISTS, E_IO and the package errors of the source
 */
export async function pruneExperts(o: {
  dir: string;
  outDir: string;
  keep: readonly string[];
  force?: boolean;
  name?: string;
}): Promise<{ plan: ExpertPrunePlan; manifest: PackageManifest }> {
  const src = await openPackage(o.dir);
  const plan = planExpertPrune(src.manifest, src.packageHash, o.keep);
  const m = src.manifest;
  const vlm = vlmSection(m);
  const writer = await PackageWriter.create(o.outDir, o.force !== undefined ? { force: o.force } : {});
  try {
    for (const f of plan.files.copy) {
      await mkdir(dirname(join(o.outDir, f)), { recursive: true });
      await copyFile(src.path(f), join(o.outDir, f));
      writer.setRole(f, m.files[f]!.role);
    }
    const { files: _f, format: _a, formatVersion: _b, reports: _r, ...rest } = m;
    const manifest = await writer.finalize({
      ...rest,
      name: o.name ?? `${m.name}-${plan.keep.join('-')}`,
      model: {
        ...m.model,
        params: {
          ...m.model.params,
          heads: m.model.params.heads - (plan.params.before - plan.params.after),
          total: plan.params.after,
        },
      },
      entries: m.entries.filter((e) => plan.entries.keep.includes(e.name)),
      vlm: { ...vlm, experts: vlm.experts.filter((e) => plan.keep.includes(e.id)) },
      lineage: [
        ...m.lineage,
        {
          step: 'prune',
          sourcePackage: src.packageHash,
          sourceName: m.name,
          params: { strategy: 'experts', keep: plan.keep, drop: plan.drop },
          tool: `ringmoe-edge ${VERSION}`,
        },
      ],
    });
    return { plan, manifest };
  } catch (err) {
    writer.abort();
    throw err;
  }
}
