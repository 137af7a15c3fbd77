import test from 'ava';
import type { PackageManifest } from '../../../sdk/package/package-manifest.js';
import { openPackage } from '../../../sdk/package/open-package.js';
import { namedConfig } from '../../../tools/ringmoe/config.js';
import { backboneParams, fullSelection } from '../../../tools/ringmoe/params.js';
import { resolvePruneOptions, type WrittenPruneOptions } from '../../../tools/planner/prune-options.js';
import { prunePlan } from '../../../tools/prune/plan.js';
import { manifestConfig } from '../../../tools/ringmoe/manifest.js';
import { renderPrunePlan } from '../../../tools/prune/render.js';
import { ROUTING_STATS_FORMAT, type LoadedStats, type RoutingStats } from '../../../tools/calibrate/routing-stats.js';
import { tinyPackage } from '../../helpers/packages.js';

const code = (e: unknown) => (e as { code?: string }).code;

async function source(): Promise<{ manifest: PackageManifest; packageHash: string }> {
  const { dir } = await tinyPackage();
  const pkg = await openPackage(dir);
  return { manifest: pkg.manifest, packageHash: pkg.packageHash };
}

/** Statistics in which router `r` of every block sent `counts(r)` tokens to its experts. */
function syntheticStats(
  m: PackageManifest,
  hash: string,
  counts: (routerId: string, n: number) => number[],
  modalities = m.modalities.map((x) => x.id),
): LoadedStats {
  const stats: RoutingStats = {
    format: ROUTING_STATS_FORMAT,
    formatVersion: 1,
    package: { name: m.name, sha256: hash },
    tool: 'test',
    modalities: Object.fromEntries(
      modalities.map((mod) => [
        mod,
        {
          entry: mod,
          frames: [{ id: `generated:test:${mod}`, source: 'generated' as const }],
          blocks: Object.fromEntries(
            m.experts!.blocks.map((b) => [
              b.id,
              {
                tokens: 100,
                routers: Object.fromEntries(
                  b.routers.map((r) => [r.id, { experts: r.experts, counts: counts(r.id, r.experts.length) }]),
                ),
              },
            ]),
          ),
        },
      ]),
    ),
  };
  return { stats, sha256: 'a'.repeat(64), file: 'routing-stats.json' };
}

const plan = async (o: WrittenPruneOptions, stats?: (m: PackageManifest, h: string) => LoadedStats) => {
  const s = await source();
  return prunePlan(s, resolvePruneOptions(o, s.manifest), stats?.(s.manifest, s.packageHash));
};

test('modality subset: keeps entries whose modalities are all kept, copies their graphs, drops every file only dropped modalities use', async (t) => {
  const p = await plan({ modalities: 'sar-l2,optical' });
  t.deepEqual(p.options.modalities, ['optical', 'sar-l2']);
  t.deepEqual(p.entries.copied, ['optical', 'sar-l2', 'fusion-optical-sar-l2', 'change-optical']);
  t.deepEqual(p.entries.dropped, ['sar-l1', 'multispectral', 'change-multispectral']);
  t.deepEqual(p.entries.regraphed, []);
  const copied = p.files.copy.map((f) => f.path);
  t.false(
    copied.some((f) => /sar-l1|multispectral/.test(f)),
    'nothing of a dropped modality is kept',
  );
  t.true(copied.includes('weights/s2.b0/modal.sar-l2.3.bin'));
  t.true(copied.includes('weights/fusion.fusion-optical-sar-l2.bin'));
  t.true(
    p.files.drop.some((f) => f.path === 'weights/embed.sar-l1.bin' && f.reason === 'used only by dropped entries'),
  );
  t.is(p.files.write.length, 0);
  t.is(p.params.after, backboneParams(namedConfig('ringmoe-tiny'), p.selection).total);
});

