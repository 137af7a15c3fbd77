/**
 * `prunePlan`: the pure half of pruning. From a package manifest, resolved options and (when the
 * strategy ranks or weighs experts) routing statistics, it decides every entry, expert, router and
 * file — no file system access, so `prune --dry-run` and tests see exactly what `prune` will do.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { ModalityId } from '../../sdk/internal.js';
import type { BlockExpertMap, ExpertRecord, PackageManifest, RouterRecord } from '../../sdk/internal.js';
import { manifestConfig } from '../ringmoe/manifest.js';
import { embedParams, ffnParams, type ExpertSelection } from '../ringmoe/params.js';
import { DENSE_STRATEGIES, entryKept, keepCount, type PruneOptions } from '../planner/prune-options.js';
import {
  PRUNE_PLAN_FORMAT,
  type BlockPlan,
  type DenseGroupPlan,
  type DensePlan,
  type FileAction,
  type PrunePlan,
  type RouterPlan,
  type WriteAction,
} from './plan-types.js';
import { checkStatsBelongTo, routedCounts, topIndices, type LoadedStats } from '../calibrate/routing-stats.js';

/** Alignment of tensors inside weight files (as WeightStore writes them). */
const ALIGN = 64;

/** Size of a weight file holding tensors of these byte lengths, in order. */
export function weightFileSize(byteLengths: readonly number[]): number {
  let size = 0;
  for (const n of byteLengths) size = Math.ceil(size / ALIGN) * ALIGN + n;
  return size;
}

interface Ctx {
  m: PackageManifest;
  o: PruneOptions;
  stats: LoadedStats | undefined;
  statsUsed: boolean;
}

function counts(ctx: Ctx, block: BlockExpertMap, router: RouterRecord, modalities: readonly ModalityId[]): number[] {
  if (!ctx.stats) {
    throw new EdgeError(
      'E_CALIBRATION',
      `strategy ${ctx.o.strategy} ranks or weighs the experts of router ${router.id} by how often they are chosen, and no routing statistics were given`,
      {
        field: 'statsFile',
        hint: 'calibrate the package first (calibration writes routing-stats.json beside it)',
      },
    );
  }
  ctx.statsUsed = true;
  return routedCounts(ctx.stats.stats, block.id, router.id, router.experts, modalities, ctx.stats.file);
}

function epBlock(ctx: Ctx, block: BlockExpertMap, kept: ModalityId[]): BlockPlan {
  const relevant = (e: ExpertRecord) => e.kind !== 'modal' || kept.includes(e.modality!);
  const drop = new Set(block.experts.filter((e) => !relevant(e)).map((e) => e.id));
  const routers: RouterPlan[] = [];
  for (const r of block.routers) {
    if (r.kind === 'modal' && !kept.includes(r.modality!)) {
      routers.push({ id: r.id, action: 'drop', experts: [], columns: [] });
      continue;
    }
    const n = r.experts.length;
    const fraction = ctx.o.strategy === 'ep' ? (r.kind === 'modal' ? ctx.o.keepModal! : ctx.o.keepCollaborative!) : 1;
    const k = keepCount(fraction, n);
    if (k === n) {
      routers.push({ id: r.id, action: 'keep', experts: [...r.experts], columns: r.experts.map((_, i) => i) });
      continue;
    }
    const c = counts(ctx, block, r, r.kind === 'modal' ? [r.modality!] : kept);
    const columns = topIndices(c, k);
    for (const [i, e] of r.experts.entries()) if (!columns.includes(i)) drop.add(e);
    routers.push({
      id: r.id,
      action: k === 1 ? 'remove' : 'slice',
      experts: columns.map((i) => r.experts[i]!),
      columns,
      counts: c,
    });
  }
  return {
    id: block.id,
    keep: block.experts.filter((e) => !drop.has(e.id)).map((e) => e.id),
    drop: [...drop],
    routers,
  };
}

