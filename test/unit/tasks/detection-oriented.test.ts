import test from 'ava';
import type { GeoReference } from '../../../sdk/sensors/geometry/georef.js';
import { pixelToMap } from '../../../sdk/sensors/geometry/georef.js';
import type { PreprocessedFrame } from '../../../sdk/sensors/geometry/layout.js';
import { preprocessFrame } from '../../../sdk/sensors/preprocess/preprocess.js';
import { rasterToPixels } from '../../../sdk/sensors/raster.js';
import {
  generateHarbourScene,
  HARBOUR_SCENE_LABELS,
  type GeneratedOrientedObject,
} from '../../../sdk/sensors/synthetic/harbour-scene.js';
import { detectionResult, type DetectionOutputs } from '../../../sdk/tasks/detection.js';
import { boxCorners, enclosingBoxAt, toQuad, type OrientedBox } from '../../../sdk/core/geometry/oriented-box.js';
import { clipConvex, polygonArea, polygonIou, type Point } from '../../../sdk/core/geometry/polygon.js';
import { frameOf } from '../../fixtures/frames/index.js';

const M = 40;

/**
 * A "rotated detector" that knows the generated scene: per model input, for every object it sees,
 * the box at the object's angle around its visible part (in input pixels), scored lower the more is
 * cut off, a jittered duplicate and low-score clutter.
 */
function oracle(
  pre: PreprocessedFrame,
  objects: GeneratedOrientedObject[],
  layout: 'rbox' | 'quad' = 'rbox',
): DetectionOutputs {
  const l = pre.layout;
  const view: Point[] = [
    [0, 0],
    [l.input.width, 0],
    [l.input.width, l.input.height],
    [0, l.input.height],
  ];
  const per = l.tiles.map((tile) => {
    const rows: { v: number[]; score: number; cls: number }[] = [];
    const enc = (b: OrientedBox) => (layout === 'rbox' ? [b.cx, b.cy, b.w, b.h, b.angle] : toQuad(b));
    for (const o of objects) {
      const poly = boxCorners(o.obox).map(
        ([x, y]) => [(x - tile.x - l.offsetX) / l.scaleX, (y - tile.y - l.offsetY) / l.scaleY] as Point,
      );
      const visible = clipConvex(poly, view);
      const area = polygonArea(visible);
      if (!(area > 1e-6)) continue;
      const b = enclosingBoxAt(visible, o.obox.angle);
      const fraction = area / polygonArea(poly);
      rows.push({ v: enc(b), score: 0.5 + 0.45 * fraction, cls: o.classId });
      rows.push({ v: enc({ ...b, cx: b.cx + 0.7, angle: b.angle + 0.03 }), score: 0.4 * fraction, cls: o.classId });
    }
    for (let k = 0; rows.length < M; k++)
      rows.push({ v: enc({ cx: 5 + k, cy: 5 + k, w: 4, h: 2, angle: 0.3 }), score: 0.05, cls: 0 });
    return rows.slice(0, M);
  });
  const n = l.tiles.length;
  const width = layout === 'rbox' ? 5 : 8;
  return {
    [layout === 'rbox' ? 'rboxes' : 'quads']: {
      dtype: 'float32',
      shape: [n, M, width],
      data: Float32Array.from(per.flatMap((r) => r.flatMap((x) => x.v))),
    },
    scores: { dtype: 'float32', shape: [n, M], data: Float32Array.from(per.flatMap((r) => r.map((x) => x.score))) },
    classes: {
      dtype: 'int64',
      shape: [n, M],
      data: BigInt64Array.from(per.flatMap((r) => r.map((x) => BigInt(x.cls)))),
    },
  } as DetectionOutputs;
}

const georef: GeoReference = {
  transform: [500000, 0.5, 0, 4200000, 0, -0.5],
  crsKind: 'projected',
  epsg: 32633,
  unit: 'metre',
  metresPerUnit: 1,
};

