import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRAME_EXTENSIONS, IMAGE_EXTENSIONS } from '../../../tools/frames/extensions.js';
import { globRegex, resolveFiles } from '../../../tools/frames/files.js';
import { recordedFrames } from '../../../tools/frames/recorded.js';

const code = (e: unknown) => (e as { code?: string }).code;

/** flights/{a.jpg, B.TIF, notes.txt, day1/{c.png, deep/d.tif}, day2/e.npy} */
function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'ringmoe-edge-frames-'));
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'day1', 'deep'), { recursive: true });
  mkdirSync(join(root, 'day2'));
  for (const f of ['a.jpg', 'B.TIF', 'notes.txt', 'day1/c.png', 'day1/deep/d.tif', 'day2/e.npy'])
    writeFileSync(join(root, f), 'x');
  return root;
}

test('glob syntax: * and ? stay in a segment, ** spans directories (also none), case-insensitive', (t) => {
  t.true(globRegex('*.tif').test('scene.TIF'));
  t.false(globRegex('*.tif').test('day1/scene.tif'));
  t.true(globRegex('**/*.tif').test('scene.tif'));
  t.true(globRegex('**/*.tif').test('a/b/scene.tif'));
  t.true(globRegex('day?/*.png').test('day1/c.png'));
  t.false(globRegex('day?/*.png').test('day10/c.png'));
  t.true(globRegex('a.b+(c)').test('a.b+(c)'));
  t.false(globRegex('a.b').test('axb'));
});

test('a file, a directory (not recursive, frame files only) and globs with **', async (t) => {
  const root = tree();
  const o = { extensions: IMAGE_EXTENSIONS, field: 'frames' };
  t.deepEqual(await resolveFiles(join(root, 'notes.txt'), o), [join(root, 'notes.txt')]);
  t.deepEqual(await resolveFiles(root, o), [join(root, 'B.TIF'), join(root, 'a.jpg')]);
  t.deepEqual(await resolveFiles(root, { ...o, extensions: FRAME_EXTENSIONS }), [
    join(root, 'B.TIF'),
    join(root, 'a.jpg'),
  ]);
  t.deepEqual(await resolveFiles(join(root, '**/*.tif'), o), [join(root, 'B.TIF'), join(root, 'day1/deep/d.tif')]);
  t.deepEqual(
    await resolveFiles(join(root, '**/*'), { ...o, extensions: FRAME_EXTENSIONS }),
    ['B.TIF', 'a.jpg', 'day1/c.png', 'day1/deep/d.tif', 'day2/e.npy'].map((f) => join(root, f)),
  );
  t.deepEqual(await resolveFiles(join(root, 'day*/*'), o), [join(root, 'day1/c.png')]);
});

test('EXPECTED FAILURE - nothing there or nothing matching is E_FILE_NOT_FOUND naming the option', async (t) => {
  const root = tree();
  const o = { extensions: IMAGE_EXTENSIONS, field: 'source' };
  for (const path of [join(root, 'nope'), join(root, 'day2'), join(root, '*.bmp'), join(root, 'nope/**/*.jpg')]) {
    const e = await t.throwsAsync(resolveFiles(path, o));
    t.is(code(e), 'E_FILE_NOT_FOUND', path);
    t.is((e as { field?: string }).field, 'source', path);
  }
});

test('recorded frames of the example aerial images: optical by extension, ids relative to the working directory', async (t) => {
  const frames = await recordedFrames('examples/data/aerial/*.jpg', { field: 'source' });
  t.deepEqual(
    frames.map((f) => [f.id, f.modality]),
    [
      ['examples/data/aerial/aero1.jpg', 'optical'],
      ['examples/data/aerial/aero3.jpg', 'optical'],
    ],
  );
  t.true(frames.every((f) => typeof f.timestamp === 'number' && f.timestamp > 0));
  const tif = await t.throwsAsync(recordedFrames('examples/data/landsat7-olinda/L7_ETMs.tif', { field: 'source' }));
  t.is(code(tif), 'E_INVALID_ARGUMENT');
  const ms = await recordedFrames('examples/data/landsat7-olinda/L7_ETMs.tif', {
    field: 'source',
    sensorModality: 'multispectral',
    sensorFor: () => 'landsat7-etm',
  });
  t.deepEqual(
    ms.map((f) => [f.modality, f.sensor]),
    [['multispectral', 'landsat7-etm']],
  );
});