function denseBlock(ctx: Ctx, block: BlockExpertMap, modality: ModalityId): BlockPlan {
  if (block.experts.some((e) => e.kind === 'dense'))
    throw new EdgeError('E_PRUNE', `block ${block.id} is already dense; a dense package cannot be collapsed again`);
  const groups: DenseGroupPlan[] = [];
  const add = (kind: DenseGroupPlan['kind'], experts: ExpertRecord[]) => {
    if (experts.length === 0) return;
    const router = block.routers.find((r) => r.id === experts[0]!.router);
    let frequency = [1];
    let ids = experts.map((e) => e.id);
    if (router) {
      ids = [...router.experts];
      const c = counts(ctx, block, router, [modality]);
      const total = c.reduce((a, b) => a + b, 0);
      if (total === 0)
        throw new EdgeError(
          'E_CALIBRATION',
          `router ${router.id} routed no tokens of ${modality} in the routing statistics`,
        );
      frequency = c.map((x) => x / total);
    } else if (experts.length > 1) {
      // Several experts without a router are all always on (shared); they weigh equally.
      frequency = experts.map(() => 1);
    }
    const g: DenseGroupPlan = { kind, experts: ids, frequency };
    if (ctx.o.strategy === 'ks') g.selected = ids[topIndices(frequency, 1)[0]!]!;
    groups.push(g);
  };
  add(
    'modal',
    block.experts.filter((e) => e.kind === 'modal' && e.modality === modality),
  );
  add(
    'collaborative',
    block.experts.filter((e) => e.kind === 'collaborative'),
  );
  for (const e of block.experts.filter((x) => x.kind === 'shared')) add('shared', [e]);
  if (groups.length === 0) throw new EdgeError('E_PRUNE', `block ${block.id} has no experts for ${modality}`);
  let hidden = block.hidden;
  if (ctx.o.strategy === 'kc') {
    const n = groups.reduce((s, g) => s + g.experts.length, 0);
    let i = 0;
    for (const g of groups)
      g.ranks = g.experts.map(() => Math.floor(block.hidden / n) + (i++ < block.hidden % n ? 1 : 0));
  } else if (ctx.o.fold === 'concat') hidden = groups.length * block.hidden;
  const id = `${block.id}.dense`;
  const dense: DensePlan = { id, modality, file: `weights/${block.id}/dense.bin`, dim: block.dim, hidden, groups };
  return {
    id: block.id,
    keep: [],
    drop: block.experts.map((e) => e.id),
    routers: block.routers.map((r) => ({ id: r.id, action: 'drop', experts: [], columns: [] })),
    dense,
  };
}

function selectionOf(plans: BlockPlan[], m: PackageManifest, o: PruneOptions): ExpertSelection {
  const first = plans[0]!;
  const block = m.experts!.blocks[0]!;
  if (first.dense)
    return {
      modalities: o.modalities,
      modalPerModality: 0,
      collaborative: 0,
      shared: 0,
      dense: true,
      denseHiddenMultiple: first.dense.hidden / block.hidden,
    };
  const kind = (id: string) => block.experts.find((e) => e.id === id)!;
  const kept = first.keep.map(kind);
  return {
    modalities: o.modalities,
    modalPerModality: kept.filter((e) => e.kind === 'modal' && e.modality === o.modalities[0]).length,
    collaborative: kept.filter((e) => e.kind === 'collaborative').length,
    shared: kept.filter((e) => e.kind === 'shared').length,
  };
}

const SOURCE_ONLY_ROLES = new Set(['report', 'engine', 'build-spec', 'calibration', 'timing-cache']);

/**
 * Computes what pruning `manifest` with `options` keeps, drops and writes.
 * @param stats routing statistics; needed only when a group must be ranked (EP keeping fewer than
 *   all) or weighed (ks/ka/kc of a routed group)
 * @throws EdgeError E_STATS_MISMATCH (statistics of another package), E_CALIBRATION (statistics
 *   needed but absent, or missing a modality), E_PRUNE (nothing left to run, already dense)
 */
