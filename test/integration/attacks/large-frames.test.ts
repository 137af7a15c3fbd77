/**
 * Honest frames far over the memory budget at full resolution, made from real images: a 48 MP
 * camera frame (the aero1 photo upscaled by sharp to an 8000×6000 JPEG) and a 4000×4000×6 Landsat
 * scene (Olinda upscaled by gdal_translate, tiled and deflated), with and without overviews
 * (gdaladdo). With a resize fit each is decoded at the model's size — shrink-on-load, an overview,
 * or blocks averaged while reading — in a child process whose peak resident set must stay under
 * {@link BOUND} above idle; with a tile fit each is refused as before. The GeoTIFF cases need
 * gdal-bin and are skipped (visibly) without it.
 */
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { inputGeoref } from '../../../sdk/sensors/geometry/layout.js';
import { pixelToMap } from '../../../sdk/sensors/geometry/georef.js';
import { preprocessFrame } from '../../../sdk/sensors/index.js';
import { REAL, frameOf } from '../../fixtures/frames/index.js';
import { testIf } from '../../helpers/shared-data.js';
import { mib, runChild } from './run-decode-child.js';

const exec = promisify(execFile);
/**
 * Most a large frame may add to the process's peak resident set: the encoded file plus the decoder's
 * working rows and the reduced raster (measured: 8 MiB for the JPEG, 58 MiB from an overview of the
 * 61 MB GeoTIFF, 86–102 MiB averaging the 41 MB one), far under the 512 MiB hostile frames get.
 */
const BOUND = 192 * 1024 * 1024;
const HAS_GDAL = spawnSync('gdal_translate', ['--version']).status === 0;