test('EP ranks each group by routing counts, ties to the lower index, slices routers and removes a router with one survivor', async (t) => {
  const counts = (id: string, n: number) =>
    id.endsWith('collaborative') ? [5, 9, 9, 1] : Array.from({ length: n }, (_, i) => 10 - i);
  const half = await plan({ strategy: 'ep', keepCollaborative: 0.5, modalities: 'optical' }, (m, h) =>
    syntheticStats(m, h, counts),
  );
  const b = half.blocks[0]!;
  const collab = b.routers.find((r) => r.id === 's1.b0.router.collaborative')!;
  t.is(collab.action, 'slice');
  t.deepEqual(collab.columns, [1, 2]);
  t.deepEqual(collab.experts, ['s1.b0.collaborative.1', 's1.b0.collaborative.2']);
  t.deepEqual(collab.counts, [5, 9, 9, 1]);
  t.is(b.routers.find((r) => r.id === 's1.b0.router.modal.optical')!.action, 'keep');
  t.is(b.routers.find((r) => r.id === 's1.b0.router.modal.sar-l1')!.action, 'drop');
  t.true(
    half.files.write.some(
      (w) => w.path === 'weights/s1.b0/router.collaborative.bin' && w.kind === 'router-slice' && w.size === 8 * 2 * 4,
    ),
  );
  t.deepEqual(half.entries.regraphed, ['optical', 'change-optical']);

  const quarter = await plan(
    { strategy: 'ep', keepCollaborative: '0.25', keepModal: '0.5', modalities: 'optical' },
    (m, h) => syntheticStats(m, h, counts),
  );
  const q = quarter.blocks[0]!;
  const one = q.routers.find((r) => r.id === 's1.b0.router.collaborative')!;
  t.is(one.action, 'remove');
  t.deepEqual(one.experts, ['s1.b0.collaborative.1'], 'tie between #1 and #2: the lower index wins');
  const modal = q.routers.find((r) => r.id === 's1.b0.router.modal.optical')!;
  t.is(modal.action, 'slice');
  t.deepEqual(modal.experts, ['s1.b0.modal.optical.0', 's1.b0.modal.optical.1']);
  t.true(
    quarter.files.drop.some(
      (f) => f.path === 'weights/s1.b0/router.collaborative.bin' && /one expert survives/.test(f.reason!),
    ),
  );
  t.deepEqual(quarter.selection, { modalities: ['optical'], modalPerModality: 2, collaborative: 1, shared: 1 });
  t.is(quarter.params.after, backboneParams(namedConfig('ringmoe-tiny'), quarter.selection).total);
});

test("EP without --keep-collaborative keeps the paper's 1 of 4 collaborative experts and every modal expert", async (t) => {
  const counts = (id: string, n: number) =>
    id.endsWith('collaborative') ? [5, 9, 3, 1] : Array.from({ length: n }, (_, i) => 10 - i);
  const p = await plan({ strategy: 'ep', modalities: 'optical' }, (m, h) => syntheticStats(m, h, counts));
  t.is(p.options.keepCollaborative, 0.25);
  t.is(p.options.keepModal, 1);
  const collab = p.blocks[0]!.routers.find((r) => r.id === 's1.b0.router.collaborative')!;
  t.is(collab.action, 'remove');
  t.deepEqual(collab.experts, ['s1.b0.collaborative.1']);
  t.like(p.selection, { collaborative: 1 });
  t.is(p.blocks[0]!.routers.find((r) => r.id === 's1.b0.router.modal.optical')!.action, 'keep');
});

test('EP keeping every expert needs no statistics and changes no router', async (t) => {
  const p = await plan({ strategy: 'ep', keepCollaborative: 1 });
  t.true(p.blocks.every((b) => b.routers.every((r) => r.action === 'keep') && b.drop.length === 0));
  t.is(p.params.after, p.params.before);
  t.is(p.entries.regraphed.length, 7);
  t.is(p.stats, undefined);
});