export function prunePlan(
  source: { manifest: PackageManifest; packageHash: string },
  options: PruneOptions,
  stats?: LoadedStats,
): PrunePlan {
  const m = source.manifest;
  if (stats) checkStatsBelongTo(stats, source.packageHash, m.name);
  const config = manifestConfig(m);
  const o = options;
  const kept = o.modalities;
  const dense = DENSE_STRATEGIES.includes(o.strategy);
  const ctx: Ctx = { m, o, stats, statsUsed: false };
  const blocks = m.experts!.blocks.map((b) => (dense ? denseBlock(ctx, b, kept[0]!) : epBlock(ctx, b, kept)));

  const keptEntries = m.entries.filter((e) => entryKept(e.modalities, kept));
  if (keptEntries.length === 0)
    throw new EdgeError('E_PRUNE', `no entry of package ${m.name} reads only ${kept.join(', ')}`, {
      field: 'modalities',
    });
  // Modality subsetting copies kept graphs byte-for-byte; every other strategy re-emits the MoE
  // clusters of every kept graph (EP keeping every expert re-emits the identical computation).
  const regraphed = o.strategy === 'modality' ? [] : keptEntries.map((e) => e.name);
  const copiedEntries = keptEntries.filter((e) => !regraphed.includes(e.name)).map((e) => e.name);

  const expertFile = new Map(m.experts!.blocks.flatMap((b) => b.experts.map((e) => [e.file, e] as const)));
  const routerFile = new Map(m.experts!.blocks.flatMap((b) => b.routers.map((r) => [r.file, r] as const)));
  const blockDim = new Map(m.experts!.blocks.flatMap((b) => b.routers.map((r) => [r.id, b.dim] as const)));
  const keptExperts = new Set(blocks.flatMap((b) => b.keep));
  const routerPlan = new Map(blocks.flatMap((b) => b.routers.map((r) => [r.id, r] as const)));
  const denseOf = new Map(blocks.filter((b) => b.dense).map((b) => [b.id, b.dense!] as const));
  const neededByEntries = new Set(keptEntries.flatMap((e) => e.weightFiles));
  const graphOf = new Map(m.entries.map((e) => [e.graph, e] as const));

  const copy: FileAction[] = [];
  const drop: FileAction[] = [];
  const write: WriteAction[] = [];
  for (const [path, rec] of Object.entries(m.files)) {
    const f = { path, size: rec.size, role: rec.role };
    const entry = graphOf.get(path);
    const expert = expertFile.get(path);
    const router = routerFile.get(path);
    if (entry) {
      if (!keptEntries.includes(entry))
        drop.push({
          ...f,
          reason: `entry ${entry.name} reads ${entry.modalities.filter((x) => !kept.includes(x)).join(', ')}`,
        });
      else if (regraphed.includes(entry.name)) write.push({ path, kind: 'graph', size: rec.size, estimated: true });
      else copy.push(f);
    } else if (expert) {
      if (keptExperts.has(expert.id)) copy.push(f);
      else {
        const blockId = expert.id.split('.').slice(0, 2).join('.');
        const reason = dense
          ? `collapsed into ${denseOf.get(blockId)!.id}`
          : expert.kind === 'modal' && !kept.includes(expert.modality!)
            ? `modality ${expert.modality} not kept`
            : `not among the most-activated experts of ${expert.router}`;
        drop.push({ ...f, reason });
      }
    } else if (router) {
      const rp = routerPlan.get(router.id)!;
      if (rp.action === 'keep') copy.push(f);
      else if (rp.action === 'slice')
        write.push({
          path,
          kind: 'router-slice',
          size: weightFileSize([blockDim.get(router.id)! * rp.experts.length * 4]),
        });
      else
        drop.push({
          ...f,
          reason:
            rp.action === 'remove'
              ? 'one expert survives: it runs on every token, no router'
              : dense
                ? 'dense blocks have no routers'
                : `modality ${router.modality} not kept`,
        });
    } else if (SOURCE_ONLY_ROLES.has(rec.role)) drop.push({ ...f, reason: `${rec.role} of the source package` });
    else if (rec.role === 'weights' && !neededByEntries.has(path))
      drop.push({ ...f, reason: 'used only by dropped entries' });
    else copy.push(f);
  }
  for (const d of denseOf.values()) {
    write.push({
      path: d.file,
      kind: 'dense-ffn',
      size: weightFileSize([d.dim * d.hidden * 4, d.hidden * 4, d.hidden * d.dim * 4, d.dim * 4]),
    });
  }
  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  copy.sort(byPath);
  write.sort(byPath);
  drop.sort(byPath);

  // Backbone parameters: the source's, minus what is dropped, plus what is written.
  let after = m.model.params.backbone;
  for (const mod of m.modalities) if (!kept.includes(mod.id)) after -= embedParams(config, mod.id);
  for (const b of m.experts!.blocks) {
    const plan = blocks.find((x) => x.id === b.id)!;
    for (const e of b.experts) if (!plan.keep.includes(e.id)) after -= e.params;
    for (const r of b.routers) {
      const rp = routerPlan.get(r.id)!;
      if (rp.action !== 'keep') after -= r.params;
      if (rp.action === 'slice') after += b.dim * rp.experts.length;
    }
    if (plan.dense) after += ffnParams(plan.dense.dim, plan.dense.hidden);
  }
  const sum = (xs: { size: number }[]) => xs.reduce((s, x) => s + x.size, 0);
  return {
    format: PRUNE_PLAN_FORMAT,
    source: { name: m.name, sha256: source.packageHash },
    options: o,
    ...(stats && ctx.statsUsed ? { stats: { sha256: stats.sha256, file: stats.file } } : {}),
    modalities: { kept: [...kept], dropped: m.modalities.map((x) => x.id).filter((x) => !kept.includes(x)) },
    entries: {
      copied: copiedEntries,
      regraphed,
      dropped: m.entries.filter((e) => !keptEntries.includes(e)).map((e) => e.name),
    },
    blocks,
    files: { copy, write, drop },
    params: { before: m.model.params.backbone, after },
    selection: selectionOf(blocks, m, o),
    bytes: { copied: sum(copy), written: sum(write), dropped: sum(drop) },
  };
}
