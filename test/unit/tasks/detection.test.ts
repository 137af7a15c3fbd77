import test from 'ava';
import type { GeoReference } from '../../../sdk/sensors/geometry/georef.js';
import { pixelToMap } from '../../../sdk/sensors/geometry/georef.js';
import type { PreprocessedFrame } from '../../../sdk/sensors/geometry/layout.js';
import { preprocessFrame } from '../../../sdk/sensors/preprocess/preprocess.js';
import { rasterToPixels } from '../../../sdk/sensors/raster.js';
import {
  generateObjectScene,
  OBJECT_SCENE_LABELS,
  type GeneratedObject,
} from '../../../sdk/sensors/synthetic/object-scene.js';
import { detectionResult, type DetectionOutputs } from '../../../sdk/tasks/detection.js';
import { iou, type Box } from '../../../sdk/tasks/nms.js';
import { frameOf } from '../../fixtures/frames/index.js';

const M = 40;

/**
 * A "detector" that knows the scene: per input, a candidate for every object it sees (truncated at
 * the input's border, scored lower the more is cut off), a jittered duplicate and low-score clutter.
 */
function oracle(pre: PreprocessedFrame, objects: GeneratedObject[]): DetectionOutputs {
  const l = pre.layout;
  const per = l.tiles.map((tile) => {
    const rows: { box: Box; score: number; cls: number }[] = [];
    for (const o of objects) {
      // object box in input pixels of this tile
      const b = o.box.map(
        (v, i) => (v - (i % 2 === 0 ? tile.x + l.offsetX : tile.y + l.offsetY)) / (i % 2 === 0 ? l.scaleX : l.scaleY),
      ) as Box;
      const c: Box = [
        Math.max(0, b[0]),
        Math.max(0, b[1]),
        Math.min(l.input.width, b[2]),
        Math.min(l.input.height, b[3]),
      ];
      if (c[2] <= c[0] || c[3] <= c[1]) continue;
      const visible = ((c[2] - c[0]) * (c[3] - c[1])) / ((b[2] - b[0]) * (b[3] - b[1]));
      rows.push({ box: c, score: 0.5 + 0.45 * visible, cls: o.classId });
      rows.push({ box: [c[0] + 0.5, c[1], c[2] + 0.5, c[3]], score: 0.4 * visible, cls: o.classId });
    }
    for (let k = 0; rows.length < M; k++) rows.push({ box: [k, k, k + 3, k + 3], score: 0.05, cls: 0 });
    return rows.slice(0, M);
  });
  const n = l.tiles.length;
  return {
    boxes: { dtype: 'float32', shape: [n, M, 4], data: Float32Array.from(per.flatMap((r) => r.flatMap((x) => x.box))) },
    scores: { dtype: 'float32', shape: [n, M], data: Float32Array.from(per.flatMap((r) => r.map((x) => x.score))) },
    classes: {
      dtype: 'int64',
      shape: [n, M],
      data: BigInt64Array.from(per.flatMap((r) => r.map((x) => BigInt(x.cls)))),
    },
  };
}

const georef: GeoReference = {
  transform: [500000, 0.5, 0, 4200000, 0, -0.5],
  crsKind: 'projected',
  epsg: 32633,
  unit: 'metre',
  metresPerUnit: 1,
};