const dir = mkdtempSync(join(tmpdir(), 'ringmoe-large-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

let camera: Promise<string> | undefined;
/** aero1 upscaled to a 48 MP JPEG (made once). */
function cameraFrame(): Promise<string> {
  camera ??= (async () => {
    const path = join(dir, 'aero1-8000x6000.jpg');
    await sharp(REAL.aero1).resize(8000, 6000, { kernel: 'lanczos3' }).jpeg({ quality: 90 }).toFile(path);
    return path;
  })();
  return camera;
}

let scenes: Promise<{ plain: string; overviews: string }> | undefined;
/** Olinda upscaled to 4000×4000, tiled and deflated; a copy with overviews 2-16 (made once). */
function landsatScenes(): Promise<{ plain: string; overviews: string }> {
  scenes ??= (async () => {
    const plain = join(dir, 'olinda-4000.tif');
    const overviews = join(dir, 'olinda-4000-ovr.tif');
    await exec('gdal_translate', [
      '-q',
      ...['-outsize', '4000', '4000', '-r', 'bilinear'],
      ...['-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE', '-co', 'BLOCKXSIZE=256', '-co', 'BLOCKYSIZE=256'],
      REAL.olinda,
      plain,
    ]);
    copyFileSync(plain, overviews);
    await exec('gdaladdo', ['-q', '-r', 'average', overviews, '2', '4', '8', '16']);
    return { plain, overviews };
  })();
  return scenes;
}

test('a 48 MP camera JPEG is decoded at 192×192 by shrink-on-load, peak memory bounded; tiles refuse it', async (t) => {
  const path = await cameraFrame();
  const r = await runChild('sdk', path, 'optical', 1, undefined, { size: 192 });
  t.log(`8000×6000 JPEG → 192×192: peak ${mib(r.peakAboveIdle)} above idle, ${r.ms} ms`);
  t.true(r.results[0]!.ok, JSON.stringify(r.results));
  t.deepEqual(r.results[0]!.source, { width: 8000, height: 6000 });
  t.deepEqual(r.results[0]!.decoded, { width: 192, height: 192, method: 'decoder-resize' });
  t.true(r.peakAboveIdle < BOUND, `peak ${mib(r.peakAboveIdle)}`);
  const tiles = await runChild('sdk', path, 'optical', 1, undefined, { size: 192, fit: 'tile' });
  t.is(tiles.results[0]!.code, 'E_FRAME_INVALID');
  t.regex(
    tiles.results[0]!.message ?? '',
    /8000×6000×3 frame would take about \d+ MiB, over the 768 MiB memory budget/,
  );
  t.true(tiles.peakAboveIdle < BOUND);
});

testIf(HAS_GDAL, test)(
  '[gdal-bin] a 4000×4000×6 Landsat GeoTIFF with overviews is read from the 250×250 overview, peak bounded',
  async (t) => {
    const { overviews } = await landsatScenes();
    const r = await runChild('sdk', overviews, 'multispectral', 1, undefined, { size: 192, sensor: 'landsat7-etm' });
    t.log(`overview: peak ${mib(r.peakAboveIdle)} above idle, ${r.ms} ms`);
    t.true(r.results[0]!.ok, JSON.stringify(r.results));
    t.deepEqual(r.results[0]!.decoded, { width: 250, height: 250, method: 'overview' });
    t.true(r.peakAboveIdle < BOUND, `peak ${mib(r.peakAboveIdle)}`);
    const tiles = await runChild('sdk', overviews, 'multispectral', 1, undefined, {
      fit: 'tile',
      sensor: 'landsat7-etm',
    });
    t.is(tiles.results[0]!.code, 'E_FRAME_INVALID');
    t.regex(tiles.results[0]!.message ?? '', /over the 768 MiB memory budget/);
  },
);

testIf(HAS_GDAL, test)(
  '[gdal-bin] the georeference of a scene read from its overview is the full-resolution one: input corners land on the scene corners',
  async (t) => {
    const { overviews } = await landsatScenes();
    const { stdout } = await exec('gdalinfo', ['-json', overviews], { maxBuffer: 1 << 24 });
    const gt = (JSON.parse(stdout) as { geoTransform: number[] }).geoTransform;
    const pre = await preprocessFrame(frameOf(overviews, 'multispectral', { sensor: 'landsat7-etm' }), {
      inputSize: 192,
    });
    t.deepEqual(pre.layout.source, { width: 4000, height: 4000 });
    t.is(pre.layout.decoded?.method, 'overview');
    t.deepEqual(pre.layout.georef?.transform, gt as never);
    t.true(pre.warnings.some((w) => /decoded at 250×250 from 4000×4000 \(from TIFF overview/.test(w)));
    const g = inputGeoref(pre.layout, pre.layout.tiles[0]!)!;
    const [x, y] = pixelToMap(g, 192, 192);
    t.true(Math.abs(x - (gt[0]! + 4000 * gt[1]!)) < 1e-6, `x ${x}`);
    t.true(Math.abs(y - (gt[3]! + 4000 * gt[5]!)) < 1e-6, `y ${y}`);
    // The picture is Olinda's: against the original 349×352 scene resized to 192×192.
    const original = await preprocessFrame(frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' }), {
      inputSize: 192,
    });
    const a = pre.batches[0]!.data;
    const b = original.batches[0]!.data;
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
    // Measured 0.094: resampling twice and statistics taken at 250×250; another picture is ~1.
    t.log(`mean |overview − original| = ${(sum / a.length).toFixed(4)} (normalised units)`);
    t.true(sum / a.length < 0.2);
  },
);

testIf(HAS_GDAL, test)(
  '[gdal-bin] the same scene without overviews is averaged 20×20 while its tiles are read, peak bounded',
  async (t) => {
    const { plain } = await landsatScenes();
    const r = await runChild('sdk', plain, 'multispectral', 1, undefined, { size: 192, sensor: 'landsat7-etm' });
    t.log(`block average: peak ${mib(r.peakAboveIdle)} above idle, ${r.ms} ms`);
    t.true(r.results[0]!.ok, JSON.stringify(r.results));
    t.deepEqual(r.results[0]!.decoded, { width: 200, height: 200, method: 'block-average' });
    t.true(r.peakAboveIdle < BOUND, `peak ${mib(r.peakAboveIdle)}`);
  },
);
