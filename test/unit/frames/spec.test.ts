import test from 'ava';
import { parseFrameSpec, MAX_GENERATED } from '../../../tools/frames/spec.js';
import { parseFrameSource } from '../../../tools/frames/load-sets.js';

const code = (e: unknown) => (e as { code?: string }).code;

test('a path, with and without a modality prefix', (t) => {
  t.deepEqual(parseFrameSpec('frames/', 'frames'), { kind: 'path', path: 'frames/', text: 'frames/' });
  t.deepEqual(parseFrameSpec('optical=flights/**/*.jpg', 'frames'), {
    kind: 'path',
    modality: 'optical',
    path: 'flights/**/*.jpg',
    text: 'optical=flights/**/*.jpg',
  });
  t.deepEqual(parseFrameSpec('sar-l1=a=b.tif', 'frames'), {
    kind: 'path',
    modality: 'sar-l1',
    path: 'a=b.tif',
    text: 'sar-l1=a=b.tif',
  });
  // A prefix that is not a modality id is part of the path.
  t.deepEqual(parseFrameSpec('Scene 1=x.tif', 'frames'), {
    kind: 'path',
    path: 'Scene 1=x.tif',
    text: 'Scene 1=x.tif',
  });
});

test('generated frames: modality, count and seed each optional', (t) => {
  t.deepEqual(parseFrameSpec('generated', 'frames'), { kind: 'generated', text: 'generated' });
  t.deepEqual(parseFrameSpec('generated:16', 'frames'), { kind: 'generated', count: 16, text: 'generated:16' });
  t.deepEqual(parseFrameSpec('generated:16:7', 'frames'), {
    kind: 'generated',
    count: 16,
    seed: 7,
    text: 'generated:16:7',
  });
  t.deepEqual(parseFrameSpec('generated:sar-l1', 'frames'), {
    kind: 'generated',
    modality: 'sar-l1',
    text: 'generated:sar-l1',
  });
  t.deepEqual(parseFrameSpec('generated:sar-l1:32:9', 'frames'), {
    kind: 'generated',
    modality: 'sar-l1',
    count: 32,
    seed: 9,
    text: 'generated:sar-l1:32:9',
  });
});

test('BAD CALL - malformed generated specs, counts out of range and empty paths name the option', (t) => {
  for (const text of [
    'generated:',
    'generated:optical:x',
    'generated:1:2:3',
    `generated:${MAX_GENERATED + 1}`,
    'generated:optical:0',
    'optical=',
  ]) {
    const e = t.throws(() => parseFrameSpec(text, 'frames'), undefined, text);
    t.is(code(e), 'E_INVALID_ARGUMENT', text);
    t.is((e as { field?: string }).field, 'frames', text);
  }
});

test('quantizer sources: a path takes the only modality; generated without one stands for every modality', (t) => {
  t.deepEqual(parseFrameSource('frames/', { modalities: ['optical'], field: 'calibration' }), [
    { kind: 'path', modality: 'optical', path: 'frames/', text: 'frames/' },
  ]);
  t.deepEqual(parseFrameSource('generated:4:3', { modalities: ['optical', 'sar-l2'], field: 'calibration' }), [
    { kind: 'generated', modality: 'optical', count: 4, seed: 3, text: 'generated:optical:4:3' },
    { kind: 'generated', modality: 'sar-l2', count: 4, seed: 3, text: 'generated:sar-l2:4:3' },
  ]);
  t.deepEqual(parseFrameSource('generated:sar-l1', { modalities: ['optical'], field: 'calibration' }), [
    { kind: 'generated', modality: 'sar-l1', count: 16, seed: 1, text: 'generated:sar-l1' },
  ]);
  const e = t.throws(() => parseFrameSource('frames/', { modalities: ['optical', 'sar-l2'], field: 'calibration' }));
  t.is(code(e), 'E_CALIBRATION');
  t.regex(e!.message, /does not say its modality and the package reads optical, sar-l2/);
});
