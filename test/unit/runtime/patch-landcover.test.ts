/**
 * Scene land cover from a patch classifier on the real Landsat-7 Olinda scene with the seeded
 * Statlog-shaped package: map shape, shares, ground areas from the scene's UTM georeference, and
 * each patch's class equal to the runtime's class of that patch alone.
 */
import test from 'ava';
import type { EdgeError } from '../../../sdk/core/errors.js';
import type { Runtime } from '../../../sdk/runtime/runtime.js';
import { createRuntime } from '../../../sdk/runtime/runtime.js';
import { decodeFrame } from '../../../sdk/sensors/codecs/decode.js';
import type { Frame, SensorConfig } from '../../../sdk/index.js';
import { PATCH_UNCLASSIFIED, patchLandCover } from '../../../sdk/runtime/patch-landcover.js';
import { REAL } from '../../fixtures/frames/index.js';
import { STATLOG_LABELS, statlogLikePackage } from '../../helpers/statlog-package.js';

/** ETM+ bands 2, 3, 4, 4 in the places of MSS green, red, NIR 0.7–0.8, NIR 0.8–1.1. */
const ETM_AS_MSS: SensorConfig = {
  id: 'etm-as-mss',
  modality: 'multispectral',
  bands: [2, 3, 4, 4],
  bandNames: ['green', 'red', 'nir', 'nir'],
  expectedBands: 6,
};
const olinda: Frame = {
  id: 'olinda',
  modality: 'multispectral',
  timestamp: 0,
  pixels: REAL.olinda,
  sensor: ETM_AS_MSS,
};

