/**
 * `ringmoe-edge run` with the sensor flags (--sensor preset or file, --bands, --scale) and its exit
 * status. The Landsat-8 OLI/TIRS stack is a GENERATED layout (bands 1-7 and 9-11, coastal aerosol
 * first) filled with the real Landsat-7 Olinda pixels; the other frames are real files.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { decodeFrame } from '../../../sdk/sensors/codecs/decode.js';
import { encodeGeoTiff } from '../../../sdk/sensors/codecs/geotiff-encode.js';
import { preprocessFrame } from '../../../sdk/sensors/preprocess/preprocess.js';
import { runCli } from '../../../tools/cli/cli.js';
import type { RunSummary } from '../../../tools/cli/commands/run.js';
import { createIO } from '../../../tools/cli/io.js';
import { GENERATED, REAL, frameOf } from '../../fixtures/frames/index.js';
import { runCliProcess as cli } from '../../helpers/cli-process.js';
import { tempDir, tinyPackage } from '../../helpers/packages.js';

const dir = tempDir('cli-sensors');
const olinda = await decodeFrame(frameOf(REAL.olinda, 'multispectral'));
const [B, G, R, N, S1, S2] = olinda.raster.planes as Uint8Array[];
const L8 = join(dir, 'LC08_oli_tirs_stack.tif');
writeFileSync(
  L8,
  encodeGeoTiff(
    {
      width: olinda.raster.width,
      height: olinda.raster.height,
      dtype: 'uint8',
      complex: false,
      planes: [B!, B!, G!, R!, N!, S1!, S2!, S2!, S1!, S1!],
    },
    { georef: olinda.georef! },
  ),
);

async function inProcess(args: string[]): Promise<{ result: RunSummary; exitCode: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const { result, exitCode } = await runCli(args, (json) => createIO(json, stdout, stderr));
  return { result: result as RunSummary, exitCode: exitCode ?? 0, out, err };
}

test('a Landsat-8 stack without a sensor: refused (the NIR is never guessed), every frame failed, exit 1', async (t) => {
  const pkg = (await tinyPackage()).dir;
  const r = await cli(['run', pkg, '--source', L8, '--modality', 'multispectral']);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stdout, /no frame produced a result; 0 ok, 1 failed/);
  t.notRegex(r.stdout, /frames\/s/);
  t.regex(r.stdout, /preprocess {2}E_FRAME_INVALID/);
  t.notRegex(r.stdout, /stage \(ms\)/, 'no latency table of zeros');
  t.regex(r.stderr, /error: every frame failed \(1 of 1\)/);
  const j = await inProcess(['run', pkg, '--source', L8, '--modality', 'multispectral', '--json']);
  t.is(j.exitCode, 1);
  t.regex(
    j.result.failures[0]!.message,
    /which of the frame's 10 bands is which is not known.*presets with 10 bands: landsat8-oli-tirs/,
  );
});

test('--sensor landsat8-oli-tirs and --bands 2,3,4,5 both run it; tiled, batched engine calls are counted one by one', async (t) => {
  const pkg = (await tinyPackage()).dir;
  const a = await inProcess([
    'run',
    pkg,
    '--source',
    L8,
    '--sensor',
    'landsat8-oli-tirs',
    '--fit',
    'tile',
    '--batch',
    '4',
  ]);
  t.is(a.exitCode, 0, a.err);
  t.like(a.result.frames, { total: 1, ok: 1, failed: 0 });
  // The package's input size decides the tiles; engine calls take at most 4 of them.
  const size = (await import('../../../sdk/package/open-package.js')).openPackage;
  const manifest = (await size(pkg, { verify: 'size' })).manifest;
  const pre = await preprocessFrame(frameOf(L8, 'multispectral', { sensor: 'landsat8-oli-tirs' }), {
    inputSize: manifest.model.inputSize!,
    fit: 'tile',
  });
  const tiles = pre.layout.tiles.length;
  t.true(tiles > 4, `${tiles} tiles`);
  t.is(a.result.batches.count, Math.ceil(tiles / 4));
  t.is(a.result.batches.meanInputs, Number((tiles / Math.ceil(tiles / 4)).toFixed(2)));
  t.regex(a.out, new RegExp(`${Math.ceil(tiles / 4)} engine call\\(s\\)`));
  const b = await inProcess([
    'run',
    pkg,
    '--source',
    L8,
    '--modality',
    'multispectral',
    '--bands',
    '2,3,4,5',
    '--json',
  ]);
  t.is(b.exitCode, 0);
  t.like(b.result.frames, { ok: 1 });
});

test("--sensor file.json: a configuration naming the stack's bands picks blue, green, red, NIR by name", async (t) => {
  const pkg = (await tinyPackage()).dir;
  const file = join(dir, 'l8-sensor.json');
  writeFileSync(
    file,
    JSON.stringify({
      id: 'my-l8',
      modality: 'multispectral',
      sourceBands: ['coastal', 'blue', 'green', 'red', 'nir', 'swir1', 'swir2', 'cirrus', 'tir1', 'tir2'],
    }),
  );
  const r = await inProcess(['run', pkg, '--source', L8, '--sensor', file]);
  t.is(r.exitCode, 0, r.out);
  t.like(r.result.results[0], { ok: true, entry: 'multispectral' });
});

test('16-bit optical frames: refused with a hint to --scale, and run with --scale 1/257', async (t) => {
  const pkg = (await tinyPackage()).dir;
  const bad = await inProcess(['run', pkg, '--source', GENERATED.gray16Png]);
  t.is(bad.exitCode, 1);
  t.regex(bad.result.failures[0]!.message, /optical frames must be 8-bit but the frame is uint16.*--scale 1\/257/);
  const ok = await inProcess(['run', pkg, '--source', GENERATED.gray16Png, '--scale', '1/257']);
  t.is(ok.exitCode, 0);
  t.like(ok.result.frames, { ok: 1, failed: 0 });
});

test('one frame of two fails: exit 1, or 0 with --allow-failures 1', async (t) => {
  const pkg = (await tinyPackage()).dir;
  const args = ['run', pkg, '--source', 'examples/data/landsat7-olinda/*.tif', '--sensor', 'landsat7-etm'];
  const strict = await inProcess(args);
  t.like(strict.result.frames, { total: 2, ok: 1, failed: 1 });
  t.is(strict.exitCode, 1);
  t.regex(strict.err, /error: 1 of 2 frame\(s\) failed, more than --allow-failures 0 tolerates/);
  const tolerant = await inProcess([...args, '--allow-failures', '1']);
  t.is(tolerant.exitCode, 0);
  t.is(tolerant.result.allowFailures, 1);
});

test('BAD CALL - malformed sensor flags name the flag (exit 2)', async (t) => {
  const pkg = (await tinyPackage()).dir;
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, JSON.stringify({ id: 'x', modality: 'multispectral', sourceBands: ['blue', 'B5'] }));
  const cases: [string[], RegExp][] = [
    [['--bands', '0,1,2,3'], /--bands: Expected 1-based band numbers/],
    [['--scale', '0'], /--scale: Expected non-zero numbers/],
    [['--sensor', join(dir, 'missing.json')], /--sensor: .*missing\.json: cannot read a sensor configuration/],
    [['--sensor', broken], /--sensor: .*frame\.sensor\.sourceBands must list every source band by canonical name/],
    [
      ['--modality', 'multispectral', '--bands', '2,3,4'],
      /--sensor: .*frame\.sensor\.bands must select 4 band\(s\) for multispectral but selects 3/,
    ],
  ];
  for (const [flags, message] of cases) {
    const r = await cli(['run', pkg, '--source', L8, ...flags]);
    t.is(r.code, 2, flags.join(' '));
    t.regex(r.stderr, message, flags.join(' '));
  }
});