test('dense strategies: one FFN per block of the standard shape; ks picks the most-activated expert; kc spreads h over the N experts', async (t) => {
  const counts = (id: string, n: number) =>
    id.endsWith('collaborative') ? [1, 2, 8, 3] : Array.from({ length: n }, (_, i) => (i === 3 ? 7 : 1));
  const stats = (m: PackageManifest, h: string) => syntheticStats(m, h, counts, ['optical']);
  const ks = await plan({ strategy: 'ks', modalities: 'optical' }, stats);
  for (const [i, b] of ks.blocks.entries()) {
    const src = namedConfig('ringmoe-tiny');
    t.is(b.keep.length, 0);
    t.true(b.routers.every((r) => r.action === 'drop'));
    t.is(b.dense!.hidden, b.dense!.dim * src.mlpRatio, `block ${i}`);
    t.deepEqual(
      b.dense!.groups.map((x) => x.selected),
      [`${b.id}.modal.optical.3`, `${b.id}.collaborative.2`, `${b.id}.shared`],
    );
  }
  t.deepEqual(ks.blocks[0]!.dense!.groups[1]!.frequency, [1 / 14, 2 / 14, 8 / 14, 3 / 14]);
  t.deepEqual(ks.entries.regraphed, ['optical', 'change-optical']);
  t.deepEqual(ks.selection, {
    modalities: ['optical'],
    modalPerModality: 0,
    collaborative: 0,
    shared: 0,
    dense: true,
    denseHiddenMultiple: 1,
  });
  t.is(ks.params.after, backboneParams(namedConfig('ringmoe-tiny'), ks.selection).total);

  const kc = await plan({ strategy: 'kc', modalities: 'optical' }, stats);
  for (const b of kc.blocks) {
    const ranks = b.dense!.groups.flatMap((g) => g.ranks!);
    t.is(ranks.length, 9);
    t.is(
      ranks.reduce((a, c) => a + c, 0),
      b.dense!.hidden,
    );
    t.true(Math.max(...ranks) - Math.min(...ranks) <= 1);
  }
  const concat = await plan({ strategy: 'ka', modalities: 'optical', fold: 'concat' }, stats);
  t.is(concat.blocks[0]!.dense!.hidden, 3 * 16);
  t.is(concat.selection.denseHiddenMultiple, 3);
  t.is(concat.params.after, backboneParams(namedConfig('ringmoe-tiny'), concat.selection).total);
});

test('a manifest written before attention and tasks existed (a SwinV2 package) still plans, and resolves as v2 with every head', async (t) => {
  const { dir } = await tinyPackage({ attention: 'v2' });
  const pkg = await openPackage(dir);
  const manifest = structuredClone(pkg.manifest);
  delete manifest.model.config!.attention;
  delete manifest.model.config!.tasks;
  const c = manifestConfig(manifest);
  t.is(c.attention, 'v2');
  t.deepEqual(c.tasks, ['classification', 'segmentation', 'detection', 'depth']);
  // Its recorded backbone count is the v2 accounting of that config.
  t.is(manifest.model.params.backbone, backboneParams(c, fullSelection(c)).total);
  const p = prunePlan(
    { manifest, packageHash: pkg.packageHash },
    resolvePruneOptions({ modalities: 'optical' }, manifest),
  );
  t.deepEqual(p.entries.copied, ['optical', 'change-optical']);
  t.is(p.params.after, backboneParams(c, p.selection).total);
});

test('dry-run rendering of an EP plan (snapshot)', async (t) => {
  const counts = (id: string, n: number) =>
    id.endsWith('collaborative') ? [3, 1, 4, 1] : Array.from({ length: n }, (_, i) => i);
  const p = await plan({ strategy: 'ep', keepCollaborative: 0.5, modalities: 'multispectral' }, (m, h) =>
    syntheticStats(m, h, counts),
  );
  // The package hash changes whenever the reference generator does; the plan's content is what is pinned.
  t.snapshot(
    renderPrunePlan(p)
      .join('\n')
      .replace(/\(([0-9a-f]{12})…\)/, '(<package hash>…)'),
  );
});