async function withRuntime<T>(fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const { dir } = await statlogLikePackage();
  const rt = await createRuntime({
    package: dir,
    backend: 'onnxruntime',
    workers: 0,
    threads: 1,
    verify: 'size',
    batch: { max: 64 },
    tasks: { classification: { topK: 1 }, segmentation: false, detection: false, depth: false },
  });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

test('a 3×3-patch class map of a Landsat-7 crop: shape, shares summing to 1, UTM areas of 9 × 28.5² m² per patch', async (t) => {
  await withRuntime(async (rt) => {
    let last = 0;
    const lc = await patchLandCover(rt, olinda, {
      region: { x: 100, y: 120, width: 61, height: 47 },
      onProgress: (d) => (last = d),
    });
    t.is(lc.width, 20);
    t.is(lc.height, 15);
    t.deepEqual(lc.covered, { x: 100, y: 120, width: 60, height: 45 });
    t.is(lc.classMap.length, 300);
    t.is(last, 300);
    t.is(lc.unclassified, 0);
    t.false(lc.classMap.includes(PATCH_UNCLASSIFIED));
    t.deepEqual(lc.labels, STATLOG_LABELS);
    t.deepEqual(lc.bandNames, ['green', 'red', 'nir', 'nir']);
    t.is(
      lc.classes.reduce((a, c) => a + c.patches, 0),
      300,
    );
    t.true(Math.abs(lc.classes.reduce((a, c) => a + c.fraction, 0) - 1) < 1e-12);
    t.is(lc.areaUnit, 'm2');
    t.is(lc.crs, 'EPSG:31985');
    for (const c of lc.classes) {
      t.is(c.pixels, c.patches * 9);
      t.true(Math.abs(c.area - c.patches * 9 * 28.5 * 28.5) < 1e-6 * (1 + c.area), `${c.label}: ${c.area} m²`);
    }
    // The class map's georeference: 3 source pixels per map pixel, origin at the region's corner.
    const src = (await decodeFrame(olinda)).georef!;
    t.is(lc.georef!.transform[1], src.transform[1] * 3);
    t.is(lc.georef!.transform[0], src.transform[0] + 100 * src.transform[1]);
    t.is(lc.georef!.transform[3], src.transform[3] + 120 * src.transform[5]);
  });
});

test('each patch gets the class the runtime gives that 3×3 patch on its own', async (t) => {
  await withRuntime(async (rt) => {
    const lc = await patchLandCover(rt, olinda, { region: { x: 30, y: 30, width: 12, height: 9 } });
    t.is(lc.classMap.length, 12);
    const d = await decodeFrame(olinda);
    const w = d.raster.width;
    for (const k of [0, 5, 11]) {
      const x0 = 30 + (k % 4) * 3;
      const y0 = 30 + Math.floor(k / 4) * 3;
      // Pixel-major 3×3×4 in the MSS order, from ETM+ bands 2, 3, 4, 4: what a Statlog row holds.
      const hwc = new Uint8Array(36);
      for (let y = 0; y < 3; y++)
        for (let x = 0; x < 3; x++)
          [1, 2, 3, 3].forEach((b, c) => (hwc[(y * 3 + x) * 4 + c] = d.raster.planes[b]![(y0 + y) * w + x0 + x]!));
      const r = await rt.infer({
        id: `p${k}`,
        modality: 'multispectral',
        timestamp: 0,
        pixels: { data: hwc, width: 3, height: 3, bands: 4, dtype: 'uint8', layout: 'hwc' },
      });
      t.is(lc.classMap[k], r.tasks.classification!.top[0]!.classId, `patch ${k}`);
    }
  });
});

test('bad options and frames are refused with coded errors', async (t) => {
  await withRuntime(async (rt) => {
    const region = await t.throwsAsync<EdgeError>(
      patchLandCover(rt, olinda, { region: { x: 340, y: 0, width: 20, height: 5 } }),
    );
    t.is(region?.code, 'E_INVALID_ARGUMENT');
    t.is(region?.field, 'options.region.width');
    const tiny = await t.throwsAsync<EdgeError>(
      patchLandCover(rt, olinda, { region: { x: 0, y: 0, width: 2, height: 2 } }),
    );
    t.is(tiny?.field, 'options.region');
    const optical = await t.throwsAsync<EdgeError>(
      patchLandCover(rt, { ...olinda, modality: 'optical', sensor: undefined }),
    );
    t.is(optical?.field, 'frame.modality');
    const bands = await t.throwsAsync<EdgeError>(
      patchLandCover(
        rt,
        { ...olinda, sensor: { ...ETM_AS_MSS, expectedBands: 7 } },
        { region: { x: 0, y: 0, width: 3, height: 3 } },
      ),
    );
    t.is(bands?.code, 'E_FRAME_INVALID');
  });
});

test('patches holding a no-data pixel stay unclassified and out of the shares; without a georeference areas are pixels', async (t) => {
  await withRuntime(async (rt) => {
    // A 9×6 raw scene (3×2 patches) cut from Olinda's ETM+ bands 2, 3, 4, 4, with 0 marking no data in two patches.
    const d = await decodeFrame(olinda);
    const w = d.raster.width;
    const data = new Uint8Array(4 * 9 * 6);
    [1, 2, 3, 3].forEach((b, c) => {
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < 9; x++)
          data[c * 54 + y * 9 + x] = Math.max(1, d.raster.planes[b]![(200 + y) * w + 150 + x]!);
    });
    data[0 * 54 + 0 * 9 + 1] = 0; // patch (0, 0)
    data[2 * 54 + 4 * 9 + 8] = 0; // patch (2, 1)
    const frame: Frame = {
      id: 'cut',
      modality: 'multispectral',
      timestamp: 0,
      pixels: { data, width: 9, height: 6, bands: 4, dtype: 'uint8', layout: 'chw', noData: 0 },
    };
    const lc = await patchLandCover(rt, frame);
    t.is(lc.classMap.length, 6);
    t.is(lc.classMap[0], PATCH_UNCLASSIFIED);
    t.is(lc.classMap[5], PATCH_UNCLASSIFIED);
    t.is(lc.unclassified, 2);
    t.is(
      lc.classes.reduce((a, c) => a + c.patches, 0),
      4,
    );
    t.true(Math.abs(lc.classes.reduce((a, c) => a + c.fraction, 0) - 1) < 1e-12);
    t.is(lc.areaUnit, 'pixel');
    t.is(lc.georef, undefined);
    for (const c of lc.classes) t.is(c.area, c.patches * 9);
  });
});
