/**
 * INT8 calibration chosen by measured fidelity on held-out real frames, and the fidelity floor.
 * Real frames: NASA's Blue Marble (calibration) and an aerial photo of a city (held-out), both in
 * examples/data — one real RGB scene to calibrate on, another to check on. On them entropy
 * calibration clips the city's brighter activations and loses embedding fidelity that max
 * calibration keeps.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadFrameSources } from '../../../tools/frames/load-sets.js';
import { quantizePackage } from '../../../tools/quantize/quantize-package.js';
import { checkFloors, fidelityChecks, worstCheck } from '../../../tools/quantize/fidelity-floor.js';
import { tempDir, tinyPackage } from '../../helpers/packages.js';
import { REPO_ROOT } from '../../helpers/shared-data.js';

const SIZE = { height: 64, width: 64 };
const MARBLE = join(REPO_ROOT, 'examples', 'data', 'bluemarble', 'bluemarble_2700x1350.jpg');
const CITY = join(REPO_ROOT, 'examples', 'data', 'aerial', 'aero3.jpg');

async function realFrames() {
  const o = { inputSize: SIZE, modalities: ['optical'], maxFrames: 8 };
  const calibration = await loadFrameSources([`optical=${MARBLE}`], { ...o, field: '--calibration' });
  const heldOut = await loadFrameSources([`optical=${CITY}`], { ...o, field: '--held-out' });
  return { calibration, heldOut };
}

/** A floor the tiny seeded package can meet with a good calibration (its toy heads have near-tied logits). */
const FLOORS = { cosine: 0.98, agreement: 0.8, depthError: 0.1 };

test('auto: every method measured on the held-out city, the best worst-margin wins, and the report says by how much', async (t) => {
  const src = await tinyPackage();
  const { calibration, heldOut } = await realFrames();
  t.is(calibration[0]!.origin, 'real');
  const r = await quantizePackage({
    source: src.dir,
    outDir: join(tempDir('sel'), 'auto'),
    precision: 'int8',
    entries: ['optical'],
    calibration,
    heldOut,
    latencyRounds: 0,
    floors: FLOORS,
  });
  const sel = r.report.selection!;
  t.is(sel.mode, 'auto');
  t.deepEqual(
    sel.candidates.map((c) => c.method),
    ['max', 'percentile 99.99', 'entropy'],
  );
  for (const c of sel.candidates)
    t.log(
      `${c.method}: embedding cosine ${c.embeddingCosine!.toFixed(4)}, worst ${c.worst!.metric} ${c.worst!.value.toFixed(4)} (margin ${c.worst!.margin.toFixed(4)})`,
    );
  const winner = sel.candidates.find((c) => c.method === sel.winner)!;
  for (const c of sel.candidates) t.true(winner.worst!.margin >= c.worst!.margin);
  t.not(sel.winner, 'entropy');
  const entropy = sel.candidates.find((c) => c.method === 'entropy')!;
  t.true(
    entropy.worst!.margin < 0 && winner.worst!.margin > 0,
    'entropy calibrated on one scene falls below the floor on the other; the winner meets it',
  );
  t.true(winner.embeddingCosine! > entropy.embeddingCosine!, 'entropy loses embedding fidelity on the other scene');
  t.true(sel.marginOverRunnerUp! >= 0);
  t.is(r.report.method, sel.winner === 'max' ? 'max' : 'percentile');
  t.true(r.report.floor.passed);
  t.false(r.report.floor.acceptedLoss);
  // The written graph is the winner's: the package's ranges say its method.
  t.is(r.manifest.lineage.at(-1)!.params.method, r.report.method);
  t.is(r.manifest.lineage.at(-1)!.params.methodSelection, 'auto');
});

test('EXPECTED FAILURE - entropy alone on the same frames is below the floor: refused with E_FIDELITY_FLOOR, nothing written', async (t) => {
  const src = await tinyPackage();
  const { calibration, heldOut } = await realFrames();
  const out = join(tempDir('sel'), 'entropy');
  const e = await t.throwsAsync(
    quantizePackage({
      source: src.dir,
      outDir: out,
      precision: 'int8',
      method: 'entropy',
      entries: ['optical'],
      calibration,
      heldOut,
      latencyRounds: 0,
      floors: FLOORS,
    }),
  );
  t.is((e as { code?: string }).code, 'E_FIDELITY_FLOOR');
  t.regex(
    e!.message,
    /int8 with entropy calibration .* below the fidelity floor on 8 held-out frames: optical (cosine:\w+|detectionF1|segmentationPixelAgreement) 0\.\d+ < 0\.\d+/,
  );
  t.regex(e!.message, /option acceptLoss/); // the library names the option; the CLI maps it to --accept-loss
  t.false(existsSync(out));
  // With --accept-loss it is written, and the report and lineage say it is below the floor.
  const kept = await quantizePackage({
    source: src.dir,
    outDir: out,
    precision: 'int8',
    method: 'entropy',
    entries: ['optical'],
    calibration,
    heldOut,
    latencyRounds: 0,
    floors: FLOORS,
    acceptLoss: true,
  });
  t.false(kept.report.floor.passed);
  t.true(kept.report.floor.acceptedLoss);
  t.true(kept.report.floor.failing.length > 0);
  t.is(kept.report.selection!.mode, 'fixed');
  t.false((kept.manifest.lineage.at(-1)!.params.floor as { passed: boolean }).passed);
});

test('floor checks: margins, the worst figure, depth error counted the other way, NaN fails', (t) => {
  const floors = checkFloors({});
  t.deepEqual(floors, { cosine: 0.99, agreement: 0.9, depthError: 0.05 });
  const checks = fidelityChecks(
    [
      {
        entry: 'optical',
        frames: 4,
        featureCosine: { embedding: { mean: 0.995, min: 0.99 } },
        segmentationPixelAgreement: 0.19,
        depthRelativeError: 0.01,
      },
    ],
    floors,
  );
  t.deepEqual(
    checks.map((c) => c.metric),
    ['cosine:embedding', 'segmentationPixelAgreement', 'depthRelativeError'],
  );
  t.true(Math.abs(checks[2]!.margin - 0.04) < 1e-12);
  t.is(worstCheck(checks)!.metric, 'segmentationPixelAgreement');
  t.is(
    fidelityChecks([{ entry: 'x', frames: 0, featureCosine: { out: { mean: NaN, min: NaN } } }], floors)[0]!.margin,
    -Infinity,
  );
  const e = t.throws(() => checkFloors({ cosine: 1.5 }));
  t.is((e as { code?: string }).code, 'E_INVALID_ARGUMENT');
});
