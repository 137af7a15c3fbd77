import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPackage } from '../../../sdk/package/open-package.js';
import { sha256File } from '../../../sdk/package/hash.js';
import { namedConfig } from '../../../tools/ringmoe/config.js';
import { backboneParams } from '../../../tools/ringmoe/params.js';
import { randomFeeds, runEntry, tinyPackage } from '../../helpers/packages.js';
import { paramsFromGraphs, pruneTo, sameBytes } from './helpers.js';

test('modality subset (optical, sar-l2): kept entries give bit-identical outputs; graphs and weights are byte-for-byte copies', async (t) => {
  const src = await tinyPackage();
  const r = await pruneTo(src.dir, { modalities: 'optical,sar-l2' });
  const m = r.manifest!;
  t.deepEqual(
    m.entries.map((e) => e.name),
    ['optical', 'sar-l2', 'fusion-optical-sar-l2', 'change-optical'],
  );
  for (const entry of m.entries) {
    const feeds = randomFeeds(entry, 2, 5);
    const a = await runEntry(
      src.dir,
      src.manifest.entries.find((e) => e.name === entry.name)!,
      feeds,
    );
    const b = await runEntry(r.outDir!, entry, feeds);
    t.deepEqual(sameBytes(a, b), [], `${entry.name}: outputs differ`);
    t.deepEqual(Object.keys(b).sort(), entry.outputs.map((o) => o.name).sort());
  }
  for (const [path, rec] of Object.entries(m.files)) {
    if (rec.role === 'report') continue;
    t.is(rec.sha256, src.manifest.files[path]!.sha256, `${path} is a copy`);
  }
});

test('modality subset: dropped modalities leave no file, expert or router; parameters match params.ts and the tensors the graphs hold', async (t) => {
  const src = await tinyPackage();
  const r = await pruneTo(src.dir, { modalities: 'sar-l1' });
  const m = r.manifest!;
  t.deepEqual(
    m.modalities.map((x) => x.id),
    ['sar-l1'],
  );
  t.deepEqual(
    m.entries.map((e) => e.name),
    ['sar-l1'],
  );
  t.false(
    Object.keys(m.files).some((f) => /optical|sar-l2|multispectral|fusion|change/.test(f)),
    Object.keys(m.files).join(' '),
  );
  t.false(existsSync(join(r.outDir!, 'weights/embed.optical.bin')));
  for (const b of m.experts!.blocks) {
    t.true(b.experts.every((e) => e.kind !== 'modal' || e.modality === 'sar-l1'));
    t.deepEqual(
      b.routers.map((x) => x.id),
      [`${b.id}.router.modal.sar-l1`, `${b.id}.router.collaborative`],
    );
  }
  const config = namedConfig('ringmoe-tiny');
  const expected = backboneParams(config, r.plan.selection);
  t.is(m.model.params.backbone, expected.total);
  t.deepEqual(await paramsFromGraphs(r.outDir!, m), {
    experts: expected.experts,
    routers: expected.routers,
    embed: expected.embed,
  });
  t.true(
    m.model.params.heads > 0 && m.model.params.heads < src.manifest.model.params.heads,
    'fusion and change heads are gone',
  );
});

test('the pruned package opens verified, records its lineage and carries its fidelity report', async (t) => {
  const src = await tinyPackage();
  const r = await pruneTo(src.dir, { modalities: 'optical' }, { name: 'tiny-optical' });
  const pkg = await openPackage(r.outDir!);
  const m = pkg.manifest;
  t.is(m.name, 'tiny-optical');
  const step = m.lineage[m.lineage.length - 1]!;
  t.is(step.step, 'prune');
  t.is(step.sourcePackage, await sha256File(join(src.dir, 'ringmoe.json')));
  t.deepEqual(step.params.strategy, 'modality');
  t.deepEqual(step.params.modalities, ['optical']);
  t.is(step.statsSha256, undefined, 'modality subsetting uses no statistics');
  t.is(m.files['reports/fidelity.json']!.role, 'report');
  t.deepEqual(m.reports, { fidelity: 'reports/fidelity.json' });
  const report = JSON.parse(readFileSync(join(r.outDir!, 'reports/fidelity.json'), 'utf8'));
  t.is(report.frames.heldOut, true);
  t.is(report.frames.source, 'generated');
  t.deepEqual(
    report.entries.map((e: { entry: string }) => e.entry),
    ['optical', 'change-optical'],
  );
  t.is(report.entries[0].classificationTop1Agreement, 1);
  t.true(Math.abs(report.entries[0].featureCosine.embedding.min - 1) < 1e-12);
  t.is(report.bytes.fp32, 4 * m.model.params.total);
  t.true(report.compute.gflops > 0);
  t.is(report.compute.gflops, report.compute.referenceGflops, 'a sub-model runs the same path');
});