test("BAD CALL - unknown modality is E_UNKNOWN_MODALITY naming --modalities and the package's modalities", async (t) => {
  const err = await t.throwsAsync(plan({ modalities: 'optical,thermal' }));
  t.is(code(err), 'E_UNKNOWN_MODALITY');
  t.regex(
    err!.message,
    /--modalities: unknown modality "thermal"; package ringmoe-tiny has optical, sar-l1, sar-l2, multispectral/,
  );
});

test('BAD CALL - keep fractions out of (0, 1] are E_INVALID_ARGUMENT naming the flag', async (t) => {
  for (const [o, flag] of [
    [{ keepCollaborative: 0 }, '--keep-collaborative'],
    [{ keepCollaborative: 1.5 }, '--keep-collaborative'],
    [{ keepCollaborative: 'many' }, '--keep-collaborative'],
    [{ keepCollaborative: 0.25, keepModal: -0.1 }, '--keep-modal'],
  ] as const) {
    const err = await t.throwsAsync(plan({ strategy: 'ep', ...o }));
    t.is(code(err), 'E_INVALID_ARGUMENT');
    t.regex(err!.message, new RegExp(`${flag}: Expected a fraction in \\(0, 1\\]`));
  }

  const wrongStrategy = await t.throwsAsync(plan({ strategy: 'ks', modalities: 'optical', keepCollaborative: 0.5 }));
  t.regex(wrongStrategy!.message, /--keep-collaborative applies only to --strategy ep, not to --strategy ks/);
  const badStrategy = await t.throwsAsync(plan({ strategy: 'prune-harder' }));
  t.regex(badStrategy!.message, /--strategy: Expected one of "modality", "ep", "ks", "ka", "kc"/);
});

test('BAD CALL - a dense strategy over two modalities names --modalities', async (t) => {
  const err = await t.throwsAsync(plan({ strategy: 'ka', modalities: 'optical,sar-l2' }));
  t.is(code(err), 'E_INVALID_ARGUMENT');
  t.regex(
    err!.message,
    /--modalities: --strategy ka collapses one modality's experts into one FFN per block; give exactly one modality/,
  );
});

test('EXPECTED FAILURE - statistics of another package are E_STATS_MISMATCH; missing ones E_CALIBRATION with the command to run', async (t) => {
  const other = await t.throwsAsync(
    plan({ strategy: 'ep', keepCollaborative: 0.25 }, (m) => syntheticStats(m, 'f'.repeat(64), () => [1, 2, 3, 4])),
  );
  t.is(code(other), 'E_STATS_MISMATCH');
  t.regex(
    other!.message,
    /routing-stats\.json: routing statistics were measured on package ringmoe-tiny \(ffffffffffff…\), not on ringmoe-tiny/,
  );
  const none = await t.throwsAsync(plan({ strategy: 'ep', keepCollaborative: 0.25 }));
  t.is(code(none), 'E_CALIBRATION');
  t.regex(
    none!.message,
    /^statsFile: strategy ep ranks or weighs .* \(calibrate the package first \(calibration writes routing-stats\.json beside it\)\)$/,
  );
  const partial = await t.throwsAsync(
    plan({ strategy: 'ka', modalities: 'sar-l1' }, (m, h) => syntheticStats(m, h, () => [1, 1, 1, 1], ['optical'])),
  );
  t.is(code(partial), 'E_CALIBRATION');
  t.regex(
    partial!.message,
    /no frames of modality sar-l1; they cover optical \(calibrate the package on sar-l1 frames\)/,
  );
});

test('EXPECTED FAILURE - an imported package cannot be pruned (E_PRUNE)', async (t) => {
  const s = await source();
  const imported = { ...s.manifest, kind: 'imported' as const, experts: undefined };
  const err = t.throws(() => resolvePruneOptions({}, imported));
  t.is(code(err), 'E_PRUNE');
  t.regex(err!.message, /only RingMoE packages can be pruned/);
});
