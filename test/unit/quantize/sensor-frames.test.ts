/**
 * The sensor flags reach every command that reads frames: `run`, `calibrate`, `prune`, `quantize`
 * and `compile` declare them, and the frame loaders behind calibrate/prune (resolveFrames) and
 * quantize/compile (loadFrameSources) give each real frame the sensor. The Landsat-8 OLI/TIRS stack
 * is a GENERATED layout (bands 1-7 and 9-11) filled with the real Landsat-7 Olinda pixels.
 */
import test from 'ava';
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFrame } from '../../../sdk/sensors/codecs/decode.js';
import { encodeGeoTiff } from '../../../sdk/sensors/codecs/geotiff-encode.js';
import { preprocessFrame } from '../../../sdk/sensors/preprocess/preprocess.js';
import { resolveFrames } from '../../../tools/frames/frame.js';
import { readSensorFlags, sensorFor } from '../../../tools/cli/sensor-flags.js';
import { loadFrameSources } from '../../../tools/frames/load-sets.js';
import { REAL, frameOf } from '../../fixtures/frames/index.js';
import { tempDir } from '../../helpers/packages.js';

const dir = tempDir('sensor-frames');
const olinda = await decodeFrame(frameOf(REAL.olinda, 'multispectral'));
const [B, G, R, N, S1, S2] = olinda.raster.planes as Uint8Array[];
const L8 = join(dir, 'LC08_stack.tif');
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
const size = { height: 64, width: 64 };

test('run, calibrate, prune, quantize and compile all declare --sensor, --bands, --scale and --offset', async (t) => {
  for (const name of ['run', 'calibrate', 'prune', 'quantize', 'compile']) {
    const { spec } = (await import(`../../../tools/cli/commands/${name}.js`)) as {
      spec: { configure(c: Command): void };
    };
    const cmd = new Command(name);
    spec.configure(cmd);
    const flags = cmd.options.map((o) => o.long);
    for (const f of ['--sensor', '--bands', '--scale', '--offset']) t.true(flags.includes(f), `${name} ${f}`);
  }
});

test("sensorFor: a preset stays an id, --bands and --scale make a configuration, another modality's sensor does not apply", async (t) => {
  const preset = await readSensorFlags({ sensor: 'landsat8-oli-tirs' });
  t.is(sensorFor(preset, 'multispectral'), 'landsat8-oli-tirs');
  t.is(sensorFor(preset, 'optical'), undefined);
  const tuned = await readSensorFlags({
    sensor: 'landsat8-oli-tirs',
    bands: '5,4,3,2',
    scale: '0.0000275',
    offset: '-0.2',
  });
  t.like(sensorFor(tuned, 'multispectral'), {
    id: 'landsat8-oli-tirs+bands-5,4,3,2+scaled',
    bands: [5, 4, 3, 2],
    scale: 0.0000275,
    offset: -0.2,
    expectedBands: 10,
  });
  t.is(
    (sensorFor(tuned, 'multispectral') as { bandNames?: string[] }).bandNames,
    undefined,
    'names come again from the layout',
  );
  t.like(sensorFor(await readSensorFlags({ scale: '1/257' }), 'optical'), {
    id: 'cli+scaled',
    modality: 'optical',
    scale: 1 / 257,
  });
  t.is(await readSensorFlags({}), undefined);
});

test('calibrate/prune frames (resolveFrames): the L8 stack is refused without a sensor and read by meaning with one', async (t) => {
  const ms = { id: 'multispectral', channels: 4 } as never;
  const [plain] = await resolveFrames(L8, '--frames', { fit: 'resize' });
  const e = await t.throwsAsync(plain!.inputs(ms, size));
  t.regex(e!.message, /which of the frame's 10 bands is which is not known/);
  const flags = await readSensorFlags({ sensor: 'landsat8-oli-tirs' });
  const [withSensor] = await resolveFrames(L8, '--frames', { fit: 'resize', sensorFor: (m) => sensorFor(flags, m) });
  const got = await withSensor!.inputs(ms, size);
  const ref = await preprocessFrame(frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' }), {
    inputSize: size,
  });
  t.deepEqual(got[0], ref.batches[0]!.data);
});

test('quantize/compile frames (loadFrameSources): --sensor reaches real calibration frames', async (t) => {
  const o = { inputSize: size, modalities: ['multispectral'], field: '--calibration', maxFrames: 4 };
  const e = await t.throwsAsync(loadFrameSources([`multispectral=${L8}`], o));
  t.is((e as { code?: string }).code, 'E_CALIBRATION');
  t.regex(e!.message, /which of the frame's 10 bands is which is not known/);
  const flags = await readSensorFlags({ modality: 'multispectral', bands: '2,3,4,5' });
  const [set] = await loadFrameSources([`multispectral=${L8}`], { ...o, sensorFor: (m) => sensorFor(flags, m) });
  t.is(set!.origin, 'real');
  t.true(set!.frames.length > 0);
  t.is(set!.frames[0]!.channels, 4);
});
