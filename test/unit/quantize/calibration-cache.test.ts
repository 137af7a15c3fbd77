import test from 'ava';
import {
  hexToScale,
  parseCalibrationCache,
  scaleToHex,
  tensorrtVersionNumber,
  tensorrtVersionString,
  writeCalibrationCache,
} from '../../../tools/quantize/calibration-cache.js';

test('TensorRT version numbers follow NV_TENSORRT_VERSION (x1000 up to 8.x, x10000 from 10)', (t) => {
  t.is(tensorrtVersionNumber('8.5.2'), 8502);
  t.is(tensorrtVersionNumber('8.2.1'), 8201);
  t.is(tensorrtVersionNumber('10.3.0'), 100300);
  t.is(tensorrtVersionNumber('10.16'), 101600);
  t.is(tensorrtVersionString(8502), '8.5.2');
  t.is(tensorrtVersionString(101401), '10.14.1');
});

test('scales are the big-endian hex of their IEEE-754 bits, as TensorRT writes them', (t) => {
  // 1/127 = 0x3c010204; 2.0 = 0x40000000
  t.is(scaleToHex(1 / 127), '3c010204');
  t.is(scaleToHex(2), '40000000');
  t.is(scaleToHex(0), '0');
  t.is(hexToScale('3c010204'), Math.fround(1 / 127));
});

test('a written cache round-trips through the parser', (t) => {
  const scales = new Map<string, number>([
    ['image', 0.0208],
    ['optical/s1.b0/attn/MatMul', 1.5 / 127],
    ['(Unnamed Layer* 3) [Shuffle]_output', 0.25],
    ['zero', 0],
  ]);
  const text = writeCalibrationCache({ versionNumber: 8502, algorithm: 'EntropyCalibration2', scales });
  t.true(text.startsWith('TRT-8502-EntropyCalibration2\n'));
  const back = parseCalibrationCache(text);
  t.is(back.versionNumber, 8502);
  t.is(back.algorithm, 'EntropyCalibration2');
  t.deepEqual([...back.scales.keys()], [...scales.keys()]);
  for (const [k, v] of scales) t.is(back.scales.get(k), Math.fround(v));
  t.is(writeCalibrationCache(back), text);
});

test('a cache as TensorRT wrote it parses', (t) => {
  const c = parseCalibrationCache(
    'TRT-8401-EntropyCalibration2\ninput: 3caa54fc\n(Unnamed Layer* 64) [Shuffle]_output: 0\n405: 3c209a08\n',
  );
  t.is(c.scales.size, 3);
  t.true(Math.abs(c.scales.get('input')! * 127 - 2.6406) < 1e-3);
  t.is(c.scales.get('(Unnamed Layer* 64) [Shuffle]_output'), 0);
});

test('EXPECTED FAILURE - a file that is not a calibration cache', (t) => {
  const e = t.throws(() => parseCalibrationCache('hello\nx: 1\n', 'x.cache'));
  t.is((e as { code?: string }).code, 'E_CALIBRATION');
  t.regex(e!.message, /x\.cache.*line 1.*TRT-<version>/);
  const bad = t.throws(() => parseCalibrationCache('TRT-8502-EntropyCalibration2\ninput 3c010204\n'));
  t.regex(bad!.message, /line 2/);
});

test('BAD CALL - unusable scales and versions are refused', (t) => {
  t.throws(
    () =>
      writeCalibrationCache({ versionNumber: 8502, algorithm: 'EntropyCalibration2', scales: new Map([['x', NaN]]) }),
    { message: /finite scale/ },
  );
  t.throws(() => tensorrtVersionNumber('eight'), { message: /tensorrtVersion/ });
});
