/**
 * Oriented detection end to end: a vendor rotated detector (ONNX, built here; boxes from image
 * moments, angle in degrees counter-clockwise) imported with its output layout declared, then run
 * on a GENERATED harbour scene larger than its input, tiled: through the SDK runtime, and through
 * `ringmoe-edge run` publishing to a broker where a fleet consumer receives the polygons.
 */
import test from 'ava';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { FleetConsumer } from '../../../sdk/mqtt/consumer.js';
import { startEmbeddedBroker } from '../../../sdk/mqtt/embedded-broker.js';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import { rasterToPixels } from '../../../sdk/sensors/raster.js';
import { generateHarbourScene, type HarbourScene } from '../../../sdk/sensors/synthetic/harbour-scene.js';
import type { DetectionResult } from '../../../sdk/tasks/detection.js';
import { boxCorners } from '../../../sdk/core/geometry/oriented-box.js';
import { polygonIou } from '../../../sdk/core/geometry/polygon.js';
import { runCli } from '../../../tools/cli/cli.js';
import type { RunSummary } from '../../../tools/cli/commands/run.js';
import { createIO } from '../../../tools/cli/io.js';
import { importModel } from '../../../tools/package/import-model.js';
import { tempDir } from '../../helpers/packages.js';
import { writeVendorRotatedDetector } from '../../helpers/vendor-rotated-detector.js';
import { until } from '../mqtt/brokers.js';

const SIZE = 96;

/** Two ships and two barges at known angles, one per corner of a 256 × 256 scene (a 4 × 4 tile grid at input 96). */
function scene(): HarbourScene {
  return generateHarbourScene({
    width: 256,
    height: 256,
    seed: 1,
    noise: 0,
    objects: [
      { classId: 0, obox: { cx: 44, cy: 46, w: 40, h: 10, angle: 0.5 } },
      { classId: 0, obox: { cx: 210, cy: 44, w: 44, h: 12, angle: -1.1 } },
      { classId: 1, obox: { cx: 46, cy: 212, w: 20, h: 14, angle: 1.2 } },
      { classId: 1, obox: { cx: 208, cy: 206, w: 22, h: 14, angle: -0.3 } },
    ],
  });
}

async function vendorPackage(): Promise<string> {
  const dir = tempDir('oriented');
  const model = join(dir, 'rotated-detector.onnx');
  writeVendorRotatedDetector(model, SIZE);
  const m = await importModel({
    model,
    outDir: join(dir, 'pkg'),
    modality: 'optical',
    detection: { boxes: 'dets', layout: 'rbox', angle: 'deg-ccw', scores: 'conf', classes: 'cls' },
    labels: ['ship', 'barge'],
  });
  const e = m.entries[0]!;
  if (
    e.outputs.map((o) => `${o.name}:${o.kind}`).join() !==
    'det_rboxes:oriented-boxes,det_scores:scores,det_classes:classes'
  )
    throw new Error(`outputs ${JSON.stringify(e.outputs)}`);
  return join(dir, 'pkg');
}

/** Every object found once, right class, its polygon within 0.85 IoU of the truth and its angle within 3°. */
function check(t: import('ava').ExecutionContext, det: DetectionResult, truth: HarbourScene): void {
  t.is(det.geometry, 'oriented');
  t.is(det.detections.length, truth.objects.length, JSON.stringify(det.detections.map((d) => d.obox)));
  for (const o of truth.objects) {
    const hits = det.detections.filter((d) => polygonIou(d.polygon, boxCorners(o.obox)) > 0.85);
    t.is(hits.length, 1, `${o.label} at ${o.obox.cx},${o.obox.cy}`);
    t.is(hits[0]!.label, o.label);
    t.true(
      Math.abs(Math.sin(hits[0]!.obox!.angle - o.obox.angle)) < Math.sin((3 * Math.PI) / 180),
      `${hits[0]!.obox!.angle} vs ${o.obox.angle}`,
    );
  }
}

test('SDK: an imported rotated detector on a tiled scene finds each rotated object once, with polygons in source pixels', async (t) => {
  const pkg = await vendorPackage();
  const s = scene();
  const runtime = await createRuntime({ package: pkg, backend: 'onnxruntime', preprocess: { fit: 'tile' } });
  try {
    const r = await runtime.infer({
      id: 'harbour-1',
      modality: 'optical',
      pixels: rasterToPixels(s.raster),
      timestamp: 0,
    });
    t.is(r.frame.inputs, 16);
    check(t, r.tasks.detection!, s);
    // Each object lies whole in one tile; its cut-off views in the neighbours (score 0.2) stay under
    // the default threshold of 0.25.
    t.is(r.tasks.detection!.candidates, 4);
  } finally {
    await runtime.close();
  }
});

test('run --fit tile --broker: the detection result message carries the oriented polygons', async (t) => {
  const pkg = await vendorPackage();
  const s = scene();
  const png = join(tempDir('oriented-frame'), 'harbour.png');
  const rgb = new Uint8Array(256 * 256 * 3);
  for (let i = 0; i < 256 * 256; i++)
    for (let k = 0; k < 3; k++) rgb[3 * i + k] = (s.raster.planes[k] as Uint8Array)[i]!;
  await sharp(Buffer.from(rgb), { raw: { width: 256, height: 256, channels: 3 } })
    .png()
    .toFile(png);
  const broker = await startEmbeddedBroker({ port: 0 });
  const consumer = await FleetConsumer.create({ url: broker.url, fleet: 'harbour' });
  const got: unknown[] = [];
  consumer.on('result', (r) => {
    if (r.task === 'detection') got.push(r);
  });
  try {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const { result } = await runCli(
      [
        'run',
        pkg,
        '--source',
        png,
        '--fit',
        'tile',
        '--broker',
        broker.url,
        '--fleet',
        'harbour',
        '--device',
        'quay-3',
      ],
      (json) => createIO(json, stdout, stderr),
    );
    const summary = result as RunSummary;
    t.like(summary.frames, { total: 1, ok: 1 });
    t.is(summary.results[0]!.detections, 4);
    await until(() => got.length === 1, 10_000, 'the detection result');
    const message = got[0] as { result?: { result?: DetectionResult } & DetectionResult; payload?: unknown };
    const det = (
      message.result && 'result' in message.result ? message.result.result : message.result
    ) as DetectionResult;
    check(t, det, s);
    t.is(det.detections[0]!.polygon.length, 4);
  } finally {
    await consumer.close();
    await broker.close();
  }
});