test('tiled scene: every known object found exactly once, merged across tile borders, with map coordinates', async (t) => {
  const scene = generateObjectScene({ width: 256, height: 256, seed: 12, vehicles: 12 });
  const pre = await preprocessFrame(frameOf(rasterToPixels(scene.raster), 'optical', { georef }), {
    inputSize: 96,
    fit: 'tile',
    overlap: 24,
  });
  t.true(pre.layout.tiles.length >= 9);
  const cut = (o: GeneratedObject) =>
    pre.layout.tiles.some((tile) => {
      const [x1, y1, x2, y2] = o.box;
      const inside = x1 >= tile.x && y1 >= tile.y && x2 <= tile.x + tile.width && y2 <= tile.y + tile.height;
      const touches = x2 > tile.x && y2 > tile.y && x1 < tile.x + tile.width && y1 < tile.y + tile.height;
      return touches && !inside;
    });
  t.true(scene.objects.filter(cut).length >= 3, 'some objects are cut by tile borders');
  const r = detectionResult(oracle(pre, scene.objects), pre, { labels: OBJECT_SCENE_LABELS, scoreThreshold: 0.3 });
  t.is(r.detections.length, scene.objects.length);
  for (const o of scene.objects) {
    const hits = r.detections.filter((d) => d.classId === o.classId && iou(d.box, o.box) > 0.9);
    t.is(hits.length, 1, `${o.label} at ${o.box.join(',')}`);
    t.deepEqual(hits[0]!.box, o.box);
  }
  t.is(r.crs, 'EPSG:32633');
  const d = r.detections[0]!;
  const [mx1, my1] = pixelToMap(georef, d.box[0], d.box[3]);
  const [mx2, my2] = pixelToMap(georef, d.box[2], d.box[1]);
  t.deepEqual(d.map!.bbox, [mx1, my1, mx2, my2]);
  // WGS 84: the frame's corners as gdaltransform -s_srs EPSG:32633 -t_srs EPSG:4326 gives them, and
  // every box corner inside the footprint, in the same order as the pixel polygon.
  const ring = r.footprint!.coordinates[0]!;
  t.true(Math.abs(ring[0]![0] - 15) < 1e-9 && Math.abs(ring[0]![1] - 37.9475895717832) < 1e-9);
  t.true(Math.abs(ring[2]![0] - 15.0014568441311) < 1e-9 && Math.abs(ring[2]![1] - 37.9464359011268) < 1e-9);
  for (const det of r.detections) {
    t.is(det.map!.lonLat!.length, det.polygon.length);
    for (const [lon, lat] of det.map!.lonLat!)
      t.true(lon > 15 && lon < ring[2]![0] && lat < ring[0]![1] && lat > ring[2]![1]);
    // x grows east, y grows south: pixel x1 < x2 ⇒ lon1 < lon2; y1 < y2 ⇒ lat1 > lat2.
    t.true(det.map!.lonLat![0]![0] < det.map!.lonLat![1]![0] && det.map!.lonLat![0]![1] > det.map!.lonLat![2]![1]);
  }
  t.deepEqual(JSON.parse(JSON.stringify(r)), r);
});

test('resized frame: boxes scale back to source pixels', async (t) => {
  const scene = generateObjectScene({ width: 256, height: 192, seed: 5 });
  const pre = await preprocessFrame(frameOf(rasterToPixels(scene.raster), 'optical'), {
    inputSize: { width: 128, height: 96 },
    fit: 'resize',
  });
  const r = detectionResult(oracle(pre, scene.objects), pre, { scoreThreshold: 0.3 });
  t.is(r.detections.length, scene.objects.length);
  for (const o of scene.objects) t.true(r.detections.some((d) => iou(d.box, o.box) > 0.999));
  t.is(r.detections[0]!.map, undefined);
  t.is(r.footprint, undefined);
  t.is(r.detections[0]!.label, r.detections[0]!.classId === 0 ? 'class_0' : 'class_1');
});

test('score threshold, max detections and empty/inverted boxes', async (t) => {
  const scene = generateObjectScene({ width: 128, height: 128, seed: 8 });
  const pre = await preprocessFrame(frameOf(rasterToPixels(scene.raster), 'optical'), {
    inputSize: 128,
    fit: 'resize',
  });
  const out = oracle(pre, scene.objects);
  const all = detectionResult(out, pre, { scoreThreshold: 0 });
  t.true(all.candidates >= M - 2);
  t.is(detectionResult(out, pre, { scoreThreshold: 0.3, maxDetections: 2 }).detections.length, 2);
  const boxes = out.boxes as { data: Float32Array };
  boxes.data.set([50, 50, 40, 60], 0); // inverted
  const r = detectionResult(out, pre, { scoreThreshold: 0.3 });
  t.is(r.invalidBoxes, 1);
});

test('EXPECTED FAILURE - detection outputs that break the contract', async (t) => {
  const scene = generateObjectScene({ width: 64, height: 64, seed: 1 });
  const pre = await preprocessFrame(frameOf(rasterToPixels(scene.raster), 'optical'), { inputSize: 64 });
  const good = oracle(pre, scene.objects);
  const scores = { dtype: 'float32' as const, shape: [1, M], data: new Float32Array(M).fill(0.5) };
  scores.data[3] = 1.5;
  const e1 = t.throws(() => detectionResult({ ...good, scores }, pre));
  t.regex(e1!.message, /output det_scores: value 3 is 1.5, outside the documented range \[0, 1\]/);
  const classes = { dtype: 'int64' as const, shape: [1, M], data: new BigInt64Array(M) };
  classes.data[7] = 5n;
  const e2 = t.throws(() => detectionResult({ ...good, classes }, pre, { labels: ['vehicle', 'building'] }));
  t.regex(e2!.message, /det_classes: value 7 is 5; class ids must be integers in \[0, 2\)/);
  const e3 = t.throws(() =>
    detectionResult({ ...good, boxes: { dtype: 'float32', shape: [1, M, 5], data: new Float32Array(M * 5) } }, pre),
  );
  t.is((e3 as { code?: string }).code, 'E_MODEL_OUTPUT');
  const e4 = t.throws(() => detectionResult(good, pre, { iouThreshold: 2 }));
  t.is((e4 as { code?: string }).code, 'E_INVALID_ARGUMENT');
});