/** Every generated object found exactly once, with its true oriented box (float32 outputs: 1e-3 px). */
function assertFoundOnce(
  t: import('ava').ExecutionContext,
  dets: ReturnType<typeof detectionResult>['detections'],
  objects: GeneratedOrientedObject[],
): void {
  t.is(dets.length, objects.length);
  for (const o of objects) {
    const hits = dets.filter((d) => d.classId === o.classId && polygonIou(d.polygon, boxCorners(o.obox)) > 0.9);
    t.is(hits.length, 1, `${o.label} at ${o.obox.cx},${o.obox.cy}`);
    const b = hits[0]!.obox!;
    t.true(
      Math.abs(b.cx - o.obox.cx) < 1e-3 &&
        Math.abs(b.cy - o.obox.cy) < 1e-3 &&
        Math.abs(b.w - o.obox.w) < 1e-3 &&
        Math.abs(b.h - o.obox.h) < 1e-3,
      JSON.stringify([b, o.obox]),
    );
    t.true(Math.abs(Math.sin(b.angle - o.obox.angle)) < 1e-5);
  }
}

test('GENERATED harbour, tiled: rotated ships cut by tile edges join their other halves; each found exactly once with its true box and map polygon', async (t) => {
  const scene = generateHarbourScene({ width: 320, height: 288, seed: 21, ships: 12, barges: 6 });
  const pre = await preprocessFrame(frameOf(rasterToPixels(scene.raster), 'optical', { georef }), {
    inputSize: 128,
    fit: 'tile',
    overlap: 56,
  });
  t.true(pre.layout.tiles.length >= 9);
  // Objects cut by some tile's border (partly inside, partly outside it).
  const cut = scene.objects.filter((o) =>
    pre.layout.tiles.some((tile) => {
      const view: Point[] = [
        [tile.x, tile.y],
        [tile.x + tile.width, tile.y],
        [tile.x + tile.width, tile.y + tile.height],
        [tile.x, tile.y + tile.height],
      ];
      const inside = polygonArea(clipConvex(boxCorners(o.obox), view));
      return inside > 1 && inside < o.obox.w * o.obox.h - 1;
    }),
  );
  t.true(cut.length >= 5, `${cut.length} objects cut by tile borders`);
  const r = detectionResult(oracle(pre, scene.objects), pre, { labels: HARBOUR_SCENE_LABELS, scoreThreshold: 0.3 });
  t.is(r.geometry, 'oriented');
  assertFoundOnce(t, r.detections, scene.objects);
  const d = r.detections[0]!;
  t.deepEqual(
    d.map!.corners,
    d.polygon.map(([x, y]) => pixelToMap(georef, x, y)),
  );
  t.true(
    d.box[0] <= Math.min(...d.polygon.map((p) => p[0])) + 1e-9 &&
      d.box[2] >= Math.max(...d.polygon.map((p) => p[0])) - 1e-9,
  );
  t.true(d.obox!.w >= d.obox!.h && d.obox!.angle >= -Math.PI / 2 && d.obox!.angle < Math.PI / 2);
  t.deepEqual(JSON.parse(JSON.stringify(r)), r);
  // Without the cross-tile merge the cut halves stay apart: more detections than objects.
  const apart = detectionResult(oracle(pre, scene.objects), pre, {
    labels: HARBOUR_SCENE_LABELS,
    scoreThreshold: 0.3,
    crossTileIos: 1,
  });
  t.true(apart.detections.length > scene.objects.length);
});

test('GENERATED harbour: DOTA corner outputs (det_quads) give the same detections as det_rboxes', async (t) => {
  const scene = generateHarbourScene({ width: 256, height: 256, seed: 4 });
  const pre = await preprocessFrame(frameOf(rasterToPixels(scene.raster), 'optical'), {
    inputSize: 128,
    fit: 'tile',
    overlap: 56,
  });
  const r = detectionResult(oracle(pre, scene.objects, 'quad'), pre, { scoreThreshold: 0.3 });
  t.is(r.geometry, 'oriented');
  assertFoundOnce(t, r.detections, scene.objects);
});

test('GENERATED harbour, stretched resize: a rectangle in model pixels is a parallelogram in source pixels, reported exactly', async (t) => {
  const scene = generateHarbourScene({ width: 256, height: 160, seed: 9, ships: 5, barges: 2 });
  const pre = await preprocessFrame(frameOf(rasterToPixels(scene.raster), 'optical'), {
    inputSize: 128,
    fit: 'resize',
  });
  t.not(pre.layout.scaleX, pre.layout.scaleY);
  // The model's rectangle for each object: the object squeezed into input pixels, then its min-area rectangle.
  const r = detectionResult(oracle(pre, scene.objects), pre, { scoreThreshold: 0.3 });
  t.is(r.detections.length, scene.objects.length);
  for (const d of r.detections) {
    t.is(d.polygon.length, 4);
    // The polygon holds the true object (the oracle's box encloses it) and the obox holds the polygon.
    const o = scene.objects.find((x) => polygonIou(d.polygon, boxCorners(x.obox)) > 0.5)!;
    t.truthy(o);
    t.true(polygonArea(clipConvex(boxCorners(o.obox), d.polygon)) > o.obox.w * o.obox.h * (1 - 1e-4));
    t.true(polygonArea(clipConvex(d.polygon, boxCorners(d.obox!))) > polygonArea(d.polygon) * (1 - 1e-4));
  }
});

