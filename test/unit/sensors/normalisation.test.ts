import test from 'ava';
import { isEdgeError } from '../../../sdk/core/errors.js';
import { preprocessingProblems } from '../../../sdk/package/preprocessing-check.js';
import { decodeFrame } from '../../../sdk/sensors/codecs/decode.js';
import { preprocessFrame } from '../../../sdk/sensors/preprocess/preprocess.js';
import { checkNormalisation } from '../../../sdk/sensors/radiometry/normalisation.js';
import { IMAGENET_MEAN_255, IMAGENET_STD_255 } from '../../../sdk/sensors/radiometry/radiometry.js';
import { GENERATED, REAL, frameOf } from '../../fixtures/frames/index.js';

// Band statistics of the Statlog Landsat MSS training patches (what the trained reference declares).
const MSS = { mean: [68.78, 83.33, 99.64, 83.41], std: [13.24, 22.81, 16.04, 18.95] };

test('a declared normalisation replaces the default statistics on a real Landsat scene, value for value', async (t) => {
  const d = await decodeFrame(frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' }));
  const { width: w, height: h } = d.raster;
  const pre = await preprocessFrame(frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' }), {
    inputSize: { width: w, height: h },
    stretch: 'none',
    normalise: MSS,
  });
  const m = pre.batches[0]!.data;
  const plane = w * h;
  let checked = 0;
  for (let c = 0; c < 4; c++) {
    const dn = d.raster.planes[c]!;
    for (let i = 0; i < plane; i += 41, checked++) {
      const v = Math.min(255, Math.max(0, dn[i]!));
      t.true(Math.abs(m[c * plane + i]! - (v - MSS.mean[c]!) / MSS.std[c]!) < 1e-4, `band ${c + 1} pixel ${i}`);
    }
  }
  t.true(checked > 1000);
});

test('optical frames take a 3-channel normalisation; without one they keep the ImageNet statistics', async (t) => {
  const stats = { mean: [100, 110, 120], std: [50, 60, 70] };
  const own = await preprocessFrame(frameOf(REAL.aeroGray, 'optical'), { inputSize: 64, normalise: stats });
  const base = await preprocessFrame(frameOf(REAL.aeroGray, 'optical'), { inputSize: 64 });
  const a = own.batches[0]!.data;
  const b = base.batches[0]!.data;
  const plane = 64 * 64;
  for (const i of [0, 100, 2048, plane - 1]) {
    for (let c = 0; c < 3; c++) {
      const v = b[c * plane + i]! * IMAGENET_STD_255[c]! + IMAGENET_MEAN_255[c]!; // the 8-bit value
      t.true(Math.abs(a[c * plane + i]! - (v - stats.mean[c]!) / stats.std[c]!) < 1e-3, `channel ${c} pixel ${i}`);
    }
  }
});

test('BAD OPTIONS - a normalisation of the wrong width, a zero std, extra keys and SAR-L1 are coded errors naming the field', async (t) => {
  const ms = frameOf(REAL.olinda, 'multispectral', { sensor: 'landsat7-etm' });
  const wrongWidth = await t.throwsAsync(
    preprocessFrame(ms, { inputSize: 32, stretch: 'none', normalise: { mean: [1, 2, 3], std: [1, 1, 1] } }),
  );
  t.true(
    isEdgeError(wrongWidth) &&
      wrongWidth.code === 'E_INVALID_ARGUMENT' &&
      /3 channel\(s\) but multispectral frames have 4/.test(wrongWidth.message),
    wrongWidth?.message,
  );
  const zero = await t.throwsAsync(
    preprocessFrame(ms, { inputSize: 32, normalise: { mean: [1, 2, 3, 4], std: [1, 0, 1, 1] } }),
  );
  t.true(
    isEdgeError(zero) && zero.code === 'E_INVALID_ARGUMENT' && zero.field === 'options.normalise.std[1]',
    zero?.message,
  );
  const extra = t.throws(() => checkNormalisation('options.normalise', { mean: [1], std: [1], scale: 2 }));
  t.regex(extra!.message, /unknown option options\.normalise\.scale/);
  const nan = t.throws(() => checkNormalisation('options.normalise', { mean: [Number.NaN], std: [1] }));
  t.true(isEdgeError(nan) && nan.field === 'options.normalise.mean[0]');
  const short = t.throws(() => checkNormalisation('options.normalise', { mean: [1, 2], std: [1] }));
  t.true(isEdgeError(short) && short.field === 'options.normalise.std');
  const sar = await t.throwsAsync(
    preprocessFrame(frameOf(GENERATED.quadpol, 'sar-l1'), { inputSize: 16, normalise: { mean: [0], std: [1] } }),
  );
  t.true(isEdgeError(sar) && sar.code === 'E_INVALID_ARGUMENT' && /sar-l1/.test(sar.message), sar?.message);
});

test('a manifest declaring a normalisation is checked per modality, naming the manifest field', (t) => {
  t.deepEqual(preprocessingProblems({ multispectral: { stretch: 'none', normalise: MSS } }, ['multispectral']), []);
  const fields = (v: unknown, mods: string[]) => preprocessingProblems(v, mods).map((p) => p.field);
  t.deepEqual(fields({ multispectral: { normalise: { mean: [1, 2, 3], std: [1, 1, 1] } } }, ['multispectral']), [
    'model.preprocessing.multispectral.normalise.mean',
  ]);
  t.deepEqual(fields({ 'sar-l1': { normalise: { mean: [0], std: [1] } } }, ['sar-l1']), [
    'model.preprocessing.sar-l1.normalise',
  ]);
  t.deepEqual(fields({ optical: { normalise: { mean: [1, 2, 3], std: [1, -2, 1] } } }, ['optical']), [
    'model.preprocessing.optical.normalise.std[1]',
  ]);
  t.deepEqual(fields({ optical: { normalise: [1, 2, 3] } }, ['optical']), ['model.preprocessing.optical.normalise']);
});
