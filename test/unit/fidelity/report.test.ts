import test from 'ava';
import { join } from 'node:path';
import { OrtBackend } from '../../../sdk/runtime/backends/ort.js';
import { compareSessions } from '../../../tools/fidelity/report.js';
import { boxesOf, iou, matchBoxes } from '../../../tools/fidelity/metrics.js';
import { randomFeeds, tinyPackage } from '../../helpers/packages.js';

test('a package compared with itself agrees perfectly on every metric', async (t) => {
  const { dir, manifest } = await tinyPackage();
  const backend = new OrtBackend();
  for (const name of ['optical', 'change-optical']) {
    const entry = manifest.entries.find((e) => e.name === name)!;
    const a = await backend.load({ graphPath: join(dir, entry.graph) });
    const b = await backend.load({ graphPath: join(dir, entry.graph) });
    const r = await compareSessions(entry, a, b, [randomFeeds(entry, 2, 1), randomFeeds(entry, 3, 2)]);
    t.is(r.frames, 5);
    for (const s of Object.values(r.featureCosine)) t.true(s.min > 0.99999);
    if (name === 'optical') {
      t.is(r.classificationTop1Agreement, 1);
      t.is(r.segmentationPixelAgreement, 1);
      t.is(r.depthRelativeError, 0);
      t.is(r.detection!.f1, 1);
    } else t.is(r.changePixelAgreement, 1);
    await a.dispose();
    await b.dispose();
  }
});

test('two differently seeded models disagree, and the metrics say so', async (t) => {
  const a = await tinyPackage({ seed: 0 });
  const b = await tinyPackage({ seed: 5 });
  const entry = a.manifest.entries[0]!;
  const backend = new OrtBackend();
  const sa = await backend.load({ graphPath: join(a.dir, entry.graph) });
  const sb = await backend.load({ graphPath: join(b.dir, entry.graph) });
  const r = await compareSessions(entry, sa, sb, [randomFeeds(entry, 4, 3)]);
  t.true(r.featureCosine.embedding!.mean < 0.9, `${r.featureCosine.embedding!.mean}`);
  t.true(r.segmentationPixelAgreement! < 0.9);
  t.true(r.depthRelativeError! > 0.05);
  await sa.dispose();
  await sb.dispose();
});

test('box matching is one-to-one, class-aware and thresholded by IoU', (t) => {
  t.is(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
  const ref = [
    { box: [0, 0, 10, 10] as [number, number, number, number], score: 0.9, cls: 1 },
    { box: [20, 20, 30, 30] as [number, number, number, number], score: 0.8, cls: 2 },
  ];
  const cand = [
    { box: [1, 1, 10, 10] as [number, number, number, number], score: 0.7, cls: 1 },
    { box: [1, 0, 11, 10] as [number, number, number, number], score: 0.6, cls: 1 }, // duplicate: only one may match
    { box: [20, 20, 30, 30] as [number, number, number, number], score: 0.5, cls: 3 }, // wrong class
  ];
  const m = matchBoxes(ref, cand, 0.5);
  t.is(m.matched, 1);
});

test('oriented candidates (det_rboxes) match by the exact IoU of their polygons, not of their bounds', (t) => {
  // Two 40 × 6 bars crossing at 90° share their bounds' centre region: axis-aligned bounds overlap a lot, polygons little.
  const rboxes = (rows: number[][]) => ({
    dtype: 'float32' as const,
    shape: [1, rows.length, 5],
    data: Float32Array.from(rows.flat()),
  });
  const scores = { dtype: 'float32' as const, shape: [1, 1], data: Float32Array.of(0.9) };
  const classes = { dtype: 'int64' as const, shape: [1, 1], data: BigInt64Array.of(0n) };
  const ref = boxesOf(rboxes([[50, 50, 40, 6, Math.PI / 4]]), scores, classes, 0, 0.05);
  const crossed = boxesOf(rboxes([[50, 50, 40, 6, -Math.PI / 4]]), scores, classes, 0, 0.05);
  const same = boxesOf(rboxes([[50.5, 50, 40, 6, Math.PI / 4 + 0.01]]), scores, classes, 0, 0.05);
  t.is(iou(ref[0]!.box, crossed[0]!.box), 1, 'identical bounds');
  t.is(matchBoxes(ref, crossed, 0.5).matched, 0);
  const m = matchBoxes(ref, same, 0.5);
  t.is(m.matched, 1);
  t.true(m.ious[0]! > 0.8 && m.ious[0]! < 1);
});