test('both kinds of boxes: oriented by default, axis-aligned on request; axis detections carry their corner polygon', async (t) => {
  const scene = generateHarbourScene({ width: 128, height: 128, seed: 2, ships: 3, barges: 1 });
  const pre = await preprocessFrame(frameOf(rasterToPixels(scene.raster), 'optical'), {
    inputSize: 128,
    fit: 'resize',
  });
  const out = oracle(pre, scene.objects);
  const rb = (out.rboxes as { data: Float32Array }).data;
  const boxes = new Float32Array(pre.layout.tiles.length * M * 4);
  for (let i = 0; i < boxes.length / 4; i++) {
    const [cx, cy, w, h] = [rb[5 * i]!, rb[5 * i + 1]!, rb[5 * i + 2]!, rb[5 * i + 3]!];
    boxes.set([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 4 * i);
  }
  const both = { ...out, boxes: { dtype: 'float32' as const, shape: [1, M, 4], data: boxes } };
  t.is(detectionResult(both, pre, { scoreThreshold: 0.3 }).geometry, 'oriented');
  const axis = detectionResult(both, pre, { scoreThreshold: 0.3, geometry: 'axis' });
  t.is(axis.geometry, 'axis');
  const d = axis.detections[0]!;
  t.is(d.obox, undefined);
  t.deepEqual(d.polygon, [
    [d.box[0], d.box[1]],
    [d.box[2], d.box[1]],
    [d.box[2], d.box[3]],
    [d.box[0], d.box[3]],
  ]);
});

test('EXPECTED FAILURE - oriented outputs that break the contract; invalid oriented boxes are counted', async (t) => {
  const scene = generateHarbourScene({ width: 128, height: 128, seed: 3, ships: 2, barges: 0 });
  const pre = await preprocessFrame(frameOf(rasterToPixels(scene.raster), 'optical'), {
    inputSize: 128,
    fit: 'resize',
  });
  const out = oracle(pre, scene.objects);
  const wrong = { ...out, rboxes: { dtype: 'float32' as const, shape: [1, M, 4], data: new Float32Array(M * 4) } };
  t.is(
    t.throws(() => detectionResult(wrong, pre))!.message,
    'det_rboxes: output det_rboxes: has shape [1, 40, 4], expected dimension 2 to be 5',
  );
  const rb = (out.rboxes as { data: Float32Array }).data;
  const nan = {
    ...out,
    rboxes: { dtype: 'float32' as const, shape: [1, M, 5], data: Float32Array.from(rb, (v, i) => (i === 7 ? NaN : v)) },
  };
  t.regex(t.throws(() => detectionResult(nan, pre))!.message, /det_rboxes: value 7 is NaN/);
  t.is(
    (t.throws(() => detectionResult({ scores: out.scores, classes: out.classes }, pre)) as { code?: string }).code,
    'E_MODEL_OUTPUT',
  );
  t.is(
    (t.throws(() => detectionResult(out, pre, { geometry: 'rotated' as 'axis' })) as { code?: string }).code,
    'E_INVALID_ARGUMENT',
  );
  // Zero height, negative width and a box wholly outside the frame are dropped and counted.
  const bad = Float32Array.from(rb);
  bad.set([20, 20, 10, 0, 0.2], 0);
  bad.set([20, 20, -10, 4, 0.2], 5);
  bad.set([500, 500, 10, 4, 0.2], 10);
  const scores = Float32Array.from((out.scores as { data: Float32Array }).data);
  scores.set([0.99, 0.99, 0.99], 0);
  const r = detectionResult(
    {
      ...out,
      rboxes: { dtype: 'float32', shape: [1, M, 5], data: bad },
      scores: { dtype: 'float32', shape: [1, M], data: scores },
    },
    pre,
    { scoreThreshold: 0.3 },
  );
  t.is(r.invalidBoxes, 3);
});
