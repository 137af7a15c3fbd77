/**
 * Latency estimates calibrated against measurement. The table's CPU rows are runs of the real
 * ringmoe-tiny and ringmoe-small reference packages with onnxruntime (tools/planner/calibration.ts);
 * this test holds every one of them, fitted or held out, within 2× of the calibrated estimate, checks
 * the table's FLOPs are the planner's own for those packages, and runs `plan --measure` on the real
 * tiny package. The live timing is logged, not bounded: it depends on this machine's load.
 */
import test from 'ava';
import { PassThrough } from 'node:stream';
import { loadTarget } from '../../../sdk/core/targets/index.js';
import { openPackage } from '../../../sdk/package/open-package.js';
import { runCli } from '../../../tools/cli/cli.js';
import { createIO } from '../../../tools/cli/io.js';
import {
  calibratedMs,
  calibrationFor,
  fitCalibration,
  LATENCY_CALIBRATIONS,
} from '../../../tools/planner/calibration.js';
import { estimateLatency } from '../../../tools/planner/estimate.js';
import type { HostMeasurement } from '../../../tools/planner/measure.js';
import { packageModel } from '../../../tools/planner/model-source.js';
import { planForTarget } from '../../../tools/planner/plan-target.js';
import { flops } from '../../../tools/ringmoe/flops.js';
import { tinyPackage } from '../../helpers/packages.js';

test('every measured CPU run is within 2× of its calibrated estimate (fitted and held-out runs alike)', (t) => {
  const cpu = calibrationFor('cpu-x86-64-onnxruntime', 'fp32')!;
  t.is(cpu.basis, 'measured');
  t.true(cpu.points.filter((p) => p.role === 'check').length >= 2, 'runs not used in the fit');
  for (const p of cpu.points) {
    const est = calibratedMs(cpu.fit, p.blockPasses, p.flops);
    const ratio = p.measuredMs / est;
    t.log(`${p.what} (${p.role}): measured ${p.measuredMs} ms, estimate ${est.toFixed(2)} ms, ×${ratio.toFixed(2)}`);
    t.true(ratio >= 0.5 && ratio <= 2, `${p.what}: ×${ratio.toFixed(2)}`);
  }
});

test("the calibrated CPU estimate of the real tiny package uses the table's FLOPs; uncalibrated it was ~100× too low", async (t) => {
  const { dir } = await tinyPackage();
  const pkg = await openPackage(dir);
  const model = packageModel(pkg.manifest, pkg.packageHash);
  const sel = { ...model.current, modalities: ['optical'] };
  const row = LATENCY_CALIBRATIONS[0]!.points.find((p) => p.what.startsWith('ringmoe-tiny optical'))!;
  t.is(flops(model.config, sel, { lowering: model.lowering }).total, row.flops);
  const est = estimateLatency(model.config, sel, 'fp32', await loadTarget('cpu-x86-64-onnxruntime'), {
    lowering: model.lowering,
  });
  t.truthy(est.calibration);
  t.true(est.ms / row.measuredMs > 0.5 && est.ms / row.measuredMs < 2);
  t.true(est.rawMs * 50 < row.measuredMs, `raw ${est.rawMs} ms vs measured ${row.measuredMs} ms`);
  const plan = planForTarget({ model, target: await loadTarget('cpu-x86-64-onnxruntime'), modalities: ['optical'] });
  t.true(plan.notes.some((n) => /calibrated against measured runs .*uncalibrated it would be/.test(n)));
});

test('Jetson figures come from a public benchmark and say so; targets without a row stay uncalibrated', async (t) => {
  const orin = calibrationFor('jetson-orin-nano-8gb', 'int8')!;
  t.is(orin.basis, 'public-benchmark');
  t.regex(orin.source, /^public benchmark \(not measured here\)/);
  t.is(fitCalibration(orin).blockOverheadMs, 0);
  t.is(calibrationFor('jetson-agx-orin-64gb', 'fp16'), undefined);
  const { dir } = await tinyPackage();
  const pkg = await openPackage(dir);
  const plan = planForTarget({
    model: packageModel(pkg.manifest, pkg.packageHash),
    target: await loadTarget('jetson-agx-orin-64gb'),
    modalities: ['optical'],
  });
  t.true(plan.notes.some((n) => /this target has no latency calibration/.test(n)));
});

test('plan --measure times the real package on this host and shows it beside the estimate', async (t) => {
  const { dir } = await tinyPackage();
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  const { result } = await runCli(
    ['plan', dir, '--target', 'cpu-x86-64-onnxruntime', '--modalities', 'optical', '--measure', '5'],
    (json) => createIO(json, stdout, new PassThrough()),
  );
  const m = (result as { measured: HostMeasurement; choice: { latency: { ms: number } } }).measured;
  t.true(m.hostIsTarget);
  t.is(m.entries.length, 1);
  const e = m.entries[0]!;
  t.is(e.entry, 'optical');
  t.is(e.rounds, 5);
  t.true(e.minMs > 0 && e.minMs <= e.medianMs);
  t.true(e.calibrated);
  t.is(
    e.estimateMs,
    (result as { choice: { latency: { ms: number } } }).choice.latency.ms,
    'the sub-model of the full package is the package itself',
  );
  t.regex(out, /measured on this host \(\d+ × .*; onnxruntime, fp32 package, batch 1\):/);
  t.regex(
    out,
    /entry +measured ms \(fastest\) +median ms +estimate ms +measured \/ estimate +uncalibrated estimate ms/,
  );
  t.regex(out, /optical +[\d.]+ \(of 5 runs\) +[\d.]+ +[\d.]+ +×[\d.]+ +0\.01\d/);
  t.log(
    `live: fastest ${e.minMs.toFixed(2)} ms, median ${e.medianMs.toFixed(2)} ms, estimate ${e.estimateMs.toFixed(2)} ms (×${e.ratio.toFixed(2)})`,
  );
  const bad = await t.throwsAsync(
    runCli(['plan', '--config', 'ringmoe-tiny', '--target', 'cpu-x86-64-onnxruntime', '--measure'], (json) =>
      createIO(json, new PassThrough(), new PassThrough()),
    ),
  );
  t.regex(bad!.message, /--measure: --measure times a package/);
});
