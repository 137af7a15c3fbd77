import test from 'ava';
import { join } from 'node:path';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import { namedConfig, resolveConfig } from '../../../tools/ringmoe/config.js';
import { writeReferencePackage } from '../../../tools/ringmoe/reference.js';
import { randomFeeds, runEntry, tempDir } from '../../helpers/packages.js';

const tiny = namedConfig('ringmoe-tiny');
const config = resolveConfig({
  base: 'ringmoe-tiny',
  name: 'ringmoe-tiny-oriented',
  modalities: ['optical'],
  fusion: [],
  change: [],
  taskHeads: { detection: { ...tiny.taskHeads.detection, boxes: 'oriented' } },
});

let pkg: Promise<{ dir: string; manifest: Awaited<ReturnType<typeof writeReferencePackage>> }> | undefined;
const orientedPackage = () => {
  const dir = join(tempDir('obb'), 'pkg');
  pkg ??= writeReferencePackage({ config, outDir: dir, seed: 3 }).then((manifest) => ({ dir, manifest }));
  return pkg;
};

test('taskHeads.detection.boxes "oriented": the entry emits det_rboxes [N, M, 5] instead of det_boxes; every box holds the grid point it was regressed from', async (t) => {
  const { dir, manifest } = await orientedPackage();
  const e = manifest.entries[0]!;
  const names = e.outputs.map((o) => o.name);
  t.true(names.includes('det_rboxes') && !names.includes('det_boxes'));
  const spec = e.outputs.find((o) => o.name === 'det_rboxes')!;
  t.deepEqual([spec.kind, spec.shape], ['oriented-boxes', ['N', 32, 5]]);
  const out = await runEntry(dir, e, randomFeeds(e, 2, 5));
  t.deepEqual(out.det_rboxes!.shape, [2, 32, 5]);
  const r = out.det_rboxes!.data as Float32Array;
  const stride = config.taskHeads.detection.stride;
  const side = config.inputSize.width / stride;
  for (let i = 0; i < r.length; i += 5) {
    const [cx, cy, w, h, a] = [r[i]!, r[i + 1]!, r[i + 2]!, r[i + 3]!, r[i + 4]!];
    t.true(w > 0 && h > 0 && a > -Math.PI / 2 && a < Math.PI / 2, `box ${i / 5}: ${[cx, cy, w, h, a]}`);
    // Some location (x + ½, y + ½)·stride lies inside the rotated box.
    let inside = false;
    for (let y = 0; y < side && !inside; y++) {
      for (let x = 0; x < side && !inside; x++) {
        const dx = (x + 0.5) * stride - cx,
          dy = (y + 0.5) * stride - cy;
        inside =
          Math.abs(dx * Math.cos(a) + dy * Math.sin(a)) <= w / 2 + 1e-3 &&
          Math.abs(-dx * Math.sin(a) + dy * Math.cos(a)) <= h / 2 + 1e-3;
      }
    }
    t.true(inside, `box ${i / 5}`);
  }
});

test('BAD CALL - taskHeads.detection.boxes other than axis/oriented is a config error', (t) => {
  const err = t.throws(() =>
    resolveConfig({
      base: 'ringmoe-tiny',
      taskHeads: { detection: { ...tiny.taskHeads.detection, boxes: 'rotated' as 'oriented' } },
    }),
  );
  t.is((err as { code?: string }).code, 'E_CONFIG');
  t.regex(err!.message, /taskHeads\.detection\.boxes must be "axis" or "oriented" \(got "rotated"\)/);
});

test('SDK: the seeded oriented package runs on a real aerial photo, tiled, and returns oriented detections (untrained boxes)', async (t) => {
  const { dir } = await orientedPackage();
  const runtime = await createRuntime({
    package: dir,
    backend: 'onnxruntime',
    preprocess: { fit: 'tile' },
    tasks: { detection: { scoreThreshold: 0 } },
  });
  try {
    const r = await runtime.infer({
      id: 'aero1',
      modality: 'optical',
      pixels: 'examples/data/aerial/aero1.jpg',
      timestamp: 0,
    });
    t.true(r.frame.inputs > 1);
    const det = r.tasks.detection!;
    t.is(det.geometry, 'oriented');
    t.true(det.detections.length > 0);
    for (const d of det.detections) {
      t.true(d.obox!.w >= d.obox!.h && d.obox!.h > 0);
      t.is(d.polygon.length, 4);
    }
  } finally {
    await runtime.close();
  }
});
